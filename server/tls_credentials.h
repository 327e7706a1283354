#ifndef PCS_SERVER_TLS_CREDENTIALS_H_
#define PCS_SERVER_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace grpc {
class ServerCredentials;
}

namespace pcs {

// TLS for both listeners of pcs-server (gRPC and HTTP /metrics). Empty
// cert_file = plaintext. See docs/SERVER.md "TLS".
struct TlsOptions {
  // PEM certificate chain and private key of the server (both or neither).
  std::string cert_file = {};
  std::string key_file = {};
  // PEM CA bundle: when set, clients may present a certificate, which must
  // verify against it (mTLS; its subject becomes the caller's identity);
  // a certificate that does not verify (wrong CA, expired) fails the
  // handshake.
  std::string client_ca_file = {};
  // With client_ca_file: a client without a certificate fails the handshake
  // (otherwise it may still connect and use a bearer token).
  bool require_client_cert = false;

  bool enabled() const { return !cert_file.empty(); }
};

// Checks the combination (key without cert, client CA without cert, ...)
// and that every file is readable. INVALID_ARGUMENT names the option.
absl::Status ValidateTlsOptions(const TlsOptions& tls);

// gRPC server credentials: insecure when !tls.enabled(), else TLS with the
// files read now.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials(
    const TlsOptions& tls);

// Configures an OpenSSL server context the same way (TLS 1.2+, certificate,
// key, client CA and verify mode); used for cpp-httplib's SSLServer.
absl::Status ConfigureSslServerContext(const TlsOptions& tls, SSL_CTX* ctx);

// Reads a whole file (PEM) or NOT_FOUND naming `what`.
absl::StatusOr<std::string> ReadPemFile(const std::string& path,
                                        const std::string& what);

}  // namespace pcs

#endif  // PCS_SERVER_TLS_CREDENTIALS_H_
