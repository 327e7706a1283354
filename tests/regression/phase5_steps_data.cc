// Phase 5 regression steps 1-3 (see phase5_regression_test.cc): real
// files in, patterns backfilled, a model trained, gated and published, and
// the server serving it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "features/feature_builder.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "ingest/ingester.h"
#include "nlohmann/json.hpp"
#include "pcs/v1/pattern_confidence.grpc.pb.h"
#include "pipeline/backfill_job.h"
#include "pqxx/pqxx"
#include "server/pcs_server.h"
#include "tests/monitoring/webhook_receiver.h"
#include "tests/regression/phase5_scenario.h"
#include "tests/regression/regression_env.h"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/test_database.h"

namespace pcs::phase5 {

using testing::LastJsonObject;
using testing::QueryScalar;
using testing::RunProgram;

// 1. Truncated real files -> price_bars -> pattern_events.
void Step1() {
  std::vector<std::string> all = Symbols();
  all.push_back("DIA");
  for (const std::string& symbol : all) {
    auto lines = testing::WriteTruncatedCsv(testing::SharedOhlcvDir(), symbol,
                                            kCutoff, s->root / "truncated");
    ASSERT_TRUE(lines.ok()) << lines.status();
    ASSERT_GT(*lines, 4000) << symbol;
  }
  {
    pqxx::connection conn(s->conninfo);
    auto ingested =
        Ingester(conn, IngestOptions{}).Run({(s->root / "truncated").string()});
    ASSERT_TRUE(ingested.ok()) << ingested.status();
  }
  ASSERT_EQ(static_cast<int>(Symbols().size()), kSymbols);
  EXPECT_EQ(Count("SELECT count(DISTINCT symbol) FROM price_bars"),
            kSymbols + 1);
  EXPECT_EQ(QueryScalar(s->conninfo, "SELECT max(day)::text FROM price_bars"),
            "2016-12-30");

  BackfillOptions backfill;
  backfill.conninfo = s->conninfo;
  auto run = RunBackfill(backfill);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(run->failures.empty()) << run->failures.front();
  ASSERT_GT(run->patterns, 500);
  EXPECT_EQ(Count("SELECT count(*) FROM pattern_events WHERE symbol = 'DIA'"),
            0);
  EXPECT_GE(Count("SELECT count(*) FROM pattern_lifecycle_history WHERE source "
                  "= 'backfill'"),
            run->patterns);

  // Patterns confirmed too close to the cutoff have no outcome yet.
  pqxx::connection conn(s->conninfo);
  pqxx::read_transaction tx(conn);
  for (const auto& row :
       tx.exec("SELECT id FROM pattern_events WHERE outcome_label IS NULL "
               "AND exit_reason IS NULL ORDER BY id")) {
    s->unresolved_at_cutoff.push_back(row[0].c_str());
  }
  for (const auto& row :
       tx.exec(absl::StrCat("SELECT id FROM pattern_events WHERE "
                            "confirmation_date >= '",
                            kRecentFrom, "' ORDER BY id"))) {
    s->recent.push_back(row[0].c_str());
  }
  std::printf(
      "[step1] %lld patterns stored, %zu confirmed since %s, %zu unresolved at "
      "the "
      "cutoff\n",
      static_cast<long long>(run->patterns), s->recent.size(), kRecentFrom,
      s->unresolved_at_cutoff.size());
  EXPECT_GE(s->recent.size(), 30u);
  EXPECT_GE(s->unresolved_at_cutoff.size(), 5u);
}

// 2. `pcs train`: features, XGBoost, calibration, walk-forward evaluation
// (3 folds), the promotion gate, the refit, atomic publish of
// models/phase5/<version>/ and a report.
void Step2() {
  ASSERT_FALSE(s->unresolved_at_cutoff.empty()) << "step 1 failed";
  const fs::path config = s->root / "train.json";
  std::ofstream(config) << nlohmann::json{
      {"walk_forward",
       {{"test_starts", {"2011-01-01", "2013-01-01", "2015-01-01"}},
        {"test_end", "2016-12-31"},
        {"validation_years", 2}}},
      {"grid", {{"max_depth", {2}}, {"eta", {0.3}}, {"min_child_weight", {5}}}},
      // Every bar open (this run proves the pipeline, not the model).
      {"policy", {{"min_precision_diff_ci_low", -1.0}}},
      {"gate",
       {{"coverage_row", "30%"},
        {"min_tp_lift", -1.0},
        {"min_tp_lift_ci_low", -2.0},
        {"min_precision_diff", -1.0},
        {"min_precision_diff_ci_low", -1.0},
        {"min_coverage_lift_ci_low", -2.0},
        {"min_tp_vs_analytic_ci_low", -2.0},
        {"max_ece", 1.0}}},
      {"bootstrap_resamples", 50},
      {"shuffle_check", false}}.dump(2);
  const testing::CommandResult train = RunProgram(PcsArgs(
      {"train", "--config", config.string(), "--models-dir", s->models_dir,
       "--reports-dir", s->reports_dir, "--version", kVersion, "--max-rounds",
       std::to_string(kMaxRounds), "--no-shuffle-check", "--threads", "2"}));
  std::printf("[step2] pcs train exit %d\n%s\n", train.exit_code,
              train.output.c_str());
  ASSERT_EQ(train.exit_code, 0) << train.output;

  const fs::path dir = fs::path(s->models_dir) / kVersion;
  for (const char* file :
       {"model.json", "model_card.json", "reference_rows.json"}) {
    ASSERT_TRUE(fs::exists(dir / file)) << file;
  }
  std::ifstream card_in(dir / "model_card.json");
  s->card = nlohmann::json::parse(card_in, nullptr, false);
  ASSERT_TRUE(s->card.is_object());
  EXPECT_EQ(s->card.value("version", ""), kVersion);
  // The gate decision is recorded in the card.
  ASSERT_TRUE(s->card.contains("gate"));
  EXPECT_TRUE(s->card["gate"].value("passed", false)) << s->card["gate"].dump();
  EXPECT_EQ(s->card["gate"].value("reason", "").rfind("promoted: ", 0), 0u)
      << s->card["gate"].dump();
  EXPECT_EQ(s->card.value("status", ""), "champion");
  EXPECT_EQ(s->card["feature_schema"].value("hash", ""),
            FeatureBuilder::Schema().hash);
  // Published as champion: CHAMPION names it, the history has one line.
  std::ifstream champion(fs::path(s->models_dir) / "CHAMPION");
  std::string champion_version;
  champion >> champion_version;
  EXPECT_EQ(champion_version, kVersion);
  std::ifstream history(fs::path(s->models_dir) / "champion_history.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(history, line));
  EXPECT_NE(line.find(kVersion), std::string::npos) << line;
  EXPECT_TRUE(fs::exists(fs::path(s->reports_dir) / kVersion))
      << "no report folder";
  s->trained = true;
}

// 3. The server loads the champion and reports it.
void Step3() {
  ASSERT_TRUE(s->trained) << "step 2 failed";
  PcsServerOptions options;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "127.0.0.1:0";
  options.database_url = s->conninfo;
  options.models_dir = s->models_dir;
  options.enable_phase5 = true;
  options.poll_period = absl::ZeroDuration();
  options.threads = 2;
  // EvaluatePattern (step 5) is a write: it needs a token on the allow-list.
  options.allow_list_file = (s->root / "allow-list").string();
  {
    std::ofstream allow(options.allow_list_file);
    allow << "write token regression " << kWriteToken << "\n";
  }
  auto server = PcsServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  s->server = std::move(*server);
  s->stub = v1::PatternConfidence::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", s->server->grpc_port()),
                          grpc::InsecureChannelCredentials()));

  grpc::ClientContext ctx;
  v1::GetServingStatusResponse status;
  ASSERT_TRUE(s->stub->GetServingStatus(&ctx, {}, &status).ok());
  EXPECT_TRUE(status.database_reachable());
  EXPECT_TRUE(status.phase5_enabled());
  EXPECT_EQ(status.serving_version(), kVersion);

  grpc::ClientContext describe_ctx;
  v1::DescribeModelResponse model;
  ASSERT_TRUE(s->stub->DescribeModel(&describe_ctx, {}, &model).ok());
  EXPECT_EQ(model.version(), kVersion);
  EXPECT_EQ(model.feature_schema().hash(), FeatureBuilder::Schema().hash);
  EXPECT_GT(model.num_trees(), 0);
  EXPECT_LE(model.num_trees(), kMaxRounds);
  EXPECT_EQ(model.gate_reason(), s->card["gate"].value("reason", ""));
}

}  // namespace pcs::phase5
