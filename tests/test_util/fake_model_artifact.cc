#include "tests/test_util/fake_model_artifact.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/sha256.h"
#include "features/feature_builder.h"
#include "model/xgboost_booster.h"
#include "nlohmann/json.hpp"

namespace pcs::testing {
namespace fs = std::filesystem;

namespace {

// The card's isotonic knots and the trainer-side interpolation.
const std::vector<double> kKnotX = {0.0, 0.3, 0.5, 0.7, 1.0};
const std::vector<double> kKnotY = {0.02, 0.25, 0.5, 0.75, 0.97};

double Calibrate(double p) {
  if (p <= kKnotX.front()) return kKnotY.front();
  if (p >= kKnotX.back()) return kKnotY.back();
  size_t hi = 1;
  while (kKnotX[hi] < p) ++hi;
  double t = (p - kKnotX[hi - 1]) / (kKnotX[hi] - kKnotX[hi - 1]);
  return kKnotY[hi - 1] + t * (kKnotY[hi] - kKnotY[hi - 1]);
}

absl::Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return absl::InternalError("cannot write " + path.string());
  return absl::OkStatus();
}

DenseMatrix SyntheticRows(int rows, int cols, int seed, std::vector<float>* y) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  std::uniform_real_distribution<float> unit(0, 1);
  DenseMatrix x{rows, cols,
                std::vector<float>(static_cast<size_t>(rows) * cols)};
  y->resize(rows);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      x.values[static_cast<size_t>(r) * cols + c] =
          unit(rng) < 0.05 ? NAN : normal(rng);
    }
    const float* row = x.Row(r);
    float signal = (std::isnan(row[0]) ? 0 : row[0]) +
                   0.5f * (std::isnan(row[1 % cols]) ? 0 : row[1 % cols]);
    (*y)[r] = signal + 0.5f * normal(rng) > 0 ? 1.0f : 0.0f;
  }
  return x;
}

}  // namespace

absl::StatusOr<std::string> WriteFakeModelArtifact(
    const std::string& models_dir, const FakeModelOptions& options) {
  const FeatureSchema& schema = FeatureBuilder::Schema();
  const int cols = static_cast<int>(schema.names.size());
  std::vector<float> y;
  DenseMatrix x = SyntheticRows(options.rows, cols, options.seed, &y);
  TrainParams params;
  params.max_depth = 3;
  params.num_boost_round = options.rounds;
  params.early_stopping_rounds = options.rounds;  // no validation set: unused
  params.seed = options.seed;
  params.nthread = 1;
  params.min_child_weight = 1;
  auto booster = XGBoostBooster::Train(x, y, nullptr, nullptr, params, nullptr);
  if (!booster.ok()) return booster.status();

  const fs::path tmp = fs::path(models_dir) / (".tmp-" + options.version);
  const fs::path final_dir = fs::path(models_dir) / options.version;
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return absl::InternalError("cannot create " + tmp.string());
  if (absl::Status s = (*booster)->SaveModel((tmp / "model.json").string());
      !s.ok()) {
    return s;
  }

  // Reference rows: XGBoost's own margins, trainer-side calibration.
  DenseMatrix ref{20, cols, {}};
  ref.values.assign(x.values.begin(), x.values.begin() + 20 * cols);
  auto margins = (*booster)->PredictMargin(ref);
  if (!margins.ok()) return margins.status();
  nlohmann::json rows = nlohmann::json::array();
  for (int r = 0; r < 20; ++r) {
    nlohmann::json features = nlohmann::json::array();
    for (int c = 0; c < cols; ++c) {
      float v = ref.Row(r)[c];
      features.push_back(std::isnan(v) ? nlohmann::json(nullptr)
                                       : nlohmann::json(v));
    }
    double margin = (*margins)[r];
    double p = Calibrate(1.0 / (1.0 + std::exp(-margin)));
    if (options.bad_reference) p += 0.01;
    rows.push_back(
        {{"features", features}, {"margin", margin}, {"probability", p}});
  }
  std::string rows_text = nlohmann::json{{"rows", rows}}.dump();
  if (absl::Status s = WriteText(tmp / "reference_rows.json", rows_text);
      !s.ok()) {
    return s;
  }

  auto model_sha = Sha256HexOfFile((tmp / "model.json").string());
  if (!model_sha.ok()) return model_sha.status();
  nlohmann::json card = {
      {"version", options.version},
      {"status", "champion"},
      {"gate", {{"passed", true}, {"reason", "fake artifact for tests"}}},
      {"model_file", "model.json"},
      {"model_sha256", options.corrupt_sha ? Sha256Hex("corrupt") : *model_sha},
      {"feature_schema",
       {{"version", schema.version},
        {"hash",
         options.wrong_schema ? Sha256Hex("other schema") : schema.hash},
        {"names", schema.names}}},
      {"calibration", {{"method", "isotonic"}, {"x", kKnotX}, {"y", kKnotY}}},
      {"serving",
       {{"decision_threshold", options.decision_threshold},
        {"blend_weight", options.blend_weight}}},
      {"reference_rows_file", "reference_rows.json"},
      {"reference_rows_sha256", Sha256Hex(rows_text)},
      {"metrics", {{"test_auc", 0.61}, {"test_brier", 0.23}}},
      {"code_version", "test"},
      {"trained_at", "2026-01-01T00:00:00Z"}};
  if (options.with_policy) {
    // A trained decision policy (model/decision_policy.h) deciding by the
    // same blend weight and threshold; its figures are placeholders.
    const nlohmann::json point = {{"threshold", options.decision_threshold},
                                  {"confirmed", 0},
                                  {"true_positives", 0},
                                  {"precision", nullptr}};
    card["policy"] = {{"blend_weight", options.blend_weight},
                      {"threshold", options.decision_threshold},
                      {"rule_threshold", 0.5},
                      {"precision_tolerance", 0.02},
                      {"analytic_baseline", nullptr},
                      {"chosen_on", "fake artifact for tests"},
                      {"procedure", "none"},
                      {"out_of_sample",
                       {{"rows", 0},
                        {"rule", point},
                        {"policy", point},
                        {"tp_lift", nullptr},
                        {"tp_lift_ci95", {nullptr, nullptr}},
                        {"precision_diff", nullptr},
                        {"precision_diff_ci95", {nullptr, nullptr}},
                        {"sensitivity", nlohmann::json::array()}}}};
  }
  if (!options.omit_card) {
    if (absl::Status s = WriteText(tmp / "model_card.json", card.dump(2));
        !s.ok()) {
      return s;
    }
  }
  fs::remove_all(final_dir, ec);
  fs::rename(tmp, final_dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat(
        "cannot publish ", final_dir.string(), ": ", ec.message()));
  }
  return final_dir.string();
}

absl::Status WriteChampion(const std::string& models_dir,
                           const std::string& version) {
  const fs::path tmp = fs::path(models_dir) / ".CHAMPION.tmp";
  if (absl::Status s = WriteText(tmp, version + "\n"); !s.ok()) return s;
  std::error_code ec;
  fs::rename(tmp, fs::path(models_dir) / "CHAMPION", ec);
  if (ec)
    return absl::InternalError("cannot replace CHAMPION: " + ec.message());
  return absl::OkStatus();
}

}  // namespace pcs::testing
