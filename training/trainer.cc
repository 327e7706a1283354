#include "training/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "features/feature_builder.h"
#include "monitoring/feature_reference.h"
#include "training/model_fitting.h"
#include "training/model_scoring.h"

namespace pcs {
namespace {

class PhaseTimer {
 public:
  explicit PhaseTimer(std::map<std::string, double>* out) : out_(out) {}
  void Lap(const std::string& name) {
    const auto now = std::chrono::steady_clock::now();
    (*out_)[name] = std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  std::map<std::string, double>* out_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

nlohmann::json Num(double v) {
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  return v;
}

struct Splits {
  SplitData train, valid, holdout;
  SplitCounts counts;
};

absl::StatusOr<Splits> SplitDataset(const LabeledDataset& ds, const TrainerConfig& c) {
  std::vector<SplitKey> keys;
  for (const LabeledExample& e : ds.examples) {
    keys.push_back({e.confirmation_day,
                    LabelEndDay(e.confirmation_day, e.resolved_day, e.horizon_bars)});
  }
  Splits s;
  const std::vector<SplitPart> parts = AssignSplit(keys, c.split, &s.counts);
  std::vector<const LabeledExample*> rows[3];
  for (size_t i = 0; i < parts.size(); ++i) {
    const int p = static_cast<int>(parts[i]);
    if (p < 3) rows[p].push_back(&ds.examples[i]);
  }
  const char* names[3] = {"train", "validation", "holdout"};
  for (int p = 0; p < 3; ++p) {
    int pos = 0;
    for (const LabeledExample* r : rows[p]) pos += r->label;
    if (rows[p].empty() || pos == 0 || pos == static_cast<int>(rows[p].size())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the ", names[p], " split has ", rows[p].size(), " rows and ", pos,
          " positives; it needs both classes (check the split dates and the data)"));
    }
  }
  const int cols = static_cast<int>(FeatureBuilder::Schema().names.size());
  s.train = MakeSplitData(rows[0], cols);
  s.valid = MakeSplitData(rows[1], cols);
  s.holdout = MakeSplitData(rows[2], cols);
  return s;
}

EvaluationSettings Settings(const TrainerConfig& c) {
  EvaluationSettings s;
  s.blend_weight = c.blend_weight;
  s.rule_threshold = c.rule_threshold;
  s.coverages = c.coverages;
  s.resamples = c.bootstrap_resamples;
  s.seed = c.bootstrap_seed;
  return s;
}

absl::StatusOr<EvaluationReport> EvaluateOnHoldout(const FittedModel& f, const Splits& s,
                                                   const std::map<std::string, double>& rates,
                                                   const TrainerConfig& c) {
  const ScoredRows scored = ScoreRows(*f.ensemble, *f.calibrator, s.holdout.rows);
  return Evaluate(BuildEvaluationInput(s.holdout.rows, scored.probabilities, rates, Settings(c)));
}

std::vector<float> Shuffled(std::vector<float> y, uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Fisher-Yates with our own index draws (std::shuffle's algorithm is
  // implementation-defined; this keeps runs identical across toolchains).
  for (size_t i = y.size(); i > 1; --i) std::swap(y[i - 1], y[rng() % i]);
  return y;
}

absl::StatusOr<ShuffleCheck> RunShuffleCheck(const Splits& s, const FittedModel& chosen,
                                             const std::map<std::string, double>& rates,
                                             const TrainerConfig& c) {
  absl::StatusOr<FittedModel> f =
      FitOne(s.train, Shuffled(s.train.y, c.shuffle_seed), s.valid, chosen.params);
  if (!f.ok()) return f.status();
  absl::StatusOr<EvaluationReport> r = EvaluateOnHoldout(*f, s, rates, c);
  if (!r.ok()) return r.status();
  ShuffleCheck check;
  check.roc_auc = r->Scorer("model")->roc_auc;
  check.best_iteration = f->log.best_iteration;
  if (const CoverageRow* row = r->Row("30%")) {
    check.model_precision_at_30 = FindScorer(*row, "model")->precision;
    check.rule_precision_at_30 = FindScorer(*row, "rule")->precision;
    check.lift_vs_rule_at_30 = LiftOf(*row, "model", "rule");
    for (const LiftVs& l : FindScorer(*row, "model")->lifts) {
      if (l.reference == "rule") check.lift_ci = l.ci;
    }
  }
  check.lift_vanished = check.lift_vs_rule_at_30 <= 0 || check.lift_ci.low <= 0;
  return check;
}

nlohmann::json ReferenceRows(const FittedModel& f, const SplitData& holdout, int count) {
  nlohmann::json rows = nlohmann::json::array();
  const int n = static_cast<int>(holdout.rows.size());
  const int k = std::min(count, n);
  for (int i = 0; i < k; ++i) {
    const LabeledExample* r = holdout.rows[static_cast<size_t>(static_cast<int64_t>(i) * n / k)];
    const double m = f.ensemble->PredictMargin(r->features.data());
    nlohmann::json feats = nlohmann::json::array();
    for (float v : r->features) feats.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
    rows.push_back({{"id", r->id}, {"features", feats}, {"margin", m},
                    {"probability", CalibratedProbability(*f.calibrator, m)}});
  }
  return {{"rows", rows}};
}

nlohmann::json DateRange(const SplitData& d) {
  Day lo = d.rows.front()->confirmation_day, hi = lo;
  int pos = 0;
  for (const LabeledExample* r : d.rows) {
    lo = std::min(lo, r->confirmation_day);
    hi = std::max(hi, r->confirmation_day);
    pos += r->label;
  }
  return {{"first_confirmation", FormatDay(lo)}, {"last_confirmation", FormatDay(hi)},
          {"rows", d.rows.size()}, {"positives", pos},
          {"rows_sha256", RowsSha256(d.rows)}};
}

nlohmann::json DataVintage(const LabeledDataset& ds, const Splits& s, const TrainRunOptions& o,
                           const TrainerConfig& c) {
  return {{"source", o.data_source},
          {"symbols", ds.symbols},
          {"market_symbol", o.market_symbol},
          {"market_available", ds.market_available},
          {"resolved_patterns_loaded", ds.patterns_loaded},
          {"feature_failures", ds.feature_failures.size()},
          {"rows_by_pattern_type", ds.rows_by_type},
          {"split", TrainerConfigToJson(c)["split"]},
          {"counts", {{"train", s.counts.train}, {"validation", s.counts.validation},
                      {"holdout", s.counts.holdout}, {"purged_train", s.counts.purged_train},
                      {"purged_validation", s.counts.purged_validation},
                      {"out_of_range", s.counts.out_of_range}}},
          {"train", DateRange(s.train)},
          {"validation", DateRange(s.valid)},
          {"holdout", DateRange(s.holdout)},
          {"training_rows_sha256", RowsSha256(s.train.rows)},
          {"training_rows_serialisation",
           "rows sorted by id; per row: id TAB label TAB features as %08x of float32 bits, "
           "comma separated, newline"}};
}

nlohmann::json ScorerMetrics(const EvaluationReport& r, const std::string& name) {
  const ScorerSummary* s = r.Scorer(name);
  nlohmann::json j = {{"roc_auc", Num(s->roc_auc)}, {"pr_auc", Num(s->pr_auc)},
                      {"brier", Num(s->brier)}, {"ece", Num(s->ece)}};
  for (const CoverageRow& row : r.coverage) {
    const ScorerAtCoverage* sc = FindScorer(row, name);
    j["precision_at"][row.name] = Num(sc->precision);
    j["lift_vs_rule_at"][row.name] = Num(LiftOf(row, name, "rule"));
  }
  return j;
}

nlohmann::json ValidationMetrics(const FittedModel& f, const SplitData& valid) {
  std::vector<int> y;
  std::vector<double> cal;
  for (size_t i = 0; i < valid.rows.size(); ++i) {
    y.push_back(valid.rows[i]->label);
    cal.push_back(f.calibrator->Apply(f.valid_raw[i]));
  }
  return {{"rows", valid.rows.size()},
          {"best_logloss", f.log.best_valid_logloss},
          {"roc_auc", Num(AreaUnder(RocCurve(f.valid_raw, y)))},
          {"ece_raw", ExpectedCalibrationError(f.valid_raw, y)},
          {"ece_calibrated_in_sample", ExpectedCalibrationError(cal, y)},
          {"note", "calibration is fitted on these rows, so calibrated validation "
                   "metrics are in-sample; the holdout metrics are the honest ones"}};
}

}  // namespace

std::string CodeVersion() {
  const std::string cmd = absl::StrCat("git -C '", PCS_SOURCE_DIR, "' rev-parse HEAD 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "unknown";
  char buf[128] = {0};
  std::string out;
  if (fgets(buf, sizeof(buf), p) != nullptr) out = buf;
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.size() == 40 ? out : "unknown";
}

absl::StatusOr<TrainRunResult> TrainModel(const LabeledDataset& ds, const TrainerConfig& c,
                                          const TrainRunOptions& o) {
  absl::StatusOr<Splits> splits = SplitDataset(ds, c);
  if (!splits.ok()) return splits.status();
  const Splits& s = *splits;
  TrainRunResult result;
  PhaseTimer timer(&result.seconds);
  const std::vector<float> y_train =
      c.shuffle_labels ? Shuffled(s.train.y, c.shuffle_seed) : s.train.y;
  nlohmann::json grid_log = nlohmann::json::array();
  absl::StatusOr<FittedModel> fitted = SelectOnGrid(s.train, y_train, s.valid, c, &grid_log);
  if (!fitted.ok()) return fitted.status();
  FittedModel& f = *fitted;
  timer.Lap("grid");
  const std::map<std::string, double> rates = TypeBaseRates(s.train.rows);
  absl::StatusOr<EvaluationReport> holdout = EvaluateOnHoldout(f, s, rates, c);
  if (!holdout.ok()) return holdout.status();
  timer.Lap("holdout_evaluation");
  result.version = o.version.empty() ? UtcVersionNow() : o.version;
  result.holdout = *std::move(holdout);
  result.counts = s.counts;
  result.selected = f.params;
  result.best_iteration = f.log.best_iteration;
  if (c.shuffle_check && !c.shuffle_labels) {
    absl::StatusOr<ShuffleCheck> check = RunShuffleCheck(s, f, rates, c);
    if (!check.ok()) return check.status();
    result.shuffle = *check;
  }
  timer.Lap("shuffle_check");
  const std::vector<std::string>& names = FeatureBuilder::Schema().names;
  absl::StatusOr<std::vector<FeatureImportance>> top =
      TopFeatures(*f.booster, s.train, names, c.top_features);
  if (!top.ok()) return top.status();
  timer.Lap("importance");
  result.gate = EvaluateGate(result.holdout, c.gate);
  if (c.shuffle_labels) {
    result.gate.promote = false;
    result.gate.reason = "rejected: trained on shuffled labels (--shuffle-labels control run); " +
                         result.gate.reason;
  }

  std::vector<std::vector<float>> train_rows;
  for (const LabeledExample* r : s.train.rows) train_rows.push_back(r->features);
  ScoredRows train_scores = ScoreRows(*f.ensemble, *f.calibrator, s.train.rows);
  absl::StatusOr<FeatureReference> ref =
      BuildFeatureReference(names, train_rows, train_scores.probabilities);
  if (!ref.ok()) return ref.status();

  nlohmann::json card;
  card["feature_schema"] = {{"version", FeatureBuilder::Schema().version},
                            {"hash", FeatureBuilder::Schema().hash}, {"names", names}};
  card["calibration"] = f.calibrator->ToJson();
  card["calibration"]["fitted_on"] = "validation split (also used for early stopping)";
  card["serving"] = {{"decision_threshold", c.rule_threshold}, {"blend_weight", c.blend_weight}};
  card["data_vintage"] = DataVintage(ds, s, o, c);
  card["hyperparameters"] = {{"selected", TrainParamsToJson(f.params)},
                             {"best_iteration", f.log.best_iteration},
                             {"trees_in_model", f.ensemble->num_trees()},
                             {"selection", "lowest best validation logloss over the grid"},
                             {"grid", grid_log}, {"shuffle_labels", c.shuffle_labels}};
  nlohmann::json baselines;
  for (const char* b : {"rule", "blend", "type_base_rate", "analytic"}) {
    baselines[b] = ScorerMetrics(result.holdout, b);
  }
  card["metrics"] = {{"validation", ValidationMetrics(f, s.valid)},
                     {"holdout", ScorerMetrics(result.holdout, "model")},
                     {"baselines", baselines},
                     {"holdout_rows", result.holdout.rows},
                     {"holdout_positives", result.holdout.positives}};
  if (result.shuffle) card["metrics"]["shuffle_check"] = ShuffleCheckJson(*result.shuffle);
  card["type_base_rates"] = rates;
  card["feature_reference"] = FeatureReferenceToJson(*ref);
  card["code_version"] = CodeVersion();
  card["trained_at"] = UtcIsoNow();
  card["config"] = TrainerConfigToJson(c);
  card["reproduce"] = o.reproduce_command;

  ModelArtifact artifact{result.version, f.model_json, card,
                         ReferenceRows(f, s.holdout, c.reference_rows)};
  absl::StatusOr<PublishResult> pub = PublishModel(o.models_dir, artifact, result.gate, c.gate);
  if (!pub.ok()) return pub.status();
  result.status = pub->status;
  result.model_dir = pub->dir;
  result.model_sha256 = pub->model_sha256;
  result.card = card;

  ReportContext ctx;
  ctx.model_version = result.version;
  ctx.status = result.status;
  ctx.gate_reason = result.gate.reason;
  ctx.data_description = absl::StrCat(
      "holdout = patterns confirmed ", card["data_vintage"]["holdout"]["first_confirmation"].get<std::string>(),
      "..", card["data_vintage"]["holdout"]["last_confirmation"].get<std::string>(),
      "; trained on ", s.train.rows.size(), " rows (confirmed <= ",
      FormatDay(c.split.train_end), "), validated on ", s.valid.rows.size(), " (<= ",
      FormatDay(c.split.valid_end), "); purged ", s.counts.purged_train, " train + ",
      s.counts.purged_validation, " validation rows whose label window + ",
      c.split.embargo_calendar_days, "-day embargo crossed into the next period; ",
      ds.symbols.size(), " symbols, ", ds.feature_failures.size(), " feature failures");
  ctx.top_features = *top;
  ctx.shuffle = result.shuffle;
  ctx.reproduce_command = o.reproduce_command;
  ctx.extra["model_sha256"] = result.model_sha256;
  ctx.extra["hyperparameters"] = card["hyperparameters"];
  ctx.extra["data_vintage"] = card["data_vintage"];
  ctx.extra["validation"] = card["metrics"]["validation"];
  ctx.extra["gate"] = GateJson(result.gate, c.gate);
  result.report_dir = o.reports_dir + "/" + result.version;
  if (absl::Status st = WriteReport(result.report_dir, result.holdout, ctx); !st.ok()) return st;
  timer.Lap("publish_and_report");
  return result;
}

}  // namespace pcs
