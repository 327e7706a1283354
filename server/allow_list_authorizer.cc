#include "server/allow_list_authorizer.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pcs {
namespace {

constexpr size_t kMinTokenLength = 16;

std::array<unsigned char, 32> Sha256(const std::string& text) {
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
         digest.data());
  return digest;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AllowListAuthorizer>>
AllowListAuthorizer::Create(Options options) {
  if (options.path.empty()) {
    return FromText("", "(no allow-list)", options.reads_require_identity);
  }
  std::ifstream in(options.path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("allow-list: cannot read '", options.path, "'"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return FromText(text.str(), options.path, options.reads_require_identity);
}

absl::StatusOr<std::unique_ptr<AllowListAuthorizer>>
AllowListAuthorizer::FromText(const std::string& text,
                              const std::string& source,
                              bool reads_require_identity) {
  std::unique_ptr<AllowListAuthorizer> auth(new AllowListAuthorizer());
  auth->reads_require_identity_ = reads_require_identity;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("allow-list ", source, ":", line_number, ": ", why));
    };
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.size() < 3) {
      return bad(
          "expected 'read|write token NAME TOKEN' or "
          "'read|write subject SUBJECT'");
    }
    bool write;
    if (words[0] == "write") {
      write = true;
    } else if (words[0] == "read") {
      write = false;
    } else {
      return bad("access must be 'read' or 'write'");
    }
    if (words[1] == "token") {
      if (words.size() != 4) {
        return bad("a token entry is 'read|write token NAME TOKEN'");
      }
      if (words[3].size() < kMinTokenLength) {
        return bad(absl::StrCat("the token of '", words[2],
                                "' is shorter than ", kMinTokenLength,
                                " characters"));
      }
      auth->tokens_.push_back(
          {std::string(words[2]), Sha256(std::string(words[3])), write});
    } else if (words[1] == "subject") {
      // The subject is the rest of the line (it may contain spaces).
      absl::string_view rest = line.substr(line.find("subject") + 7);
      auth->subjects_.push_back(
          {std::string(absl::StripAsciiWhitespace(rest)), write});
    } else {
      return bad("kind must be 'token' or 'subject'");
    }
  }
  return auth;
}

const AllowListAuthorizer::TokenEntry* AllowListAuthorizer::FindToken(
    const std::string& token) const {
  const Digest digest = Sha256(token);
  const TokenEntry* found = nullptr;
  for (const TokenEntry& entry : tokens_) {
    // CRYPTO_memcmp takes the same time whatever the bytes; every entry is
    // compared, so the time does not tell which one matched either.
    bool match =
        CRYPTO_memcmp(digest.data(), entry.digest.data(), digest.size()) == 0;
    if (match && found == nullptr) found = &entry;
  }
  return found;
}

absl::StatusOr<std::string> AllowListAuthorizer::Authorize(
    const Identity& identity, Access access) const {
  if (access == Access::kRead && !reads_require_identity_) {
    if (identity.certificate_subject) return *identity.certificate_subject;
    return std::string(kAnonymousPrincipal);
  }
  std::string principal;
  bool write = false;
  if (identity.bearer_token) {
    const TokenEntry* entry = FindToken(*identity.bearer_token);
    if (entry == nullptr) {
      return absl::UnauthenticatedError(
          absl::StrCat(AccessName(access),
                       " refused: the bearer token is not on the "
                       "allow-list"));
    }
    principal = entry->name;
    write = entry->write;
  } else if (identity.certificate_subject) {
    principal = *identity.certificate_subject;
    const SubjectEntry* entry = nullptr;
    for (const SubjectEntry& s : subjects_) {
      if (s.subject == principal) entry = &s;
    }
    if (entry == nullptr) {
      return absl::PermissionDeniedError(
          absl::StrCat(AccessName(access), " refused: client certificate '",
                       principal, "' is not on the allow-list"));
    }
    write = entry->write;
  } else {
    return absl::UnauthenticatedError(absl::StrCat(
        AccessName(access),
        " needs an identity: a bearer token "
        "(authorization: Bearer ...) or a client certificate on the "
        "allow-list"));
  }
  if (access == Access::kWrite && !write) {
    return absl::PermissionDeniedError(
        absl::StrCat("write refused: '", principal, "' has read access only"));
  }
  return principal;
}

}  // namespace pcs
