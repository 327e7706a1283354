#include "server/request_identity.h"

#include <httplib.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/match.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/grpcpp.h"

namespace pcs {
namespace {

constexpr char kBearer[] = "Bearer ";

// Subject of `cert` in RFC 2253 form, as gRPC's "x509_subject" reports it.
std::string SubjectOf(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string subject(data, size > 0 ? static_cast<size_t>(size) : 0);
  BIO_free(bio);
  return subject;
}

}  // namespace

std::string BearerTokenOf(const std::string& value) {
  if (value.size() > sizeof(kBearer) - 1 &&
      absl::StartsWithIgnoreCase(value, kBearer)) {
    return value.substr(sizeof(kBearer) - 1);
  }
  return "";  // not a bearer token: matches no entry (tokens are 16+ chars)
}

Identity IdentityFromGrpc(const grpc::ServerContext& context) {
  Identity identity;
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    identity.bearer_token =
        BearerTokenOf(std::string(it->second.data(), it->second.size()));
  }
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    std::vector<grpc::string_ref> subject =
        auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME);
    if (!subject.empty()) {
      identity.certificate_subject =
          std::string(subject.front().data(), subject.front().size());
    }
  }
  return identity;
}

Identity IdentityFromHttp(const httplib::Request& request) {
  Identity identity;
  if (request.has_header("Authorization")) {
    identity.bearer_token =
        BearerTokenOf(request.get_header_value("Authorization"));
  }
  SSL* ssl = const_cast<SSL*>(request.ssl);
  if (ssl != nullptr && SSL_get_verify_result(ssl) == X509_V_OK) {
    if (X509* cert = SSL_get1_peer_certificate(ssl)) {
      identity.certificate_subject = SubjectOf(cert);
      X509_free(cert);
    }
  }
  return identity;
}

}  // namespace pcs
