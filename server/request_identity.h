#ifndef PCS_SERVER_REQUEST_IDENTITY_H_
#define PCS_SERVER_REQUEST_IDENTITY_H_

#include <string>

#include "server/authorizer.h"

namespace grpc {
class ServerContext;
}
namespace httplib {
struct Request;
}

namespace pcs {

// The Identity a gRPC call presented: the "authorization: Bearer <token>"
// metadata and, when the TLS handshake verified a client certificate, its
// subject (gRPC's "x509_subject" auth property, RFC 2253 form).
// An "authorization" value without the Bearer scheme becomes an empty token
// that matches nothing (so the call is UNAUTHENTICATED, not anonymous).
Identity IdentityFromGrpc(const grpc::ServerContext& context);

// The same for an HTTP request served by cpp-httplib: the Authorization
// header, and the peer certificate's subject when the request came over
// TLS and OpenSSL verified the certificate against the client CA.
Identity IdentityFromHttp(const httplib::Request& request);

// The token of an Authorization / authorization value "Bearer <token>"
// (scheme case-insensitive); "" for any other value.
std::string BearerTokenOf(const std::string& header_value);

}  // namespace pcs

#endif  // PCS_SERVER_REQUEST_IDENTITY_H_
