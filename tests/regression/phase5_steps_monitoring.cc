// Phase 5 regression steps 6-9 (see phase5_regression_test.cc): new bars,
// outcomes joined to the served predictions, rolling accuracy and a drift
// alert, the server's metrics.
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

// Rolling accuracy rows of a `pcs drift` run (JSON written to `json_out`).
static int AccuracyRows(const nlohmann::json& report) {
  const nlohmann::json& windows = report["accuracy"]["windows"];
  return windows.is_array() && !windows.empty() ? windows[0].value("rows", -1)
                                                : -1;
}

// 6. New bars arrive: the full files (through 2018) go in with `pcs ingest`.
// Before that, the rolling accuracy covers only the scored patterns that
// were already resolved at the cutoff.
void Step6() {
  ASSERT_FALSE(s->unresolved_at_cutoff.empty()) << "step 1 failed";
  ASSERT_FALSE(s->scored_ids.empty()) << "step 4 failed";
  const fs::path before_json = s->root / "drift_before.json";
  const testing::CommandResult before =
      RunProgram(PcsArgs({"drift", "--models-dir", s->models_dir, "--as-of",
                          "2016-12-30", "--window-days", "1000", "--no-record",
                          "--json-out", before_json.string()}));
  ASSERT_EQ(before.exit_code, 0) << before.output;
  std::ifstream before_in(before_json);
  s->accuracy_rows_before =
      AccuracyRows(nlohmann::json::parse(before_in, nullptr, false));
  EXPECT_EQ(s->accuracy_rows_before,
            Count("SELECT count(DISTINCT h.pattern_id) FROM "
                  "prediction_traces h JOIN "
                  "pattern_events e ON e.id = h.pattern_id WHERE "
                  "e.outcome_label IS NOT NULL"));
  EXPECT_GT(s->accuracy_rows_before, 0);

  std::vector<std::string> args = {"ingest", "--totals-only"};
  for (const std::string& symbol : Symbols())
    args.push_back(testing::SharedOhlcvFile(symbol));
  args.push_back(testing::SharedOhlcvFile("DIA"));
  const testing::CommandResult ingest = RunProgram(PcsArgs(args));
  std::printf("[step6] pcs ingest exit %d\n%s\n", ingest.exit_code,
              ingest.output.c_str());
  ASSERT_EQ(ingest.exit_code, 0) << ingest.output;
  EXPECT_EQ(QueryScalar(s->conninfo, "SELECT max(day)::text FROM price_bars"),
            "2018-12-31");
  EXPECT_EQ(Count("SELECT count(DISTINCT symbol) FROM price_bars WHERE day >= "
                  "'2017-01-01'"),
            kSymbols + 1);
  s->new_bars = true;
}

// 7. `pcs outcomes`: unresolved patterns resolve on the new bars; the
// server's predictions are joined to their outcomes.
void Step7() {
  ASSERT_TRUE(s->new_bars) << "step 6 failed";
  ASSERT_FALSE(s->scored_ids.empty()) << "step 4 failed";
  const testing::CommandResult run =
      RunProgram(PcsArgs({"outcomes", "--json"}));
  std::printf("[step7] pcs outcomes exit %d\n%s\n", run.exit_code,
              run.output.c_str());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json report = LastJsonObject(run.output);
  ASSERT_TRUE(report.is_object()) << run.output;

  // Every pattern unresolved at the cutoff has its outcome now: its 40-bar
  // horizon ends within two years of new bars.
  const std::string ids =
      absl::StrCat("('", absl::StrJoin(s->unresolved_at_cutoff, "','"), "')");
  EXPECT_EQ(Count(absl::StrCat(
                "SELECT count(*) FROM pattern_events WHERE id IN ", ids,
                " AND outcome_label IS NULL AND exit_reason IS NULL")),
            0);
  const int64_t labeled =
      Count(absl::StrCat("SELECT count(*) FROM pattern_events WHERE id IN ",
                         ids, " AND outcome_label IS NOT NULL"));
  EXPECT_GT(labeled, 0);
  EXPECT_EQ(report.value("unresolved_before", int64_t{-1}),
            static_cast<int64_t>(s->unresolved_at_cutoff.size()));
  EXPECT_GT(report.value("patterns_inserted", int64_t{0}), 0)
      << "no pattern on 2017-2018 bars";

  // Predictions joined: every trace of a labeled pattern carries it.
  const int64_t joined = report.value("predictions_joined", int64_t{-1});
  EXPECT_EQ(joined, Count("SELECT count(*) FROM prediction_traces h JOIN "
                          "pattern_events "
                          "e ON e.id = h.pattern_id WHERE "
                          "e.outcome_label IS NOT NULL"));
  EXPECT_GE(joined, labeled);  // at least one traced score per labeled pattern
  EXPECT_EQ(Count("SELECT count(*) FROM prediction_traces h JOIN "
                  "pattern_events e ON "
                  "e.id = h.pattern_id WHERE "
                  "e.outcome_label IS NOT "
                  "NULL AND h.actual_outcome IS DISTINCT FROM e.outcome_label"),
            0);
  // The evaluated pattern's lifecycle went on from the evaluate decision
  // (checked only when step 5 persisted one; step 5 fails otherwise).
  if (!s->evaluated_id.empty()) {
    const std::string of =
        absl::StrCat("FROM pattern_lifecycle_history WHERE pattern_id = '",
                     s->evaluated_id, "'");
    // A 'rejected' decision is terminal: nothing may follow it. A confirm
    // decision goes on to the outcome state once the outcome resolves.
    const int64_t after_evaluate = Count(absl::StrCat(
        "SELECT count(*) ", of,
        " AND source IN ('outcomes', 'backfill') AND recorded_at > "
        "(SELECT recorded_at ",
        of, " AND source = 'evaluate')"));
    const int64_t rejected = Count(
        absl::StrCat("SELECT count(*) ", of,
                     " AND source = 'evaluate' AND to_state = 'rejected'"));
    if (rejected > 0) {
      EXPECT_EQ(after_evaluate, 0)
          << "a transition was written after a terminal rejection";
    } else {
      EXPECT_GE(after_evaluate, 1);
    }
    // Its history is one chain: each row starts where the previous ended,
    // and pattern_events holds the last state.
    pqxx::connection conn(s->conninfo);
    pqxx::read_transaction tx(conn);
    std::string chain, last;
    for (const auto& row : tx.exec_params(
             "SELECT coalesce(from_state, ''), to_state, source FROM "
             "pattern_lifecycle_history WHERE pattern_id = $1 "
             "ORDER BY recorded_at, id",
             s->evaluated_id)) {
      absl::StrAppend(&chain, row[0].c_str(), "->", row[1].c_str(), " (",
                      row[2].c_str(), ") ");
      EXPECT_EQ(row[0].as<std::string>(), last) << chain;
      last = row[1].as<std::string>();
    }
    std::printf("[step7] history of %s: %s\n", s->evaluated_id.c_str(),
                chain.c_str());
    EXPECT_EQ(tx.exec_params1(
                    "SELECT lifecycle_state FROM pattern_events WHERE id = $1",
                    s->evaluated_id)[0]
                  .as<std::string>(),
              last);
  }
  // Idempotent: a second run resolves and joins nothing new.
  const testing::CommandResult again =
      RunProgram(PcsArgs({"outcomes", "--json"}));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(
      LastJsonObject(again.output).value("predictions_joined", int64_t{-1}), 0);
  s->outcomes = true;
}

// 8. `pcs drift`: rolling accuracy of the served predictions and a drift
// alert delivered to a real HTTP receiver on 127.0.0.1.
void Step8() {
  ASSERT_TRUE(s->outcomes) << "step 7 failed";
  testing::WebhookReceiver receiver;
  const fs::path json_out = s->root / "drift.json";
  const fs::path textfile = s->root / "drift.prom";
  const testing::CommandResult run = RunProgram(PcsArgs(
      {"drift", "--models-dir", s->models_dir, "--since", "2017-01-01",
       "--until", "2018-12-31", "--as-of", "2018-12-31", "--window-days",
       "1000", "--webhook", receiver.url(), "--webhook-attempts", "2",
       "--json-out", json_out.string(), "--textfile", textfile.string()}));
  std::printf("[step8] pcs drift exit %d\n%s\n", run.exit_code,
              run.output.c_str());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::ifstream in(json_out);
  const nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report.value("model_version", ""), kVersion);
  EXPECT_GE(report.value("patterns", 0), 50);

  // Rolling accuracy: recompute the time window from SQL (latest server row
  // per resolved pattern, as db/prediction_trace_store.h defines).
  const nlohmann::json& windows = report["accuracy"]["windows"];
  ASSERT_TRUE(windows.is_array());
  ASSERT_EQ(windows.size(), 2u);
  // ML-confirmed = ml >= the served policy's threshold (issue 18).
  const double threshold = s->card["policy"].value("threshold", -1.0);
  ASSERT_GE(threshold, 0.0);
  pqxx::connection conn(s->conninfo);
  pqxx::read_transaction tx(conn);
  const pqxx::result rows = tx.exec(
      "SELECT DISTINCT ON (h.pattern_id) h.ml_confidence, e.outcome_label FROM "
      "prediction_traces h JOIN pattern_events e ON e.id = "
      "h.pattern_id WHERE "
      "e.outcome_label IS NOT NULL ORDER BY "
      "h.pattern_id, "
      "h.recorded_at DESC, h.id DESC");
  int positives = 0, confirmed = 0, true_positives = 0;
  for (const auto& row : rows) {
    const int label = row[1].as<int>();
    positives += label;
    if (row[0].as<double>() >= threshold) {
      ++confirmed;
      true_positives += label;
    }
  }
  bool saw_time_window = false;
  for (const nlohmann::json& w : windows) {
    SCOPED_TRACE(w.dump());
    EXPECT_EQ(w.value("rows", -1), static_cast<int>(rows.size()));
    EXPECT_EQ(w.value("scored_rows", -1), static_cast<int>(rows.size()));
    EXPECT_EQ(w.value("fallback_rows", -1), 0);
    EXPECT_EQ(w.value("positives", -1), positives);
    EXPECT_EQ(w["ml"].value("confirmed", -1), confirmed);
    EXPECT_EQ(w["ml"].value("true_positives", -1), true_positives);
    if (confirmed > 0) {
      EXPECT_NEAR(w["ml"].value("precision", -1.0),
                  static_cast<double>(true_positives) / confirmed, 1e-9);
    }
    ASSERT_TRUE(w["brier"].is_number());
    EXPECT_GE(w["brier"].get<double>(), 0.0);
    EXPECT_LE(w["brier"].get<double>(), 1.0);
    saw_time_window |= w.value("window", "") == "1000d";
  }
  EXPECT_TRUE(saw_time_window);
  // The accuracy grew by exactly the scored patterns that resolved with a
  // label on the new bars.
  const std::string open_ids =
      absl::StrCat("('", absl::StrJoin(s->unresolved_at_cutoff, "','"), "')");
  EXPECT_EQ(
      AccuracyRows(report),
      s->accuracy_rows_before +
          Count(absl::StrCat("SELECT count(*) FROM pattern_events WHERE id IN ",
                             open_ids, " AND outcome_label IS NOT NULL")));
  std::printf(
      "[step8] rolling accuracy: %zu resolved scored patterns, %d positive, ML "
      "confirmed %d (%d true)\n",
      rows.size(), positives, confirmed, true_positives);

  // The alert reached the receiver, and the run is on record.
  EXPECT_TRUE(report.value("alert", false));
  EXPECT_EQ(report.value("alert_outcome", ""), "sent");
  const std::vector<std::string> bodies = receiver.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  const nlohmann::json alert = nlohmann::json::parse(bodies[0], nullptr, false);
  ASSERT_TRUE(alert.is_object()) << bodies[0];
  EXPECT_NE(bodies[0].find(kVersion), std::string::npos) << bodies[0];
  const int64_t run_id = report.value("run_id", int64_t{0});
  EXPECT_GT(run_id, 0);
  EXPECT_EQ(Count(absl::StrCat(
                "SELECT count(*) FROM monitoring_runs WHERE id = ", run_id)),
            1);
  // The Prometheus textfile carries the drift and accuracy gauges.
  std::ifstream prom(textfile);
  const std::string text((std::istreambuf_iterator<char>(prom)), {});
  for (const char* metric : {"pcs_drift_psi{", "pcs_rolling_precision{",
                             "pcs_drift_alerts_total{"}) {
    EXPECT_NE(text.find(metric), std::string::npos) << metric << " missing:\n"
                                                    << text;
  }
}

// The server saw the traffic: /metrics counts the requests made above.
void Step9() {
  ASSERT_TRUE(s->server) << "step 3 failed";
  httplib::Client client("127.0.0.1", s->server->metrics_port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res) << "no /metrics answer";
  ASSERT_EQ(res->status, 200);
  // One EvaluatePattern call was made (its code depends on step 5).
  // Labels in alphabetical order of label name:
  // {code=...,entrypoint=...,method=...}.
  int evaluate_calls = 0;
  std::istringstream lines(res->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("pcs_requests_total{code=\"", 0) != 0) continue;
    const size_t end =
        line.find(",entrypoint=\"grpc\",method=\"EvaluatePattern\"} ");
    if (end == std::string::npos) continue;
    evaluate_calls += std::stoi(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_EQ(evaluate_calls, 1);
  for (const char* line :
       {"pcs_requests_total{code=\"OK\",entrypoint=\"grpc\",method="
        "\"ScoreBatch\"} 1",
        "pcs_requests_total{code=\"NOT_FOUND\",entrypoint=\"grpc\",method="
        "\"ScorePattern\"} 1",
        "pcs_requests_total{code=\"INVALID_ARGUMENT\",entrypoint=\"grpc\","
        "method=\"ScorePattern\"} 1"}) {
    EXPECT_NE(res->body.find(line), std::string::npos) << line << "\n"
                                                       << res->body;
  }
  EXPECT_NE(res->body.find(absl::StrCat(",version=\"", kVersion, "\"} 1\n")),
            std::string::npos);
}

}  // namespace pcs::phase5
