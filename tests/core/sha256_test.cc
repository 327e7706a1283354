#include "core/sha256.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace pcs {
namespace {

// Test vectors from FIPS 180-4 / NIST CSRC "SHA-256 examples".
TEST(Sha256Test, FipsVectors) {
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijklj"
                      "klmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijkl"
                      "fghijklmghijklmnhijklmnoijklmnopjklmnopq"
                      "klmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Lengths around the 55/56/64-byte padding boundaries must agree between the
// one-shot and the byte-by-byte streaming paths.
TEST(Sha256Test, StreamingMatchesOneShotAcrossPaddingBoundaries) {
  for (int len : {55, 56, 57, 63, 64, 65, 119, 120, 128}) {
    const std::string data(static_cast<size_t>(len), 'x');
    Sha256 hasher;
    for (char c : data) hasher.Update(std::string(1, c));
    EXPECT_EQ(hasher.FinishHex(), Sha256Hex(data)) << "length " << len;
  }
}

TEST(Sha256Test, FileVariant) {
  const std::string path = ::testing::TempDir() + "/sha256_test_file.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out << "abc";
  }
  absl::StatusOr<std::string> hex = Sha256HexOfFile(path);
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_EQ(*hex, Sha256Hex("abc"));
  std::remove(path.c_str());

  absl::StatusOr<std::string> missing = Sha256HexOfFile(path + ".missing");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("sha256_test_file.bin.missing"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace pcs
