#ifndef PCS_SERVER_ALLOW_LIST_AUTHORIZER_H_
#define PCS_SERVER_ALLOW_LIST_AUTHORIZER_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/authorizer.h"

namespace pcs {

// The default Authorizer: an allow-list read once from a file.
//
// File format (docs/SERVER.md "Authorization"), one entry per line, '#'
// starts a comment line, blank lines are skipped:
//   write token   NAME TOKEN        bearer token TOKEN (16+ characters, no
//                                   spaces), audit name NAME
//   read  token   NAME TOKEN
//   write subject SUBJECT           verified mTLS client certificate subject,
//   read  subject SUBJECT           RFC 2253 form, the rest of the line
//                                   (e.g. "CN=analyst-1,O=pcs")
// "write" implies read. Tokens are kept only as SHA-256 digests and
// compared in constant time against every entry (no early exit); they never
// appear in logs or error messages.
//
// Decisions (Authorize):
//   kRead,  reads open (default)        -> OK for anyone, even anonymous.
//   kRead,  reads_require_identity      -> like kWrite but "read" suffices.
//   kWrite: a token that matches no entry          -> UNAUTHENTICATED
//           no token and no verified certificate   -> UNAUTHENTICATED
//           a valid token or verified subject whose entry lacks "write",
//           or a verified subject with no entry    -> PERMISSION_DENIED
// A valid token wins over the certificate when both are presented.
// With no file at all (Create({})) the list is empty: every write is
// refused, which is the default of pcs-server.
//
// Threading: immutable after Create(); Authorize() is thread-safe.
//
// Example:
//   auto auth = AllowListAuthorizer::Create({.path = "/etc/pcs/allow-list"});
//   if (!auth.ok()) return auth.status();
//   auto who = (*auth)->Authorize(identity, Access::kWrite);
class AllowListAuthorizer final : public Authorizer {
 public:
  struct Options {
    // Allow-list file; "" = an empty list (all writes refused).
    std::string path = {};
    // When true, reads also need an identity on the list.
    bool reads_require_identity = false;
  };

  // Reads and checks the file. INVALID_ARGUMENT names the file and line
  // (never the token); NOT_FOUND when the file cannot be read.
  static absl::StatusOr<std::unique_ptr<AllowListAuthorizer>> Create(
      Options options);
  // The same from text (tests; `source` names it in errors).
  static absl::StatusOr<std::unique_ptr<AllowListAuthorizer>> FromText(
      const std::string& text, const std::string& source,
      bool reads_require_identity);

  absl::StatusOr<std::string> Authorize(const Identity& identity,
                                        Access access) const override;

  size_t token_entries() const { return tokens_.size(); }
  size_t subject_entries() const { return subjects_.size(); }
  bool reads_require_identity() const { return reads_require_identity_; }

 private:
  using Digest = std::array<unsigned char, 32>;
  struct TokenEntry {
    std::string name;
    Digest digest;
    bool write;
  };
  struct SubjectEntry {
    std::string subject;
    bool write;
  };
  AllowListAuthorizer() = default;
  // The entry whose token matches, or nullptr; constant time in the token.
  const TokenEntry* FindToken(const std::string& token) const;

  std::vector<TokenEntry> tokens_;
  std::vector<SubjectEntry> subjects_;
  bool reads_require_identity_ = false;
};

}  // namespace pcs

#endif  // PCS_SERVER_ALLOW_LIST_AUTHORIZER_H_
