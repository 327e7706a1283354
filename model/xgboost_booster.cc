#include "model/xgboost_booster.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace pcs {
namespace {

absl::Status XgbError(absl::string_view what) {
  const char* detail = XGBGetLastError();
  return absl::InternalError(absl::StrCat(
      "XGBoost ", what, " failed: ", detail ? detail : "(no detail)"));
}

// Returns from the enclosing function with a Status when an XGBoost call fails.
#define PCS_XGB_CALL(call, what)            \
  do {                                      \
    if ((call) != 0) return XgbError(what); \
  } while (false)

struct BoosterDeleter {
  void operator()(void* handle) const { XGBoosterFree(handle); }
};
using BoosterPtr = std::unique_ptr<void, BoosterDeleter>;

// RAII owner of a DMatrixHandle.
class DMatrix {
 public:
  DMatrix() = default;
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  ~DMatrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }

  // Builds from a dense matrix (NaN = missing) and optional labels.
  absl::Status Init(const DenseMatrix& x, const std::vector<float>* labels,
                    int nthread) {
    PCS_XGB_CALL(XGDMatrixCreateFromMat_omp(x.values.data(),
                                            static_cast<bst_ulong>(x.rows),
                                            static_cast<bst_ulong>(x.cols),
                                            std::nanf(""), &handle_, nthread),
                 "XGDMatrixCreateFromMat");
    if (labels != nullptr) {
      PCS_XGB_CALL(
          XGDMatrixSetFloatInfo(handle_, "label", labels->data(),
                                static_cast<bst_ulong>(labels->size())),
          "XGDMatrixSetFloatInfo(label)");
    }
    if (!x.base_margin.empty()) {
      PCS_XGB_CALL(
          XGDMatrixSetFloatInfo(handle_, "base_margin", x.base_margin.data(),
                                static_cast<bst_ulong>(x.base_margin.size())),
          "XGDMatrixSetFloatInfo(base_margin)");
    }
    return absl::OkStatus();
  }
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

absl::Status ValidateMatrix(const DenseMatrix& x, absl::string_view name) {
  if (x.rows <= 0 || x.cols <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": empty matrix (rows=", x.rows, ", cols=", x.cols, ")"));
  }
  if (x.values.size() !=
      static_cast<size_t>(x.rows) * static_cast<size_t>(x.cols)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": values has ", x.values.size(),
                     " entries, expected rows*cols = ",
                     static_cast<size_t>(x.rows) * x.cols));
  }
  if (!x.base_margin.empty() &&
      x.base_margin.size() != static_cast<size_t>(x.rows)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": base_margin has ", x.base_margin.size(),
                     " entries, expected one per row (", x.rows, ")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateLabels(const DenseMatrix& x, const std::vector<float>& y,
                            absl::string_view name) {
  if (y.size() != static_cast<size_t>(x.rows)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", y.size(), " labels for ", x.rows, " rows"));
  }
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] != 0.0f && y[i] != 1.0f) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": label of row ", i, " is ", y[i], ", expected 0 or 1"));
    }
  }
  return absl::OkStatus();
}

std::string Num(double v) { return absl::StrFormat("%.17g", v); }

std::string MonotoneText(const std::vector<int>& c) {
  std::string out = "(";
  for (size_t i = 0; i < c.size(); ++i)
    absl::StrAppend(&out, i ? "," : "", c[i]);
  return out + ")";
}

absl::Status SetParams(BoosterHandle h, const TrainParams& p) {
  if (!p.monotone_constraints.empty()) {
    PCS_XGB_CALL(
        XGBoosterSetParam(h, "monotone_constraints",
                          MonotoneText(p.monotone_constraints).c_str()),
        "XGBoosterSetParam(monotone_constraints)");
  }
  const std::pair<const char*, std::string> params[] = {
      {"booster", "gbtree"},
      {"objective", p.objective},
      {"eval_metric", EarlyStoppingMetric(p.objective)},
      {"tree_method", "hist"},
      {"base_score", "0.5"},
      {"max_depth", absl::StrCat(p.max_depth)},
      {"eta", Num(p.eta)},
      {"subsample", Num(p.subsample)},
      {"colsample_bytree", Num(p.colsample_bytree)},
      {"min_child_weight", Num(p.min_child_weight)},
      {"lambda", Num(p.lambda)},
      {"gamma", Num(p.gamma)},
      {"seed", absl::StrCat(p.seed)},
      {"nthread", absl::StrCat(p.nthread)},
      {"verbosity", "1"},
  };
  for (const auto& [name, value] : params) {
    PCS_XGB_CALL(XGBoosterSetParam(h, name, value.c_str()),
                 absl::StrCat("XGBoosterSetParam(", name, "=", value, ")"));
  }
  return absl::OkStatus();
}

// Extracts the value of "<name>-<metric>:<v>" from an EvalOneIter string such
// as "[3]\ttrain-logloss:0.61\tvalid-logloss:0.65".
absl::StatusOr<double> ParseMetric(absl::string_view eval,
                                   absl::string_view name,
                                   absl::string_view metric) {
  const std::string key = absl::StrCat(name, "-", metric, ":");
  size_t pos = eval.find(key);
  if (pos == absl::string_view::npos) {
    return absl::InternalError(
        absl::StrCat("no '", key, "' in XGBoost eval output '", eval, "'"));
  }
  absl::string_view rest = eval.substr(pos + key.size());
  size_t end = rest.find_first_of("\t\n ");
  double value = 0;
  if (!absl::SimpleAtod(rest.substr(0, end), &value) || !std::isfinite(value)) {
    return absl::InternalError(absl::StrCat(
        "unparsable ", metric, " in XGBoost eval output '", eval, "'"));
  }
  return value;
}

}  // namespace

std::string EarlyStoppingMetric(const std::string& objective) {
  return absl::StartsWith(objective, "rank:") ? "auc" : "logloss";
}

XGBoostBooster::~XGBoostBooster() {
  if (handle_ != nullptr) XGBoosterFree(handle_);
}

absl::StatusOr<std::unique_ptr<XGBoostBooster>> XGBoostBooster::Adopt(
    void* handle) {
  BoosterPtr owned(handle);
  bst_ulong num_features = 0;
  PCS_XGB_CALL(XGBoosterGetNumFeature(owned.get(), &num_features),
               "XGBoosterGetNumFeature");
  return std::unique_ptr<XGBoostBooster>(
      new XGBoostBooster(owned.release(), static_cast<int>(num_features)));
}

namespace {

absl::Status ValidateTrainingInput(const DenseMatrix& x,
                                   const std::vector<float>& y,
                                   const DenseMatrix* valid_x,
                                   const std::vector<float>* valid_y,
                                   const TrainParams& params) {
  if (auto s = ValidateMatrix(x, "training matrix"); !s.ok()) return s;
  if (auto s = ValidateLabels(x, y, "training matrix"); !s.ok()) return s;
  if ((valid_x == nullptr) != (valid_y == nullptr)) {
    return absl::InvalidArgumentError(
        "valid_x and valid_y must be given together");
  }
  if (valid_x != nullptr) {
    if (auto s = ValidateMatrix(*valid_x, "validation matrix"); !s.ok())
      return s;
    if (auto s = ValidateLabels(*valid_x, *valid_y, "validation matrix");
        !s.ok())
      return s;
    if (valid_x->cols != x.cols) {
      return absl::InvalidArgumentError(
          absl::StrCat("validation matrix has ", valid_x->cols,
                       " columns, training matrix ", x.cols));
    }
  }
  if (params.num_boost_round <= 0 || params.early_stopping_rounds <= 0) {
    return absl::InvalidArgumentError(
        "num_boost_round and early_stopping_rounds must be > 0");
  }
  return absl::OkStatus();
}

// Boosts one round at a time; with a validation set (mats[1]) keeps the round
// with the lowest validation logloss and stops after early_stopping_rounds
// rounds without a strict improvement.
absl::Status BoostRounds(BoosterHandle booster, DMatrixHandle mats[2],
                         bst_ulong num_mats, const TrainParams& params,
                         TrainLog& out) {
  const char* names[2] = {"train", "valid"};
  const bool has_valid = num_mats == 2;
  out = TrainLog{};
  out.metric = EarlyStoppingMetric(params.objective);
  const bool logloss = out.metric == "logloss";
  int iter = 0;
  for (; iter < params.num_boost_round; ++iter) {
    PCS_XGB_CALL(XGBoosterUpdateOneIter(booster, iter, mats[0]),
                 absl::StrCat("XGBoosterUpdateOneIter(round ", iter, ")"));
    if (!has_valid && !logloss) {
      out.best_iteration = iter;
      continue;
    }
    const char* eval = nullptr;
    PCS_XGB_CALL(
        XGBoosterEvalOneIter(booster, iter, mats, names, num_mats, &eval),
        absl::StrCat("XGBoosterEvalOneIter(round ", iter, ")"));
    if (logloss) {
      auto train_loss = ParseMetric(eval, "train", out.metric);
      if (!train_loss.ok()) return train_loss.status();
      out.train_logloss.push_back(*train_loss);
    }
    if (!has_valid) {
      out.best_iteration = iter;
      continue;
    }
    auto valid = ParseMetric(eval, "valid", out.metric);
    if (!valid.ok()) return valid.status();
    if (logloss) out.valid_logloss.push_back(*valid);
    const bool better = logloss ? *valid < out.best_valid_metric
                                : *valid > out.best_valid_metric;
    if (out.best_iteration < 0 || better) {
      out.best_valid_metric = *valid;
      if (logloss) out.best_valid_logloss = *valid;
      out.best_iteration = iter;
    } else if (iter - out.best_iteration >= params.early_stopping_rounds) {
      out.stopped_early = true;
      ++iter;
      break;
    }
  }
  out.rounds_run = iter;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<XGBoostBooster>> XGBoostBooster::Train(
    const DenseMatrix& x, const std::vector<float>& y,
    const DenseMatrix* valid_x, const std::vector<float>* valid_y,
    const TrainParams& params, TrainLog* log) {
  if (auto s = ValidateTrainingInput(x, y, valid_x, valid_y, params); !s.ok())
    return s;
  DMatrix dtrain, dvalid;
  if (auto s = dtrain.Init(x, &y, params.nthread); !s.ok()) return s;
  if (valid_x != nullptr) {
    if (auto s = dvalid.Init(*valid_x, valid_y, params.nthread); !s.ok())
      return s;
  }
  DMatrixHandle mats[2] = {dtrain.get(), dvalid.get()};
  const bst_ulong num_mats = valid_x != nullptr ? 2 : 1;

  BoosterHandle raw = nullptr;
  PCS_XGB_CALL(XGBoosterCreate(mats, num_mats, &raw), "XGBoosterCreate");
  BoosterPtr booster(raw);
  TrainParams set = params;
  // A constraint list shorter than the columns leaves the rest free.
  if (!set.monotone_constraints.empty() &&
      set.monotone_constraints.size() < static_cast<size_t>(x.cols)) {
    set.monotone_constraints.resize(static_cast<size_t>(x.cols), 0);
  }
  if (auto s = SetParams(booster.get(), set); !s.ok()) return s;

  TrainLog local_log;
  TrainLog& out = log != nullptr ? *log : local_log;
  if (auto s = BoostRounds(booster.get(), mats, num_mats, params, out); !s.ok())
    return s;

  // Keep only the trees up to the best iteration (in memory and when saved).
  if (out.best_iteration + 1 < out.rounds_run) {
    BoosterHandle sliced = nullptr;
    PCS_XGB_CALL(
        XGBoosterSlice(booster.get(), 0, out.best_iteration + 1, 1, &sliced),
        absl::StrCat("XGBoosterSlice(0, ", out.best_iteration + 1, ")"));
    booster.reset(sliced);
  }
  return Adopt(booster.release());
}

absl::StatusOr<std::unique_ptr<XGBoostBooster>> XGBoostBooster::LoadFromFile(
    const std::string& path) {
  BoosterHandle raw = nullptr;
  PCS_XGB_CALL(XGBoosterCreate(nullptr, 0, &raw), "XGBoosterCreate");
  BoosterPtr booster(raw);
  PCS_XGB_CALL(XGBoosterLoadModel(booster.get(), path.c_str()),
               absl::StrCat("XGBoosterLoadModel(", path, ")"));
  return Adopt(booster.release());
}

absl::StatusOr<std::unique_ptr<XGBoostBooster>> XGBoostBooster::LoadFromJson(
    const std::string& json) {
  BoosterHandle raw = nullptr;
  PCS_XGB_CALL(XGBoosterCreate(nullptr, 0, &raw), "XGBoosterCreate");
  BoosterPtr booster(raw);
  PCS_XGB_CALL(
      XGBoosterLoadModelFromBuffer(booster.get(), json.data(),
                                   static_cast<bst_ulong>(json.size())),
      "XGBoosterLoadModelFromBuffer");
  return Adopt(booster.release());
}

absl::Status XGBoostBooster::SaveModel(const std::string& path) const {
  if (!absl::EndsWith(path, ".json")) {
    return absl::InvalidArgumentError(
        absl::StrCat("model path must end in .json (JSON format): ", path));
  }
  PCS_XGB_CALL(XGBoosterSaveModel(handle_, path.c_str()),
               absl::StrCat("XGBoosterSaveModel(", path, ")"));
  return absl::OkStatus();
}

absl::StatusOr<std::string> XGBoostBooster::SaveModelToJson() const {
  bst_ulong len = 0;
  const char* data = nullptr;
  PCS_XGB_CALL(
      XGBoosterSaveModelToBuffer(handle_, R"({"format": "json"})", &len, &data),
      "XGBoosterSaveModelToBuffer");
  return std::string(data, len);
}

absl::StatusOr<std::vector<float>> XGBoostBooster::PredictDMatrix(
    const DenseMatrix& x, int type, size_t expected_cols) {
  if (auto s = ValidateMatrix(x, "prediction matrix"); !s.ok()) return s;
  if (x.cols != num_features_) {
    return absl::InvalidArgumentError(
        absl::StrCat("prediction matrix has ", x.cols,
                     " columns, model expects ", num_features_));
  }
  DMatrix dmat;
  if (auto s = dmat.Init(x, nullptr, 1); !s.ok()) return s;
  const std::string config = absl::StrCat(
      R"({"type": )", type,
      R"(, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})");
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  PCS_XGB_CALL(XGBoosterPredictFromDMatrix(handle_, dmat.get(), config.c_str(),
                                           &shape, &dim, &result),
               absl::StrCat("XGBoosterPredictFromDMatrix(type ", type, ")"));
  size_t total = 1;
  for (bst_ulong i = 0; i < dim; ++i) total *= shape[i];
  const size_t expected = static_cast<size_t>(x.rows) * expected_cols;
  if (total != expected) {
    return absl::InternalError(absl::StrCat(
        "XGBoost returned ", total, " prediction values, expected ", expected));
  }
  return std::vector<float>(
      result, result + total);  // copy: buffer belongs to the booster
}

absl::StatusOr<std::vector<float>> XGBoostBooster::PredictMargin(
    const DenseMatrix& x) {
  return PredictDMatrix(x, /*type=*/1, 1);
}

absl::StatusOr<std::vector<float>> XGBoostBooster::PredictContributions(
    const DenseMatrix& x) {
  return PredictDMatrix(x, /*type=*/2, static_cast<size_t>(num_features_) + 1);
}

absl::StatusOr<std::vector<float>> XGBoostBooster::PredictMarginInplace(
    const float* values, int rows, int cols, int nthread) {
  if (rows <= 0 || cols != num_features_) {
    return absl::InvalidArgumentError(
        absl::StrCat("in-place prediction: rows=", rows, " cols=", cols,
                     ", model expects ", num_features_));
  }
  if (nthread != nthread_) {
    if (auto s = SetNumThreads(nthread); !s.ok()) return s;
  }
  const std::string array =
      absl::StrCat(R"({"data": [)", reinterpret_cast<uintptr_t>(values),
                   R"(, true], "shape": [)", rows, ", ", cols,
                   R"(], "typestr": "<f4", "version": 3})");
  static constexpr char kConfig[] =
      R"({"type": 1, "training": false, "iteration_begin": 0, "iteration_end": 0,)"
      R"( "strict_shape": false, "cache_id": 0, "missing": NaN})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  PCS_XGB_CALL(XGBoosterPredictFromDense(handle_, array.c_str(), kConfig,
                                         nullptr, &shape, &dim, &result),
               "XGBoosterPredictFromDense");
  size_t total = 1;
  for (bst_ulong i = 0; i < dim; ++i) total *= shape[i];
  if (total != static_cast<size_t>(rows)) {
    return absl::InternalError(absl::StrCat("XGBoost returned ", total,
                                            " in-place predictions for ", rows,
                                            " rows"));
  }
  return std::vector<float>(result, result + total);
}

absl::StatusOr<std::vector<double>> XGBoostBooster::TotalGainImportance()
    const {
  bst_ulong n_features = 0, dim = 0;
  const char** names = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  PCS_XGB_CALL(
      XGBoosterFeatureScore(handle_, R"({"importance_type": "total_gain"})",
                            &n_features, &names, &dim, &shape, &scores),
      "XGBoosterFeatureScore(total_gain)");
  std::vector<double> gain(static_cast<size_t>(num_features_), 0.0);
  for (bst_ulong i = 0; i < n_features; ++i) {
    // Without feature names XGBoost reports features as "f<index>".
    absl::string_view name = names[i];
    int index = -1;
    if (!absl::ConsumePrefix(&name, "f") || !absl::SimpleAtoi(name, &index) ||
        index < 0 || index >= num_features_) {
      return absl::InternalError(
          absl::StrCat("unexpected feature name from XGBoost: ", names[i]));
    }
    gain[static_cast<size_t>(index)] = scores[i];
  }
  return gain;
}

absl::Status XGBoostBooster::SetNumThreads(int nthread) {
  PCS_XGB_CALL(
      XGBoosterSetParam(handle_, "nthread", absl::StrCat(nthread).c_str()),
      "XGBoosterSetParam(nthread)");
  nthread_ = nthread;
  return absl::OkStatus();
}

absl::StatusOr<int> XGBoostBooster::NumRounds() const {
  int rounds = 0;
  PCS_XGB_CALL(XGBoosterBoostedRounds(handle_, &rounds),
               "XGBoosterBoostedRounds");
  return rounds;
}

}  // namespace pcs
