#include "model/model_card_writer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/model_card.h"

namespace pcs {
namespace {

ModelCardDraft Draft() {
  ModelCardDraft d;
  d.feature_schema_version = "features-v9";
  d.feature_schema_hash = "h9";
  d.feature_names = {"a", "b"};
  d.calibration = {
      {"method", "isotonic"}, {"x", {0.1, 0.9}}, {"y", {0.2, 0.8}}};
  d.calibration_fitted_on = "validation rows";
  d.decision_threshold = 0.5;
  d.blend_weight = 0.25;
  d.type_base_rates = {{"__all__", 0.3}, {"double_top", 0.4}};
  d.code_version = "deadbeef";
  d.trained_at = "2026-01-01T00:00:00Z";
  d.reproduce = "pcs train";
  d.metrics = {{"walk_forward", {{"ece", 0.02}}}};
  return d;
}

// What the writer writes, the reader reads back field by field.
TEST(ModelCardWriterTest, TheReaderReadsWhatTheWriterWrote) {
  ModelCardDraft d = Draft();
  DecisionPolicy policy;
  policy.blend_weight = 0.75;
  policy.threshold = 0.41;
  policy.chosen_on = "pooled out-of-sample";
  policy.procedure = "bootstrap plateau";
  d.policy = policy;
  nlohmann::json card = ModelCardJson(d);
  AddPublication({"20260101T000000Z",
                  "champion",
                  {{"passed", true}, {"reason", "promoted"}},
                  "model.json",
                  "abc",
                  "reference_rows.json",
                  "def"},
                 card);
  absl::StatusOr<ModelCard> read = ParseModelCard(card);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->version, "20260101T000000Z");
  EXPECT_EQ(read->status, "champion");
  EXPECT_EQ(read->model_file, "model.json");
  EXPECT_EQ(read->model_sha256, "abc");
  EXPECT_EQ(read->reference_rows_sha256, "def");
  EXPECT_EQ(read->feature_schema_version, "features-v9");
  EXPECT_EQ(read->feature_schema_hash, "h9");
  EXPECT_THAT(read->feature_names, ::testing::ElementsAre("a", "b"));
  EXPECT_EQ(read->calibration["fitted_on"], "validation rows");
  EXPECT_DOUBLE_EQ(read->blend_weight, 0.25);
  ASSERT_TRUE(read->policy.has_value());
  EXPECT_DOUBLE_EQ(read->policy->threshold, 0.41);
  EXPECT_DOUBLE_EQ(read->Served().blend_weight, 0.75);
  EXPECT_EQ(read->gate_passed, true);
  EXPECT_DOUBLE_EQ(read->type_base_rates.at("double_top"), 0.4);
  EXPECT_EQ(read->code_version, "deadbeef");
  EXPECT_EQ(read->raw["reproduce"], "pcs train");
}

TEST(ModelCardWriterTest, NoPolicyWritesNoPolicyKey) {
  const nlohmann::json card = ModelCardJson(Draft());
  EXPECT_FALSE(card.contains("policy"));
  EXPECT_TRUE(card.contains("serving"));
}

}  // namespace
}  // namespace pcs
