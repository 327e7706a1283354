#ifndef PCS_CORE_SHA256_H_
#define PCS_CORE_SHA256_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// OpenSSL's EVP_MD_CTX, forward-declared so that callers need no OpenSSL
// headers.
struct evp_md_ctx_st;

namespace pcs {

// SHA-256 (FIPS 180-4) as lowercase hex: 64 characters. Used for the feature
// schema hash and for model / reference file checksums in model cards, so a
// server can verify exactly what it loads. Computed by OpenSSL's libcrypto
// (EVP_sha256).
//
// Example:
//   Sha256Hex("abc") ==
//     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
//
// Thread-safe: free functions and a value-type hasher without shared state.
std::string Sha256Hex(absl::string_view data);

// Streams the file in fixed-size chunks (constant memory). NotFound /
// Internal errors name the path.
absl::StatusOr<std::string> Sha256HexOfFile(const std::string& path);

// Incremental hasher for callers that produce data piecewise.
//   Sha256 h; h.Update("ab"); h.Update("c"); std::string hex = h.FinishHex();
// After FinishHex() the object must not be updated again. Movable, not
// copyable.
class Sha256 {
 public:
  Sha256();
  void Update(absl::string_view data);
  std::string FinishHex();

 private:
  struct ContextDeleter {
    void operator()(evp_md_ctx_st* context) const;
  };
  std::unique_ptr<evp_md_ctx_st, ContextDeleter> context_;
};

}  // namespace pcs

#endif  // PCS_CORE_SHA256_H_
