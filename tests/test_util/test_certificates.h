#ifndef PCS_TESTS_TEST_UTIL_TEST_CERTIFICATES_H_
#define PCS_TESTS_TEST_UTIL_TEST_CERTIFICATES_H_

// Certificates made at test time with the `openssl` command line (no key is
// ever committed): a CA, a server certificate for localhost / 127.0.0.1,
// client certificates (good, expired, from a CA the server does not trust).

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace pcs::testing {

// One PEM certificate + key pair (file paths).
struct CertFiles {
  std::string cert;
  std::string key;
};

struct TestPki {
  std::filesystem::path dir;  // removed by the caller
  std::string ca;             // the CA the server trusts for clients
  CertFiles server;           // CN=localhost, SAN DNS:localhost, IP:127.0.0.1
  CertFiles expired_server;   // the same names, notAfter in the past
  CertFiles client;           // subject CN=analyst-1,O=pcs (RFC 2253)
  CertFiles reader;           // subject CN=dashboard,O=pcs
  CertFiles expired;          // CN=expired,O=pcs; notAfter in the past
  std::string other_ca;       // a CA nobody trusts
  CertFiles stranger;         // CN=analyst-1,O=pcs signed by other_ca
};

// Subjects of the client certificates, as gRPC reports them.
inline constexpr char kClientSubject[] = "CN=analyst-1,O=pcs";
inline constexpr char kReaderSubject[] = "CN=dashboard,O=pcs";

// Generates everything under a fresh folder in the temp dir (EC P-256).
// FAILED_PRECONDITION when `openssl` is missing or fails.
absl::StatusOr<TestPki> MakeTestPki(const std::string& tag);

}  // namespace pcs::testing

#endif  // PCS_TESTS_TEST_UTIL_TEST_CERTIFICATES_H_
