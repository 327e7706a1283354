// model/model_card: the typed card reader, reference rows and CHAMPION.
#include "model/model_card.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

Json GoodCard() {
  return {{"version", "20260101T000000Z"},
          {"status", "champion"},
          {"gate", {{"passed", false}, {"reason", "rejected: lift"}}},
          {"model_file", "model.json"},
          {"model_sha256", "abc"},
          {"reference_rows_file", "reference_rows.json"},
          {"feature_schema",
           {{"version", "features-v1"}, {"hash", "h"}, {"names", {"a", "b"}}}},
          {"calibration",
           {{"method", "isotonic"}, {"x", {0.1, 0.9}}, {"y", {0.2, 0.8}}}},
          {"serving", {{"decision_threshold", 0.6}, {"blend_weight", 0.25}}},
          {"metrics", {{"test_auc", 0.61}, {"holdout", {{"ece", 0.02}}}}},
          {"type_base_rates", {{"__all__", 0.3}}},
          {"trained_at", "2026-01-01T00:00:00Z"},
          {"code_version", "deadbeef"}};
}

TEST(ModelCardTest, ReadsEveryTypedField) {
  auto card = ParseModelCard(GoodCard());
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(card->model_file, "model.json");
  EXPECT_EQ(card->feature_schema_hash, "h");
  EXPECT_THAT(card->feature_names, ::testing::ElementsAre("a", "b"));
  EXPECT_DOUBLE_EQ(card->decision_threshold, 0.6);
  EXPECT_DOUBLE_EQ(card->blend_weight, 0.25);
  EXPECT_EQ(card->gate_passed, false);
  EXPECT_EQ(card->gate_reason, "rejected: lift");
  EXPECT_EQ(card->trained_at, "2026-01-01T00:00:00Z");
  EXPECT_EQ(card->top_level_metrics.size(),
            1u);  // nested holdout is not a number
  EXPECT_DOUBLE_EQ(card->top_level_metrics.at("test_auc"), 0.61);
  EXPECT_DOUBLE_EQ(card->type_base_rates.at("__all__"), 0.3);
}

TEST(ModelCardTest, OptionalFieldsDefault) {
  Json j = GoodCard();
  for (const char* key : {"serving", "gate", "metrics", "trained_at", "status"})
    j.erase(key);
  j["code_version"] = nullptr;  // null counts as absent
  auto card = ParseModelCard(j);
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_DOUBLE_EQ(card->decision_threshold, 0.5);
  EXPECT_DOUBLE_EQ(card->blend_weight, 0.5);
  EXPECT_FALSE(card->gate_passed.has_value());
  EXPECT_EQ(card->trained_at, "");
}

// Each wrong shape is an INVALID_ARGUMENT naming the field; none throws.
TEST(ModelCardTest, WrongTypesNameTheField) {
  struct Case {
    const char* pointer;  // JSON pointer of the field to replace
    Json value;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"/serving/decision_threshold", "0.6",
       "serving.decision_threshold must be a number"},
      {"/serving/decision_threshold", 1.5,
       "serving.decision_threshold must lie in [0, 1]"},
      {"/serving/blend_weight", true, "serving.blend_weight must be a number"},
      {"/serving", Json::array(), "serving must be an object"},
      {"/trained_at", 20260101, "trained_at must be a string"},
      {"/code_version", Json::object(), "code_version must be a string"},
      {"/gate/reason", 3, "gate.reason must be a string"},
      {"/gate/passed", "yes", "gate.passed must be a boolean"},
      {"/gate", 1, "gate must be an object"},
      {"/model_file", 1, "model_file must be a string"},
      {"/model_file", "", "model_file is empty"},
      {"/model_file", "../../etc/passwd",
       "model_file must be a plain file name"},
      {"/reference_rows_file", "/abs",
       "reference_rows_file must be a plain file name"},
      {"/model_sha256", Json::array(), "model_sha256 must be a string"},
      {"/feature_schema", "h", "feature_schema must be an object"},
      {"/feature_schema/hash", 1, "feature_schema.hash must be a string"},
      {"/feature_schema/names", Json::array({1}),
       "feature_schema.names[] must be a string"},
      {"/calibration", "isotonic", "calibration must be an object"},
      {"/metrics", 0.7, "metrics must be an object"},
      {"/type_base_rates/__all__", "0.3",
       "type_base_rates.__all__ must be a number"},
      {"/type_base_rates", Json::array(), "type_base_rates must be an object"},
      {"/feature_reference", 1, "feature_reference must be an object"},
      {"/data_vintage", "x", "data_vintage must be an object"},
  };
  for (const Case& c : cases) {
    Json j = GoodCard();
    j[Json::json_pointer(c.pointer)] = c.value;
    auto card = ParseModelCard(j);
    ASSERT_FALSE(card.ok()) << c.pointer;
    EXPECT_EQ(card.status().code(), absl::StatusCode::kInvalidArgument)
        << c.pointer;
    EXPECT_THAT(card.status().message(), HasSubstr(c.message)) << c.pointer;
  }
  for (const char* key : {"model_file", "model_sha256", "reference_rows_file",
                          "feature_schema", "calibration"}) {
    Json j = GoodCard();
    j.erase(key);
    auto card = ParseModelCard(j);
    ASSERT_FALSE(card.ok()) << key;
    EXPECT_THAT(card.status().message(),
                HasSubstr(absl::StrCat(key, " is missing")));
  }
}

TEST(ModelCardTest, TextThatIsNotACardObject) {
  EXPECT_THAT(ParseModelCardText("{\"a\":").status().message(),
              HasSubstr("not valid JSON"));
  EXPECT_THAT(ParseModelCardText("[1]").status().message(),
              HasSubstr("must be a JSON object"));
  EXPECT_THAT(ParseModelCardText("\"x\"").status().message(),
              HasSubstr("must be a JSON object"));
  EXPECT_TRUE(ParseModelCardText(GoodCard().dump()).ok());
  // Deep nesting is refused before parsing (copies of nlohmann::json recurse).
  EXPECT_THAT(ParseModelCardText(std::string(100000, '[')).status().message(),
              HasSubstr("nested deeper than 64"));
  EXPECT_TRUE(
      ParseModelCardText(
          "{\"a\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
          "[[[[[[[[[[[[[[[[[[[[[[[[[\"}")
          .status()
          .message()
          .find("nested") == absl::string_view::npos);
}

TEST(ModelCardTest, ReferenceRowsAreTyped) {
  Json good = {{"rows",
                {{{"features", {1.0, nullptr}},
                  {"margin", 0.1},
                  {"probability", 0.5}}}}};
  auto rows = ParseReferenceRows(good, 2);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_TRUE(std::isnan((*rows)[0].features[1]));
  for (const char* pointer :
       {"/rows/0/margin", "/rows/0/probability", "/rows/0/features/0",
        "/rows/0/features", "/rows/0"}) {
    Json j = good;
    j[Json::json_pointer(pointer)] = "0.1";
    auto bad = ParseReferenceRows(j, 2);
    ASSERT_FALSE(bad.ok()) << pointer;
    EXPECT_THAT(bad.status().message(), HasSubstr("reference_rows.json row 0"))
        << pointer;
  }
  EXPECT_FALSE(ParseReferenceRows(good, 3).ok());  // wrong width
  EXPECT_FALSE(ParseReferenceRows(Json{{"rows", Json::array()}}, 2).ok());
  EXPECT_FALSE(ParseReferenceRows(Json::array(), 2).ok());
  EXPECT_FALSE(ParseReferenceRows(Json{{"rows", 1}}, 2).ok());
}

class ChampionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pcs_champion_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& text) {
    std::ofstream(dir_ / "CHAMPION") << text;
  }
  fs::path dir_;
};

TEST_F(ChampionTest, ReadsOneVersionName) {
  auto none = ReadChampion(dir_.string());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  Write("  20260101T000000Z \nignored\n");
  auto c = ReadChampion(dir_.string());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->value_or(""), "20260101T000000Z");
}

TEST_F(ChampionTest, RefusesEmptyAndPathLikeContent) {
  const std::vector<std::string> texts = {
      "", "\n", "   ", "../other", "a/b", "..", std::string(300, 'v')};
  for (const std::string& text : texts) {
    Write(text);
    auto c = ReadChampion(dir_.string());
    EXPECT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition) << text;
  }
}

TEST(ModelFolderTest, MissingFolderIsAnErrorNotACrash) {
  auto m = ReadModelFolder("/nonexistent/pcs/20260101T000000Z", "h", 2);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(),
              HasSubstr("model version 20260101T000000Z"));
  EXPECT_THAT(m.status().message(), HasSubstr("model_card.json is missing"));
}

}  // namespace
}  // namespace pcs
