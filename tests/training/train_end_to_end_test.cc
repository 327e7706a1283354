// End to end on a real (embedded) PostgreSQL: ingest 5 real symbols + DIA,
// backfill, build features, train twice with few rounds (walk-forward with
// every lever: monotone, rank:pairwise, bagging), and check the published
// artifacts, the card, checksums, determinism, that every fold used only
// earlier data, and that `pcs evaluate`'s scoring path reads the refit.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/sha256.h"
#include "features/feature_builder.h"
#include "gtest/gtest.h"
#include "model/tree_ensemble.h"
#include "nlohmann/json.hpp"
#include "pipeline/data_preparation.h"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/test_database.h"
#include "training/labeled_dataset.h"
#include "training/model_scoring.h"
#include "training/operating_point.h"
#include "training/trainer.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;

nlohmann::json ReadJson(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

class TrainEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::path(::testing::TempDir()) / "train_e2e");
    fs::remove_all(*root_);
    fs::create_directories(*root_ / "data");
    for (const char* s : {"A", "AA", "AAPL", "ABC", "ABT", "DIA"}) {
      fs::copy_file(pcs::testing::SharedOhlcvFile(s),
                    *root_ / "data" / (std::string(s) + ".csv"));
    }
    conninfo_ = new std::string(pcs::testing::TestDatabase::FreshDatabase());
    PreparationOptions p;
    p.conninfo = *conninfo_;
    p.folder = (*root_ / "data").string();
    absl::StatusOr<PreparationSummary> prep = PrepareDatabase(p);
    ASSERT_TRUE(prep.ok()) << prep.status();
    ASSERT_GT(prep->resolved, 100);
    DatasetLoadOptions load;
    load.conninfo = *conninfo_;
    absl::StatusOr<LabeledDataset> ds = LoadLabeledDataset(load);
    ASSERT_TRUE(ds.ok()) << ds.status();
    dataset_ = new LabeledDataset(*std::move(ds));
  }
  static void TearDownTestSuite() {
    delete dataset_;
    delete conninfo_;
    delete root_;
  }

  static TrainerConfig SmallConfig() {
    TrainerConfig c = DefaultTrainerConfig();
    c.base.num_boost_round = 30;
    c.base.early_stopping_rounds = 10;
    c.base.nthread = 1;
    c.grid.max_depth = {3};
    c.grid.min_child_weight = {5};
    c.bootstrap_resamples = 50;
    c.candidates = {
        ModelCandidate{"logistic", "binary:logistic", false},
        ModelCandidate{"logistic_monotone", "binary:logistic", true},
        ModelCandidate{"pairwise", "rank:pairwise", false}};
    c.bagging_seeds = 2;
    return c;
  }

  static TrainRunResult Train(const std::string& name,
                              const std::string& version) {
    TrainRunOptions o;
    o.models_dir = (*root_ / name / "models").string();
    o.reports_dir = (*root_ / name / "reports").string();
    o.version = version;
    absl::StatusOr<TrainRunResult> r = TrainModel(*dataset_, SmallConfig(), o);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : TrainRunResult{};
  }

  static fs::path* root_;
  static std::string* conninfo_;
  static LabeledDataset* dataset_;
};

fs::path* TrainEndToEndTest::root_ = nullptr;
std::string* TrainEndToEndTest::conninfo_ = nullptr;
LabeledDataset* TrainEndToEndTest::dataset_ = nullptr;

TEST_F(TrainEndToEndTest, DatasetHasFeaturesForEveryResolvedPattern) {
  ASSERT_NE(dataset_, nullptr);
  EXPECT_EQ(dataset_->symbols.size(),
            5u);  // DIA is market context, not a pattern source
  EXPECT_TRUE(dataset_->market_available);
  EXPECT_EQ(static_cast<int>(dataset_->examples.size() +
                             dataset_->feature_failures.size()),
            dataset_->patterns_loaded);
  for (const LabeledExample& e : dataset_->examples) {
    ASSERT_EQ(e.features.size(), FeatureBuilder::Schema().names.size());
  }
}

TEST_F(TrainEndToEndTest, PublishesCompleteDeterministicArtifacts) {
  ASSERT_NE(dataset_, nullptr);
  const TrainRunResult a = Train("run_a", "20000101T000000Z");
  const TrainRunResult b = Train("run_b", "20000101T000000Z");
  ASSERT_FALSE(a.model_dir.empty());
  // Determinism: same data and config -> same model bytes and metrics.
  EXPECT_EQ(a.model_sha256, b.model_sha256);
  EXPECT_EQ(a.card["metrics"]["walk_forward"].dump(),
            b.card["metrics"]["walk_forward"].dump());
  EXPECT_EQ(a.card["metrics"]["levers"].dump(),
            b.card["metrics"]["levers"].dump());
  EXPECT_EQ(a.card["metrics"]["policy_search"].dump(),
            b.card["metrics"]["policy_search"].dump());
  EXPECT_EQ(a.card["data_vintage"]["training_rows_sha256"],
            b.card["data_vintage"]["training_rows_sha256"]);

  const fs::path dir = a.model_dir;
  for (const char* f :
       {"model.json", "model_card.json", "reference_rows.json"}) {
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  }
  const nlohmann::json card = ReadJson(dir / "model_card.json");
  for (const char* key :
       {"version", "status", "gate", "model_file", "model_sha256",
        "feature_schema", "calibration", "serving", "reference_rows_file",
        "reference_rows_sha256", "data_vintage", "hyperparameters", "metrics",
        "feature_reference", "code_version", "trained_at"}) {
    EXPECT_TRUE(card.contains(key)) << key;
  }
  EXPECT_EQ(card["model_sha256"],
            *Sha256HexOfFile((dir / "model.json").string()));
  EXPECT_EQ(card["reference_rows_sha256"],
            *Sha256HexOfFile((dir / "reference_rows.json").string()));
  EXPECT_EQ(card["feature_schema"]["hash"], FeatureBuilder::Schema().hash);
  EXPECT_EQ(card["calibration"]["method"], "isotonic");
  EXPECT_TRUE(card["status"] == "champion" ||
              card["status"] == "rejected_challenger");
  EXPECT_EQ(card["data_vintage"]["symbols"].size(), 5u);
  EXPECT_GT(card["data_vintage"]["refit"]["rows"].get<int>(), 0);
  EXPECT_EQ(card["feature_reference"]["features"].size(),
            FeatureBuilder::Schema().names.size());
  EXPECT_TRUE(card["metrics"].contains("shuffle_check"));

  // Reference rows reproduce through TreeEnsemble + the card's calibration.
  absl::StatusOr<LoadedModel> model = LoadModelDir(dir.string());
  ASSERT_TRUE(model.ok()) << model.status();
  const nlohmann::json rows = ReadJson(dir / "reference_rows.json")["rows"];
  ASSERT_GE(rows.size(), 16u);
  for (const nlohmann::json& row : rows) {
    std::vector<float> x;
    for (const nlohmann::json& v : row["features"]) {
      x.push_back(v.is_null() ? std::numeric_limits<float>::quiet_NaN()
                              : v.get<float>());
    }
    const double m = model->ensemble->PredictMargin(x.data());
    EXPECT_NEAR(m, row["margin"].get<double>(), 1e-9);
    EXPECT_NEAR(model->calibrator->Apply(Logistic(m)),
                row["probability"].get<double>(), 1e-9);
  }

  // Report bundle.
  for (const char* f :
       {"evaluation.json", "report.md", "reliability.svg", "roc.svg",
        "precision_recall.svg", "precision_coverage.svg"}) {
    EXPECT_TRUE(fs::exists(fs::path(a.report_dir) / f)) << f;
  }
}

TEST_F(TrainEndToEndTest, EveryFoldIsChosenAndFittedOnEarlierDataOnly) {
  ASSERT_NE(dataset_, nullptr);
  const TrainRunResult a = Train("run_c", "20000102T000000Z");
  ASSERT_FALSE(a.model_dir.empty());
  const nlohmann::json& folds = a.card["metrics"]["folds"];
  ASSERT_EQ(folds.size(), 3u);
  int test_rows = 0;
  std::string previous_test_last;
  for (const nlohmann::json& f : folds) {
    const std::string validation_start = f["validation_start"];
    const std::string test_start = f["test_start"];
    // Chronology: train < validation < test, and folds follow each other.
    EXPECT_LT(f["train"]["last_confirmation"].get<std::string>(),
              validation_start)
        << f.dump();
    EXPECT_GE(f["validation"]["first_confirmation"].get<std::string>(),
              validation_start);
    EXPECT_LT(f["validation"]["last_confirmation"].get<std::string>(),
              test_start);
    EXPECT_GE(f["test"]["first_confirmation"].get<std::string>(), test_start);
    EXPECT_LE(f["test"]["last_confirmation"].get<std::string>(),
              f["test_end"].get<std::string>());
    EXPECT_GT(f["test"]["first_confirmation"].get<std::string>(),
              previous_test_last);
    previous_test_last = f["test"]["last_confirmation"];
    test_rows += f["test"]["rows"].get<int>();
    // Purge: at least the rows whose label window reaches the next period.
    EXPECT_GT(f["counts"]["purged_validation"].get<int>(), 0) << f.dump();
    // Every lever was fitted and the choice is one of them.
    EXPECT_EQ(f["selection"]["candidates"].size(), 3u);
    EXPECT_FALSE(f["selection"]["bagging"].is_null());
  }
  EXPECT_EQ(a.pooled.rows, test_rows);
  EXPECT_EQ(a.card["metrics"]["walk_forward_rows"].get<int>(), test_rows);
  EXPECT_EQ(a.levers.size(), 5u);  // 3 candidates, bagged, chosen
  const nlohmann::json card =
      ReadJson(fs::path(a.model_dir) / "model_card.json");
  // The gate reads the policy's figures: six checks, each with its text.
  EXPECT_TRUE(card["gate"].contains("tp_lift_ci95")) << card["gate"].dump();
  EXPECT_EQ(card["gate"]["checks"].size(), 6u) << card["gate"].dump();
  EXPECT_EQ(card["gate"]["bars"]["min_tp_lift"].get<double>(), 0.10);
  // The policy search ran for every blend weight, model and analytic, and is
  // a policy found is in the card and reads back typed.
  const nlohmann::json& search = a.card["metrics"]["policy_search"];
  EXPECT_EQ(search["model_per_weight"].size(), 4u) << search.dump();
  EXPECT_EQ(search["analytic"]["per_weight"].size(), 4u) << search.dump();
  EXPECT_EQ(card.contains("policy"), a.policy.found);
  absl::StatusOr<std::optional<DecisionPolicy>> policy =
      ParseDecisionPolicy(card);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->has_value(), a.policy.found);
  if (policy->has_value()) {
    EXPECT_EQ((*policy)->evidence.sensitivity.size(), 3u);
    EXPECT_GE((*policy)->evidence.precision_diff_ci_low, 0.0);
  }
  // The served model is a refit on all rows <= test_end: it scores through
  // the evaluate path (the server's TreeEnsemble + calibrator).
  absl::StatusOr<LoadedModel> model = LoadModelDir(a.model_dir);
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<EvaluationReport> r =
      EvaluateLoadedModel(*model, *dataset_, 20);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rows, static_cast<int>(dataset_->examples.size()));
  // pcs evaluate's operating point: the card's policy applied unchanged.
  absl::StatusOr<EvaluationInput> in = LoadedModelInput(*model, *dataset_, 20);
  ASSERT_TRUE(in.ok()) << in.status();
  std::vector<double> pnl, r_multiple;
  for (const LabeledExample& e : dataset_->examples) {
    pnl.push_back(e.realized_pnl);
    r_multiple.push_back(e.r_multiple);
  }
  const AppliedPolicies applied = PoliciesOf(model->card);
  EXPECT_EQ(applied.from_card, a.policy.found);
  absl::StatusOr<OperatingPoint> op =
      MeasureOperatingPoint(*in, pnl, r_multiple, applied);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->money_rule.confirmed, op->model.rule.confirmed);
  EXPECT_EQ(op->money_model.confirmed, op->model.policy.confirmed);
  const nlohmann::json op_json = OperatingPointJson(*op);
  for (const char* key : {"rule", "model", "analytic", "tp_lift",
                          "precision_diff", "tp_lift_vs_analytic"}) {
    EXPECT_TRUE(op_json.contains(key)) << key;
  }
  EXPECT_EQ(a.refit_rows, a.card["data_vintage"]["refit"]["rows"].get<int>());
}

// The "toward beating geometry" experiments: the extra columns reach the
// model (the card lists them; the rows have them), the analytic base margin
// starts every row at the analytic logit (so the model's out-of-sample
// probabilities differ from a run without it), and the run is never
// promoted.
TEST_F(TrainEndToEndTest, ExperimentRunsAddTheirInputsAndAreNeverPromoted) {
  ASSERT_NE(dataset_, nullptr);
  DatasetLoadOptions load;
  load.conninfo = *conninfo_;
  load.experiment.analytic_feature = true;
  load.experiment.analytic_base_margin = true;
  load.experiment.relative_strength = true;
  absl::StatusOr<LabeledDataset> ds = LoadLabeledDataset(load);
  ASSERT_TRUE(ds.ok()) << ds.status();
  const size_t cols = FeatureBuilder::Schema().names.size() + 5;
  ASSERT_EQ(FeatureNames(*ds).size(), cols);
  int with_rs = 0;
  for (const LabeledExample& e : ds->examples) {
    ASSERT_EQ(e.features.size(), cols);
    ASSERT_FALSE(std::isnan(e.margin_offset));
    with_rs += !std::isnan(e.features[cols - 1]);  // exp_rel_strength_250
  }
  EXPECT_GT(with_rs, static_cast<int>(ds->examples.size()) / 2);

  TrainerConfig c = SmallConfig();
  c.experiment = load.experiment;
  TrainRunOptions o;
  o.models_dir = (*root_ / "experiment" / "models").string();
  o.reports_dir = (*root_ / "experiment" / "reports").string();
  o.version = "20000101T000000Z";
  absl::StatusOr<TrainRunResult> r = TrainModel(*ds, c, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "rejected_challenger");
  EXPECT_FALSE(r->gate.promote);
  EXPECT_NE(r->gate.reason.find("experiment run (analytic_feature,"
                                "analytic_base_margin,relative_strength"),
            std::string::npos)
      << r->gate.reason;
  EXPECT_FALSE(fs::exists(fs::path(o.models_dir) / "CHAMPION"));
  const nlohmann::json card =
      ReadJson(fs::path(r->model_dir) / "model_card.json");
  EXPECT_EQ(card["feature_schema"]["names"].size(), cols);
  EXPECT_EQ(card["feature_schema"]["names"][cols - 5],
            "exp_analytic_probability");
  EXPECT_TRUE(card["config"]["experiment"]["analytic_base_margin"]);

  const TrainRunResult plain = Train("plain", "20000101T000000Z");
  EXPECT_NE(r->model_sha256, plain.model_sha256);
  EXPECT_FALSE(plain.card["config"].contains("experiment"));
}

TEST_F(TrainEndToEndTest, RejectsAnImpossibleSplit) {
  ASSERT_NE(dataset_, nullptr);
  TrainerConfig c = SmallConfig();
  c.walk_forward.test_starts = {
      *ParseDay("2000-06-01")};  // nothing to train on
  TrainRunOptions o;
  o.models_dir = (*root_ / "bad" / "models").string();
  o.reports_dir = (*root_ / "bad" / "reports").string();
  absl::StatusOr<TrainRunResult> r = TrainModel(*dataset_, c, o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(fs::exists(*root_ / "bad" / "models"));
}

}  // namespace
}  // namespace pcs
