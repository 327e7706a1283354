#ifndef PCS_TESTS_SERVER_SERVER_TEST_ENV_H_
#define PCS_TESTS_SERVER_SERVER_TEST_ENV_H_

// Shared set-up for the end-to-end server tests: one seeded PostgreSQL
// database per test binary (real bars of a few symbols ingested from the
// shared data, patterns stored by the real backfill job) and a model
// registry folder with real tiny XGBoost artifacts.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "pcs/v1/pattern_confidence.grpc.pb.h"
#include "server/pcs_server.h"

namespace pcs::testing {

// Symbols ingested (DIA is the market proxy).
inline const std::vector<std::string>& SeedSymbols() {
  static const auto* kSymbols =
      new std::vector<std::string>{"AAPL", "AA", "DIA"};
  return *kSymbols;
}

// The seeded database (created on first call; thread-safe).
struct SeededDatabase {
  std::string conninfo;
  std::vector<std::string> pattern_ids;  // every stored id, sorted
};
const SeededDatabase& Seeded();

// A fresh model registry folder under the temp dir (removed by the caller).
std::filesystem::path NewModelsDir(const std::string& tag);

// Bearer tokens on the test allow-list (TestAllowListFile): one with write
// access ("test-writer"), one with read access only ("test-reader").
inline constexpr char kTestWriteToken[] = "test-write-token-0123456789";
inline constexpr char kTestReadToken[] = "test-read-token-0123456789";

// An allow-list file holding the two tokens above (created once per test
// binary, removed at exit).
const std::string& TestAllowListFile();

// Adds "authorization: Bearer <kTestWriteToken>" to `context` (for writes).
void AddWriteToken(grpc::ClientContext* context);

// Options for an in-process server on loopback, ports picked by the kernel,
// polling off (tests call model_source().PollNow()), TestAllowListFile() as
// the allow-list (reads open).
PcsServerOptions TestServerOptions(const std::string& models_dir,
                                   bool enable_phase5);

// A stub over a real channel to `server`.
std::unique_ptr<v1::PatternConfidence::Stub> StubFor(const PcsServer& server);

// Puts the stored pattern `id` back to lifecycle_state 'detected', so that a
// permitted EvaluatePattern moves it again.
void ResetToDetected(const std::string& id);

// The stored pattern `id` (with its rule criteria and key points), its bars
// up to the confirmation day and the market proxy's (DIA) as a ScoreInline
// request, read from the seeded database: scoring it inline must give what
// ScorePattern gives for `id`.
v1::ScoreInlineRequest InlineRequestFor(const std::string& id);

// Number of pattern_lifecycle_history rows with `source`.
int64_t HistoryRows(const std::string& conninfo, const std::string& source);

// Number of prediction_traces rows (the server's scored requests).
int64_t TraceRows(const std::string& conninfo);

}  // namespace pcs::testing

#endif  // PCS_TESTS_SERVER_SERVER_TEST_ENV_H_
