// The Phase 5 regression scenario's shared state and steps, in three
// files along the scenario's sections: phase5_steps_data.cc (1 ingest,
// 2 train, 3 serve), phase5_steps_serving.cc (4 score over gRPC,
// 5 evaluate), phase5_steps_monitoring.cc (6 new bars, 7 outcomes, 8 drift,
// 9 metrics). phase5_regression_test.cc runs them (RunThrough) and says
// what the scenario is.
#ifndef PCS_TESTS_REGRESSION_PHASE5_SCENARIO_H_
#define PCS_TESTS_REGRESSION_PHASE5_SCENARIO_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "pcs/v1/pattern_confidence.grpc.pb.h"
#include "server/pcs_server.h"

namespace pcs::phase5 {

namespace fs = std::filesystem;

constexpr char kCutoff[] = "2017-01-01";      // truncated files end before this
constexpr char kRecentFrom[] = "2016-07-01";  // patterns "served" at the cutoff
constexpr char kVersion[] = "20170102T000000Z";
constexpr int kMaxRounds = 20;

constexpr int kSymbols = 60;
constexpr char kWriteToken[] = "regression-write-token-0123";

const std::vector<std::string>& Symbols();

// State handed from step to step (steps run in order, see RunThrough).
struct Scenario {
  fs::path root;
  std::string conninfo;
  std::string models_dir;
  std::string reports_dir;
  std::vector<std::string> unresolved_at_cutoff;  // ids, sorted
  std::vector<std::string>
      recent;  // confirmed since kRecentFrom (incl. unresolved)
  bool trained = false;
  nlohmann::json card;
  std::unique_ptr<PcsServer> server;
  std::unique_ptr<v1::PatternConfidence::Stub> stub;
  std::vector<std::string> scored_ids;  // ML-scored over gRPC (traced)
  std::string evaluated_id;
  int accuracy_rows_before = -1;  // rolling accuracy rows before the new bars
  bool new_bars = false;
  bool outcomes = false;
};

// The scenario of this process (set up by the test suite).
extern Scenario* s;

// `pcs --database-url <the scenario's> args...`.
std::vector<std::string> PcsArgs(std::vector<std::string> args);
// The one number `sql` returns.
int64_t Count(const std::string& sql);

// The steps, in order; each expects the ones before it to have run.
void Step1();
void Step2();
void Step3();
void Step4();
void Step5();
void Step6();
void Step7();
void Step8();
void Step9();

}  // namespace pcs::phase5

#endif  // PCS_TESTS_REGRESSION_PHASE5_SCENARIO_H_
