#include "core/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

// EVP_DigestInit/Update/Final fail only on allocation failure or a broken
// libcrypto; there is nothing sensible to return then, so stop.
void CheckEvp(int ok, const char* what) {
  if (ok != 1) {
    std::fprintf(stderr, "pcs: OpenSSL %s failed for SHA-256\n", what);
    std::abort();
  }
}

}  // namespace

void Sha256::ContextDeleter::operator()(evp_md_ctx_st* context) const {
  EVP_MD_CTX_free(context);
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  CheckEvp(context_ != nullptr, "EVP_MD_CTX_new");
  CheckEvp(EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr),
           "EVP_DigestInit_ex");
}

void Sha256::Update(absl::string_view data) {
  CheckEvp(EVP_DigestUpdate(context_.get(), data.data(), data.size()),
           "EVP_DigestUpdate");
}

std::string Sha256::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  CheckEvp(EVP_DigestFinal_ex(context_.get(), digest, &length),
           "EVP_DigestFinal_ex");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

std::string Sha256Hex(absl::string_view data) {
  Sha256 hasher;
  hasher.Update(data);
  return hasher.FinishHex();
}

absl::StatusOr<std::string> Sha256HexOfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot open '", path, "' for hashing"));
  }
  Sha256 hasher;
  std::vector<char> chunk(1 << 16);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) {
      hasher.Update(absl::string_view(chunk.data(), static_cast<size_t>(got)));
    }
  }
  if (in.bad()) {
    return absl::InternalError(
        absl::StrCat("read error while hashing '", path, "'"));
  }
  return hasher.FinishHex();
}

}  // namespace pcs
