#ifndef PCS_FEATURES_SHA256_H_
#define PCS_FEATURES_SHA256_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pcs {

// SHA-256 (FIPS 180-4) as lowercase hex: 64 characters. Used for the feature
// schema hash and for model / reference file checksums in model cards, so a
// server can verify exactly what it loads. No external crypto dependency.
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
// After FinishHex() the object must not be updated again.
class Sha256 {
 public:
  Sha256();
  void Update(absl::string_view data);
  std::string FinishHex();

 private:
  void Compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffer_size_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace pcs

#endif  // PCS_FEATURES_SHA256_H_
