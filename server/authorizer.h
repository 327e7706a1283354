#ifndef PCS_SERVER_AUTHORIZER_H_
#define PCS_SERVER_AUTHORIZER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace pcs {

// What a call asks for. Every write (EvaluatePattern, analyst overrides)
// is kWrite; everything that only reads is kRead.
enum class Access { kRead, kWrite };

inline const char* AccessName(Access access) {
  return access == Access::kWrite ? "write" : "read";
}

// The principal Authorize() names a caller it did not identify (an open
// read without a verified certificate; a bearer token is not looked at).
inline constexpr char kAnonymousPrincipal[] = "anonymous";

// What a caller presented, as the transport saw it. Either, both or neither
// may be set. Built by IdentityFromGrpc / IdentityFromHttp
// (server/request_identity.h), never from unverified input:
// `certificate_subject` is set only when the TLS handshake verified the
// client certificate against the configured client CA.
struct Identity {
  // Verified mTLS client certificate subject, RFC 2253 form as gRPC reports
  // it (e.g. "CN=analyst-1,O=pcs").
  std::optional<std::string> certificate_subject;
  // Bearer token from "authorization: Bearer <token>". A secret: never log
  // it, never echo it in an error.
  std::optional<std::string> bearer_token;
};

// Decides whether an identity may read or write. The one seam every entry
// point (gRPC methods, HTTP routes) goes through before doing work.
//
// Authorize() returns the principal name for audit logs (the allow-list
// entry's name or the certificate subject; never the token) or:
//   UNAUTHENTICATED   no credential where one is needed, or a bearer token
//                     that matches no entry;
//   PERMISSION_DENIED a known identity (verified certificate or valid token)
//                     that lacks the access asked for.
// Error messages name the access and the principal, never the token.
//
// Threading: implementations are immutable after construction and safe to
// call from any thread.
//
// Example:
//   absl::StatusOr<std::string> who =
//       authorizer.Authorize(IdentityFromGrpc(*context), Access::kWrite);
//   if (!who.ok()) return who.status();
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual absl::StatusOr<std::string> Authorize(const Identity& identity,
                                                Access access) const = 0;
};

}  // namespace pcs

#endif  // PCS_SERVER_AUTHORIZER_H_
