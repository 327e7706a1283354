#include "training/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "features/feature_builder.h"
#include "model/metrics.h"
#include "monitoring/feature_reference.h"
#include "training/fold_export.h"
#include "training/model_fitting.h"
#include "training/model_scoring.h"
#include "training/model_selection.h"
#include "training/walk_forward.h"
#include "training/walk_forward_report.h"
#include "training/walk_forward_runner.h"

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
  std::chrono::steady_clock::time_point last_ =
      std::chrono::steady_clock::now();
};

nlohmann::json Num(double v) {
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  return v;
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

LeverSummary SummarizeLever(const std::string& name,
                            const EvaluationReport& pooled,
                            const std::vector<EvaluationReport>& per_fold,
                            const std::string& row_name) {
  LeverSummary l;
  l.name = name;
  if (const CoverageRow* row = pooled.Row(row_name)) {
    l.lift_vs_rule_at_gate = LiftOf(*row, "model", "rule");
    l.precision_at_gate = FindScorer(*row, "model")->precision;
    for (const LiftVs& v : FindScorer(*row, "model")->lifts) {
      if (v.reference == "rule") l.lift_ci = v.ci;
    }
  }
  l.roc_auc = pooled.Scorer("model")->roc_auc;
  l.ece = pooled.Scorer("model")->ece;
  for (const EvaluationReport& f : per_fold) {
    const CoverageRow* row = f.Row(row_name);
    l.fold_lifts.push_back(row ? LiftOf(*row, "model", "rule") : std::nan(""));
  }
  return l;
}

nlohmann::json LeverJson(const LeverSummary& l) {
  nlohmann::json folds = nlohmann::json::array();
  for (double v : l.fold_lifts) folds.push_back(Num(v));
  return {{"name", l.name},
          {"lift_vs_rule", Num(l.lift_vs_rule_at_gate)},
          {"lift_vs_rule_ci95", {Num(l.lift_ci.low), Num(l.lift_ci.high)}},
          {"precision", Num(l.precision_at_gate)},
          {"roc_auc", Num(l.roc_auc)},
          {"ece", Num(l.ece)},
          {"fold_lifts_vs_rule", folds},
          {"folds_chosen", l.folds_chosen}};
}

nlohmann::json ScorerMetrics(const EvaluationReport& r,
                             const std::string& name) {
  const ScorerSummary* s = r.Scorer(name);
  nlohmann::json j = {{"roc_auc", Num(s->roc_auc)},
                      {"pr_auc", Num(s->pr_auc)},
                      {"brier", Num(s->brier)},
                      {"ece", Num(s->ece)}};
  for (const CoverageRow& row : r.coverage) {
    const ScorerAtCoverage* sc = FindScorer(row, name);
    j["precision_at"][row.name] = Num(sc->precision);
    j["lift_vs_rule_at"][row.name] = Num(LiftOf(row, name, "rule"));
  }
  return j;
}

nlohmann::json DateRange(const SplitData& d) {
  if (d.rows.empty()) return {{"rows", 0}};
  Day lo = d.rows.front()->confirmation_day, hi = lo;
  int pos = 0;
  for (const LabeledExample* r : d.rows) {
    lo = std::min(lo, r->confirmation_day);
    hi = std::max(hi, r->confirmation_day);
    pos += r->label;
  }
  return {{"first_confirmation", FormatDay(lo)},
          {"last_confirmation", FormatDay(hi)},
          {"rows", d.rows.size()},
          {"positives", pos},
          {"rows_sha256", RowsSha256(d.rows)}};
}

nlohmann::json CountsJson(const SplitCounts& c) {
  return {{"train", c.train},
          {"validation", c.validation},
          {"test", c.holdout},
          {"purged_train", c.purged_train},
          {"purged_validation", c.purged_validation},
          {"after_window", c.out_of_range}};
}

nlohmann::json WindowJson(const WindowData& d, const SelectionResult& sel) {
  return {{"name", d.window.name},
          {"train", DateRange(d.train)},
          {"validation", DateRange(d.valid)},
          {"test", DateRange(d.test)},
          {"validation_start", FormatDay(d.window.validation_start)},
          {"test_start", FormatDay(d.window.test_start)},
          {"test_end", FormatDay(d.window.test_end)},
          {"counts", CountsJson(d.counts)},
          {"selection", sel.log}};
}

nlohmann::json ReferenceRows(const FittedModel& f, const SplitData& rows_from,
                             int count) {
  nlohmann::json rows = nlohmann::json::array();
  const int n = static_cast<int>(rows_from.rows.size());
  const int k = std::min(count, n);
  for (int i = 0; i < k; ++i) {
    const LabeledExample* r =
        rows_from.rows[static_cast<size_t>(static_cast<int64_t>(i) * n / k)];
    const double m = f.ensemble->PredictMargin(r->features.data());
    nlohmann::json feats = nlohmann::json::array();
    for (float v : r->features)
      feats.push_back(std::isnan(v) ? nlohmann::json(nullptr)
                                    : nlohmann::json(v));
    rows.push_back({{"id", r->id},
                    {"features", feats},
                    {"margin", m},
                    {"probability", CalibratedProbability(*f.calibrator, m)}});
  }
  return {{"rows", rows}};
}

ShuffleCheck ShuffleFrom(const EvaluationReport& r) {
  ShuffleCheck check;
  check.roc_auc = r.Scorer("model")->roc_auc;
  if (const CoverageRow* row = r.Row("30%")) {
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

}  // namespace

std::string CodeVersion() {
  const std::string cmd =
      absl::StrCat("git -C '", PCS_SOURCE_DIR, "' rev-parse HEAD 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "unknown";
  char buf[128] = {0};
  std::string out;
  if (fgets(buf, sizeof(buf), p) != nullptr) out = buf;
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out.size() == 40 ? out : "unknown";
}

namespace {

std::string FoldsText(const TrainerConfig& c) {
  std::string out;
  for (const WalkForwardWindow& w : MakeWalkForwardWindows(c.walk_forward)) {
    if (!w.is_test_fold) continue;
    absl::StrAppend(&out, out.empty() ? "" : ", ", FormatDay(w.test_start),
                    "..", FormatDay(w.test_end));
  }
  return out;
}

nlohmann::json CardDataVintage(const LabeledDataset& ds,
                               const TrainRunOptions& o, const TrainerConfig& c,
                               const SplitData& all,
                               const std::vector<WindowData>& windows) {
  int after = 0;
  for (const LabeledExample& e : ds.examples)
    after += e.confirmation_day > c.walk_forward.test_end;
  return {{"source", o.data_source},
          {"symbols", ds.symbols},
          {"market_symbol", o.market_symbol},
          {"market_available", ds.market_available},
          {"resolved_patterns_loaded", ds.patterns_loaded},
          {"feature_failures", ds.feature_failures.size()},
          {"rows_by_pattern_type", ds.rows_by_type},
          {"walk_forward", TrainerConfigToJson(c)["walk_forward"]},
          {"refit", DateRange(all)},
          {"rows_after_test_end_not_used", after},
          {"final_window",
           {{"train", DateRange(windows.back().train)},
            {"validation", DateRange(windows.back().valid)},
            {"counts", CountsJson(windows.back().counts)}}},
          {"training_rows_sha256", RowsSha256(all.rows)},
          {"training_rows_serialisation",
           "rows sorted by id; per row: id TAB label TAB features as %08x of "
           "float32 bits, "
           "comma separated, newline"}};
}

std::vector<LeverSummary> EvaluateLevers(
    const LabeledDataset& ds, const std::vector<WindowData>& windows,
    const std::vector<WindowOutcome>& outcomes, const TrainerConfig& c,
    absl::Status* status) {
  std::vector<LeverSummary> out;
  const size_t nf = windows.size() - 1;
  const EvaluationSettings s = Settings(c);
  EvaluationSettings point = s;
  point.resamples = 0;
  const size_t levers = outcomes[0].selection.levers.size();
  for (size_t l = 0; l < levers; ++l) {
    std::vector<std::vector<double>> probs(nf);
    std::vector<EvaluationReport> per_fold;
    int chosen = 0;
    for (size_t f = 0; f < nf; ++f) {
      probs[f] = outcomes[f].lever_test[l];
      chosen += outcomes[f].selection.chosen == static_cast<int>(l);
      absl::StatusOr<EvaluationReport> r = Evaluate(BuildEvaluationInput(
          windows[f].test.rows, probs[f], windows[f].rates, point));
      if (!r.ok()) {
        *status = r.status();
        return {};
      }
      per_fold.push_back(*std::move(r));
    }
    absl::StatusOr<EvaluationReport> pooled =
        Evaluate(PooledInput(ds, windows, probs, s));
    if (!pooled.ok()) {
      *status = pooled.status();
      return {};
    }
    LeverSummary sum = SummarizeLever(outcomes[0].selection.levers[l].name,
                                      *pooled, per_fold, c.gate.coverage_row);
    sum.folds_chosen = chosen;
    out.push_back(std::move(sum));
  }
  return out;
}

// Step 4: the decision policy of the model and, by the same procedure, of
// the analytic baseline, on the pooled out-of-sample rows; the gate's
// figures.
absl::StatusOr<GatePolicyFigures> ChoosePolicies(const EvaluationInput& in,
                                                 const TrainerConfig& c,
                                                 TrainRunResult* result) {
  PolicyOptions o = c.policy;
  o.rule_threshold = c.rule_threshold;
  o.resamples = c.bootstrap_resamples;
  o.seed = c.bootstrap_seed;
  const PolicyRows rows{in.symbols, in.labels, in.rule};
  absl::StatusOr<PolicyChoice> model = ChoosePolicy(rows, in.model, o);
  if (!model.ok()) return model.status();
  absl::StatusOr<PolicyChoice> analytic = ChoosePolicy(rows, in.analytic, o);
  if (!analytic.ok()) return analytic.status();
  GatePolicyFigures f;
  f.policy_found = model->found;
  f.model = model->policy.evidence;
  f.analytic_found = analytic->found;
  f.analytic = analytic->policy.evidence;
  f.analytic_blend_weight = analytic->policy.blend_weight;
  f.analytic_threshold = analytic->policy.threshold;
  f.tp_vs_analytic = f.tp_vs_analytic_ci.low = f.tp_vs_analytic_ci.high = NAN;
  if (model->found && analytic->found) {
    absl::StatusOr<TruePositiveComparison> cmp = CompareTruePositives(
        rows, in.model, model->policy.blend_weight, model->policy.threshold,
        in.analytic, analytic->policy.blend_weight, analytic->policy.threshold,
        o);
    if (!cmp.ok()) return cmp.status();
    f.tp_vs_analytic = cmp->lift;
    f.tp_vs_analytic_ci = cmp->ci;
  } else if (model->found) {
    f.tp_vs_analytic = f.tp_vs_analytic_ci.low = f.tp_vs_analytic_ci.high =
        INFINITY;  // the analytic baseline cannot meet the constraint at all
  }
  if (analytic->found) {
    model->policy.has_analytic = true;
    model->policy.analytic_blend_weight = analytic->policy.blend_weight;
    model->policy.analytic_threshold = analytic->policy.threshold;
  }
  model->policy.chosen_on = absl::StrCat(
      "pooled walk-forward out-of-sample predictions of the folds ",
      FoldsText(c), " (", in.labels.size(), " patterns); never a holdout");
  result->policy = *std::move(model);
  result->analytic_policy = *std::move(analytic);
  return f;
}

nlohmann::json PolicySearchJson(const TrainRunResult& r) {
  nlohmann::json analytic = {
      {"per_weight", WeightChoicesJson(r.analytic_policy.per_weight)},
      {"found", r.analytic_policy.found}};
  if (r.analytic_policy.found) {
    analytic["policy"] = DecisionPolicyToJson(r.analytic_policy.policy);
  }
  return {{"model_per_weight", WeightChoicesJson(r.policy.per_weight)},
          {"analytic", analytic}};
}

}  // namespace

absl::StatusOr<TrainRunResult> TrainModel(const LabeledDataset& ds,
                                          const TrainerConfig& c,
                                          const TrainRunOptions& o) {
  if (absl::Status st = ValidateWalkForwardOptions(c.walk_forward); !st.ok())
    return st;
  std::vector<WindowData> windows;
  for (const WalkForwardWindow& w : MakeWalkForwardWindows(c.walk_forward)) {
    absl::StatusOr<WindowData> d = MakeWindow(ds, w);
    if (!d.ok()) return d.status();
    windows.push_back(*std::move(d));
  }
  const size_t nf = windows.size() - 1;
  auto say = [&](const std::string& text) {
    if (o.progress) o.progress(text);
  };
  TrainRunResult result;
  PhaseTimer timer(&result.seconds);
  absl::StatusOr<std::vector<WindowOutcome>> outcomes =
      RunWindows(windows, c, o.workers, o.progress);
  if (!outcomes.ok()) return outcomes.status();
  timer.Lap("walk_forward");

  // Pooled out-of-sample evaluation of what the procedure chose in each fold.
  say("evaluating the pooled out-of-sample predictions");
  const EvaluationSettings settings = Settings(c);
  std::vector<std::vector<double>> chosen_probs(nf);
  for (size_t f = 0; f < nf; ++f) {
    chosen_probs[f] =
        (*outcomes)[f].lever_test[(*outcomes)[f].selection.chosen];
  }
  const EvaluationInput pooled_in =
      PooledInput(ds, windows, chosen_probs, settings);
  absl::StatusOr<EvaluationReport> pooled = Evaluate(pooled_in);
  if (!pooled.ok()) return pooled.status();
  result.pooled = *std::move(pooled);
  std::vector<EvaluationReport> fold_reports;
  for (size_t f = 0; f < nf; ++f) {
    absl::StatusOr<EvaluationReport> r = Evaluate(BuildEvaluationInput(
        windows[f].test.rows, chosen_probs[f], windows[f].rates, settings));
    if (!r.ok()) return r.status();
    const SelectionResult& sel = (*outcomes)[f].selection;
    FoldSummary fs;
    fs.name = windows[f].window.name;
    fs.test_first = FormatDay(windows[f].window.test_start);
    fs.test_last = FormatDay(windows[f].window.test_end);
    fs.counts = windows[f].counts;
    fs.chosen = sel.levers[sel.chosen].name;
    fs.params = sel.levers[sel.chosen].model.params;
    fs.member_rounds = sel.levers[sel.chosen].member_rounds;
    fs.test = *r;
    fold_reports.push_back(*std::move(r));
    result.folds.push_back(std::move(fs));
  }
  absl::StatusOr<IsoPrecision> iso = ComputeIsoPrecision(
      pooled_in, c.rule_threshold, c.bootstrap_resamples, c.bootstrap_seed);
  if (!iso.ok()) return iso.status();
  result.iso_precision = *iso;
  say("evaluating every lever");
  absl::Status lever_status;
  result.levers = EvaluateLevers(ds, windows, *outcomes, c, &lever_status);
  if (!lever_status.ok()) return lever_status;
  {
    LeverSummary chosen = SummarizeLever("chosen", result.pooled, fold_reports,
                                         c.gate.coverage_row);
    chosen.folds_chosen = static_cast<int>(nf);
    result.levers.push_back(chosen);
  }
  if (c.shuffle_check && !c.shuffle_labels) {
    std::vector<std::vector<double>> probs(nf);
    for (size_t f = 0; f < nf; ++f) probs[f] = (*outcomes)[f].shuffled_test;
    absl::StatusOr<EvaluationReport> r =
        Evaluate(PooledInput(ds, windows, probs, settings));
    if (!r.ok()) return r.status();
    result.shuffle = ShuffleFrom(*r);
  }
  if (!o.export_dir.empty()) {
    std::vector<ExportedRow> rows;
    for (size_t w = 0; w < windows.size(); ++w) {
      const WindowData& d = windows[w];
      const char* parts[3] = {"train", "validation", "test"};
      const SplitData* data[3] = {&d.train, &d.valid, &d.test};
      for (int p = 0; p < 3; ++p) {
        for (size_t i = 0; i < data[p]->rows.size(); ++i) {
          const LabeledExample* e = data[p]->rows[i];
          const auto rate = d.rates.find(e->pattern_type);
          rows.push_back(
              {d.window.name, parts[p], e,
               rate == d.rates.end() ? d.rates.at("__all__") : rate->second,
               p == 2 && w < nf ? chosen_probs[w][i] : std::nan("")});
        }
      }
    }
    if (absl::Status st =
            ExportFolds(o.export_dir, FeatureBuilder::Schema().names, rows);
        !st.ok()) {
      return st;
    }
  }
  timer.Lap("evaluation");
  say("choosing the decision policy");
  absl::StatusOr<GatePolicyFigures> policy_figures =
      ChoosePolicies(pooled_in, c, &result);
  if (!policy_figures.ok()) return policy_figures.status();
  timer.Lap("policy");
  result.gate = EvaluateGate(result.pooled, *policy_figures, c.gate);
  if (c.shuffle_labels) {
    result.gate.promote = false;
    result.gate.reason =
        "rejected: trained on shuffled labels (--shuffle-labels control "
        "run); " +
        result.gate.reason;
  }

  // The served model: the final window's choice, refit on every row <=
  // test_end.
  const int cols = static_cast<int>(FeatureBuilder::Schema().names.size());
  std::vector<const LabeledExample*> all_rows;
  for (const LabeledExample& e : ds.examples) {
    if (e.confirmation_day <= c.walk_forward.test_end) all_rows.push_back(&e);
  }
  SplitData all = MakeSplitData(all_rows, cols);
  if (c.shuffle_labels) all.y = Shuffled(all.y, c.shuffle_seed);
  const SelectionResult& final_sel = outcomes->back().selection;
  ProgressFn refit_progress;
  if (o.progress)
    refit_progress = [&](const std::string& s) { o.progress("refit: " + s); };
  absl::StatusOr<FittedModel> refit =
      RefitChosen(final_sel, all, refit_progress);
  if (!refit.ok()) return refit.status();
  FittedModel& f = *refit;
  result.chosen = final_sel.levers[final_sel.chosen].name;
  result.selected = f.params;
  result.member_rounds = final_sel.levers[final_sel.chosen].member_rounds;
  result.refit_rows = all.x.rows;
  timer.Lap("refit");
  say("feature importance");
  const std::vector<std::string>& names = FeatureBuilder::Schema().names;
  absl::StatusOr<std::vector<FeatureImportance>> top =
      TopFeatures(*f.booster, all, names, c.top_features);
  if (!top.ok()) return top.status();
  timer.Lap("importance");

  // Drift reference: features of the refit rows, score = pooled out-of-sample
  // probabilities (what a model of this procedure outputs on unseen data).
  std::vector<std::vector<float>> ref_rows;
  for (const LabeledExample* r : all.rows) ref_rows.push_back(r->features);
  absl::StatusOr<FeatureReference> ref =
      BuildFeatureReference(names, ref_rows, pooled_in.model);
  if (!ref.ok()) return ref.status();

  result.version = o.version.empty() ? UtcVersionNow() : o.version;
  nlohmann::json folds_json = nlohmann::json::array();
  for (size_t w = 0; w < nf; ++w) {
    nlohmann::json j = WindowJson(windows[w], (*outcomes)[w].selection);
    j["test_metrics"] = ScorerMetrics(result.folds[w].test, "model");
    j["test_rule_metrics"] = ScorerMetrics(result.folds[w].test, "rule");
    folds_json.push_back(j);
  }
  nlohmann::json levers_json = nlohmann::json::array();
  for (const LeverSummary& l : result.levers)
    levers_json.push_back(LeverJson(l));
  nlohmann::json card;
  card["feature_schema"] = {{"version", FeatureBuilder::Schema().version},
                            {"hash", FeatureBuilder::Schema().hash},
                            {"names", names}};
  card["calibration"] = f.calibrator->ToJson();
  card["calibration"]["fitted_on"] =
      "validation rows of the final window (the selection model's predictions, "
      "before the "
      "refit); the refit itself has no holdout, so its calibration is not "
      "separately verified";
  card["serving"] = {{"decision_threshold", c.rule_threshold},
                     {"blend_weight", c.blend_weight}};
  if (result.policy.found) {
    card["policy"] = DecisionPolicyToJson(result.policy.policy);
  }
  card["data_vintage"] = CardDataVintage(ds, o, c, all, windows);
  card["hyperparameters"] = {
      {"selected", TrainParamsToJson(f.params)},
      {"chosen", result.chosen},
      {"member_rounds", result.member_rounds},
      {"trees_in_model", f.ensemble->num_trees()},
      {"selection",
       "the walk-forward procedure (grid by validation logloss, candidate by "
       "validation ROC-AUC, bagging if it raises validation ROC-AUC) run on "
       "the "
       "final window, then refit on all rows <= test_end with each member's "
       "best-iteration tree count"},
      {"final_window", WindowJson(windows.back(), final_sel)},
      {"shuffle_labels", c.shuffle_labels}};
  nlohmann::json baselines;
  for (const char* b : {"rule", "blend", "type_base_rate", "analytic"}) {
    baselines[b] = ScorerMetrics(result.pooled, b);
  }
  card["metrics"] = {
      {"evaluation",
       "walk-forward: pooled out-of-sample predictions of the folds " +
           FoldsText(c) +
           " (each fold's model chosen and fitted on earlier "
           "data only); the served model is a refit with no holdout of its "
           "own"},
      {"walk_forward", ScorerMetrics(result.pooled, "model")},
      {"baselines", baselines},
      {"walk_forward_rows", result.pooled.rows},
      {"walk_forward_positives", result.pooled.positives},
      {"iso_precision",
       IsoPrecisionJson(result.iso_precision, c.rule_threshold)},
      {"policy_search", PolicySearchJson(result)},
      {"folds", folds_json},
      {"levers", levers_json}};
  if (result.shuffle)
    card["metrics"]["shuffle_check"] = ShuffleCheckJson(*result.shuffle);
  card["type_base_rates"] = TypeBaseRates(all.rows);
  card["feature_reference"] = FeatureReferenceToJson(*ref);
  card["feature_reference_note"] =
      "features: the refit rows; __score__: the pooled walk-forward "
      "out-of-sample probabilities";
  card["code_version"] = CodeVersion();
  card["trained_at"] = UtcIsoNow();
  card["config"] = TrainerConfigToJson(c);
  card["reproduce"] = o.reproduce_command;

  say("publishing");
  ModelArtifact artifact{
      result.version, f.model_json, card,
      ReferenceRows(f, windows[nf - 1].test, c.reference_rows)};
  absl::StatusOr<PublishResult> pub =
      PublishModel(o.models_dir, artifact, result.gate, c.gate);
  if (!pub.ok()) return pub.status();
  result.status = pub->status;
  result.model_dir = pub->dir;
  result.model_sha256 = pub->model_sha256;
  result.card = card;

  ReportContext ctx;
  ctx.title = "Pattern confidence model: walk-forward evaluation";
  ctx.evaluated_set = "walk-forward out-of-sample";
  ctx.model_version = result.version;
  ctx.status = result.status;
  ctx.gate_reason = result.gate.reason;
  ctx.data_description = absl::StrCat(
      "walk-forward, pooled out-of-sample predictions of ", nf,
      " test periods (", FoldsText(c), "); each fold's model chosen on the ",
      c.walk_forward.validation_years,
      " years before its test period and trained on everything earlier, purge "
      "+ ",
      c.walk_forward.embargo_calendar_days, "-day embargo at both boundaries; ",
      ds.symbols.size(), " symbols, ", ds.feature_failures.size(),
      " feature failures. The served model is refit on ", all.x.rows,
      " rows (all confirmed <= ", FormatDay(c.walk_forward.test_end),
      ") and has no holdout of its own.");
  ctx.top_features = *top;
  ctx.shuffle = result.shuffle;
  ctx.reproduce_command = o.reproduce_command;
  ctx.extra["model_sha256"] = result.model_sha256;
  ctx.extra["hyperparameters"] = card["hyperparameters"];
  ctx.extra["data_vintage"] = card["data_vintage"];
  ctx.extra["walk_forward_folds"] = folds_json;
  ctx.extra["iso_precision"] = card["metrics"]["iso_precision"];
  ctx.extra["levers"] = levers_json;
  ctx.extra["gate"] = GateJson(result.gate, c.gate);
  ctx.extra["policy"] = card.contains("policy") ? card["policy"] : nullptr;
  ctx.extra["policy_search"] = card["metrics"]["policy_search"];
  ctx.markdown_sections.push_back(PolicyMarkdown(result, c));
  ctx.markdown_sections.push_back(WalkForwardMarkdown(result, c));
  result.report_dir = o.reports_dir + "/" + result.version;
  if (absl::Status st = WriteReport(result.report_dir, result.pooled, ctx);
      !st.ok())
    return st;
  timer.Lap("publish_and_report");
  return result;
}

}  // namespace pcs
