// Phase 5 regression steps 4-5 (see phase5_regression_test.cc): scores by
// id over gRPC, and EvaluatePattern's persisted lifecycle transition.
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

// Checks one ML score: confidence present, blend formula, contributions.
static void ExpectConsistentScore(const v1::ScoreResponse& r,
                                  double blend_weight) {
  SCOPED_TRACE(r.pattern_id());
  ASSERT_TRUE(r.has_ml_confidence()) << "fallback: " << r.fallback_reason();
  EXPECT_EQ(r.fallback_reason(), "");
  EXPECT_EQ(r.model_version(), kVersion);
  EXPECT_GE(r.ml_confidence(), 0.0);
  EXPECT_LE(r.ml_confidence(), 1.0);
  EXPECT_DOUBLE_EQ(r.ml_weight_used(), blend_weight);
  EXPECT_NEAR(r.blended_confidence(),
              blend_weight * r.ml_confidence() +
                  (1 - blend_weight) * r.rule_confidence(),
              1e-9);
  EXPECT_EQ(r.decision(), r.blended_confidence() >= r.decision_threshold()
                              ? "confirm"
                              : "reject");
}

// 4. Score by id over gRPC.
void Step4() {
  ASSERT_TRUE(s->server) << "step 3 failed";
  // The server blends by the card's decision policy (issue 18).
  ASSERT_TRUE(s->card.contains("policy")) << "no policy in the card";
  const double blend_weight = s->card["policy"].value("blend_weight", -1.0);
  ASSERT_GE(blend_weight, 0.0);

  // Every pattern confirmed in the last six months, including those still
  // unresolved at the cutoff, in one batch (traced).
  grpc::ClientContext batch_ctx;
  v1::ScoreBatchRequest batch;
  for (const std::string& id : s->recent) batch.add_pattern_ids(id);
  v1::ScoreBatchResponse scores;
  grpc::Status st = s->stub->ScoreBatch(&batch_ctx, batch, &scores);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(scores.items_size(), batch.pattern_ids_size());
  for (const v1::ScoreBatchItem& item : scores.items()) {
    ASSERT_EQ(item.code(), 0) << item.pattern_id() << ": " << item.error();
    ExpectConsistentScore(item.response(), blend_weight);
    s->scored_ids.push_back(item.pattern_id());
  }

  // One by id with every contribution: a depth-2 model with <= 20 trees
  // splits on at most 60 features, so top_k 64 returns all non-zero ones and
  // they plus the bias must add up to the margin.
  grpc::ClientContext ctx;
  v1::ScorePatternRequest request;
  request.set_pattern_id(s->unresolved_at_cutoff.front());
  request.set_top_k(64);
  request.set_skip_trace(true);
  v1::ScoreResponse r;
  st = s->stub->ScorePattern(&ctx, request, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ExpectConsistentScore(r, blend_weight);
  ASSERT_GT(r.top_contributions_size(), 0);
  double sum = r.bias();
  std::set<std::string> features;
  for (const auto& c : r.top_contributions()) {
    sum += c.contribution();
    features.insert(c.feature());
  }
  EXPECT_EQ(features.size(), static_cast<size_t>(r.top_contributions_size()));
  EXPECT_NEAR(sum, r.margin(), 1e-4 * std::max(1.0, std::abs(r.margin())));
  for (int i = 1; i < r.top_contributions_size(); ++i) {
    EXPECT_GE(std::abs(r.top_contributions(i - 1).contribution()),
              std::abs(r.top_contributions(i).contribution()));
  }
  std::printf(
      "[step4] scored %zu patterns; %s: rule %.3f ml %.3f blended %.3f margin "
      "%.4f "
      "bias %.4f (%d contributions)\n",
      s->scored_ids.size(), r.pattern_id().c_str(), r.rule_confidence(),
      r.ml_confidence(), r.blended_confidence(), r.margin(), r.bias(),
      r.top_contributions_size());

  // Unknown ids are NOT_FOUND, malformed ones INVALID_ARGUMENT.
  grpc::ClientContext missing_ctx;
  request.set_pattern_id("0123456789abcdef");
  EXPECT_EQ(s->stub->ScorePattern(&missing_ctx, request, &r).error_code(),
            grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext bad_ctx;
  request.set_pattern_id("not-an-id");
  EXPECT_EQ(s->stub->ScorePattern(&bad_ctx, request, &r).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // The traces of the batch reach prediction_traces (written by a
  // background queue: poll with a deadline); none is lifecycle history.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int64_t traced = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    traced = Count("SELECT count(*) FROM prediction_traces");
    if (traced >= static_cast<int64_t>(s->scored_ids.size())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(traced, static_cast<int64_t>(s->scored_ids.size()));
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM prediction_traces WHERE "
                               "ml_confidence IS NULL OR model_version <> '",
                               kVersion, "' OR latency_ms IS NULL")),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM pattern_lifecycle_history WHERE "
                  "from_state = to_state AND source NOT IN ('evaluate', "
                  "'analyst')"),
            0);
}

// 5. EvaluatePattern: the lifecycle decision is applied and persisted.
void Step5() {
  ASSERT_FALSE(s->scored_ids.empty()) << "step 4 failed";
  // A pattern still open at the cutoff, as the backfill stored it (its state
  // is not edited by hand): the live case EvaluatePattern exists for.
  ASSERT_FALSE(s->unresolved_at_cutoff.empty()) << "step 1 failed";
  const std::string id = s->unresolved_at_cutoff.back();
  const std::string before = QueryScalar(
      s->conninfo,
      absl::StrCat("SELECT lifecycle_state FROM pattern_events WHERE id = '",
                   id, "'"));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kWriteToken));
  v1::EvaluatePatternRequest request;
  request.set_pattern_id(id);
  v1::EvaluatePatternResponse r;
  grpc::Status st = s->stub->EvaluatePattern(&ctx, request, &r);
  ASSERT_TRUE(st.ok()) << "EvaluatePattern on a stored '" << before
                       << "' pattern: " << st.error_message();
  ASSERT_TRUE(r.score().has_ml_confidence()) << r.score().fallback_reason();
  EXPECT_EQ(r.from_state(), before);
  EXPECT_EQ(r.to_state(),
            r.score().decision() == "confirm" ? "confirmed" : "rejected");
  std::printf(
      "[step5] %s: %s -> %s (blended %.3f, threshold %.3f), recorded %d\n",
      id.c_str(), r.from_state().c_str(), r.to_state().c_str(),
      r.score().blended_confidence(), r.score().decision_threshold(),
      r.transition_recorded());
  ASSERT_TRUE(r.transition_recorded())
      << "no transition: the stored pattern already was " << r.to_state();

  pqxx::connection conn(s->conninfo);
  pqxx::read_transaction tx(conn);
  const pqxx::result rows = tx.exec_params(
      "SELECT from_state, to_state, ml_confidence, blended_confidence, "
      "model_version "
      "FROM pattern_lifecycle_history WHERE pattern_id = $1 AND source = "
      "'evaluate'",
      id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), before);
  EXPECT_EQ(rows[0][1].as<std::string>(), r.to_state());
  EXPECT_NEAR(rows[0][2].as<double>(), r.score().ml_confidence(), 1e-12);
  EXPECT_NEAR(rows[0][3].as<double>(), r.score().blended_confidence(), 1e-12);
  EXPECT_EQ(rows[0][4].as<std::string>(), kVersion);
  const pqxx::row event = tx.exec_params1(
      "SELECT lifecycle_state, ml_confidence, model_version FROM "
      "pattern_events WHERE id = $1",
      id);
  EXPECT_EQ(event[0].as<std::string>(), r.to_state());
  EXPECT_NEAR(event[1].as<double>(), r.score().ml_confidence(), 1e-12);
  EXPECT_EQ(event[2].as<std::string>(), kVersion);
  s->evaluated_id = id;
}

}  // namespace pcs::phase5
