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
#include "model/model_card_writer.h"
#include "monitoring/feature_reference.h"
#include "training/fold_export.h"
#include "training/model_fitting.h"
#include "training/model_scoring.h"
#include "training/model_selection.h"
#include "training/run_record.h"
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

nlohmann::json ReferenceRows(const FittedModel& f, const SplitData& rows_from,
                             int count) {
  nlohmann::json rows = nlohmann::json::array();
  const int n = static_cast<int>(rows_from.rows.size());
  const int k = std::min(count, n);
  for (int i = 0; i < k; ++i) {
    const LabeledExample* r =
        rows_from.rows[static_cast<size_t>(static_cast<int64_t>(i) * n / k)];
    const double m = RowMargin(*f.ensemble, *r);
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

// Step 1: the walk-forward windows' rows.
absl::StatusOr<std::vector<WindowData>> MakeWindows(const LabeledDataset& ds,
                                                    const TrainerConfig& c) {
  if (absl::Status st = ValidateWalkForwardOptions(c.walk_forward); !st.ok())
    return st;
  std::vector<WindowData> windows;
  for (const WalkForwardWindow& w : MakeWalkForwardWindows(c.walk_forward)) {
    absl::StatusOr<WindowData> d = MakeWindow(ds, w);
    if (!d.ok()) return d.status();
    windows.push_back(*std::move(d));
  }
  return windows;
}

// What the procedure chose in each test fold, pooled: the rows the policy
// and the gate are decided on.
struct OutOfSample {
  std::vector<std::vector<double>> chosen_probs;  // per test fold
  EvaluationInput pooled;
};

// Step 3: the pooled out-of-sample evaluation, per fold, the iso-precision
// figure, every lever and the shuffle control, into `result`.
absl::StatusOr<OutOfSample> EvaluateOutOfSample(
    const LabeledDataset& ds, const std::vector<WindowData>& windows,
    const std::vector<WindowOutcome>& outcomes, const TrainerConfig& c,
    TrainRunResult& result) {
  const size_t nf = windows.size() - 1;
  const EvaluationSettings settings = Settings(c);
  OutOfSample oos;
  oos.chosen_probs.resize(nf);
  for (size_t f = 0; f < nf; ++f)
    oos.chosen_probs[f] = outcomes[f].lever_test[outcomes[f].selection.chosen];
  oos.pooled = PooledInput(ds, windows, oos.chosen_probs, settings);
  absl::StatusOr<EvaluationReport> pooled = Evaluate(oos.pooled);
  if (!pooled.ok()) return pooled.status();
  result.pooled = *std::move(pooled);
  std::vector<EvaluationReport> fold_reports;
  for (size_t f = 0; f < nf; ++f) {
    absl::StatusOr<EvaluationReport> r = Evaluate(BuildEvaluationInput(
        windows[f].test.rows, oos.chosen_probs[f], windows[f].rates, settings));
    if (!r.ok()) return r.status();
    const LeverModel& chosen =
        outcomes[f].selection.levers[outcomes[f].selection.chosen];
    result.folds.push_back(
        {windows[f].window.name, FormatDay(windows[f].window.test_start),
         FormatDay(windows[f].window.test_end), windows[f].counts, chosen.name,
         chosen.model.params, chosen.member_rounds, *r});
    fold_reports.push_back(*std::move(r));
  }
  absl::StatusOr<IsoPrecision> iso = ComputeIsoPrecision(
      oos.pooled, c.rule_threshold, c.bootstrap_resamples, c.bootstrap_seed);
  if (!iso.ok()) return iso.status();
  result.iso_precision = *iso;
  absl::Status lever_status;
  result.levers = EvaluateLevers(ds, windows, outcomes, c, &lever_status);
  if (!lever_status.ok()) return lever_status;
  LeverSummary chosen = SummarizeLever("chosen", result.pooled, fold_reports,
                                       c.gate.coverage_row);
  chosen.folds_chosen = static_cast<int>(nf);
  result.levers.push_back(chosen);
  if (c.shuffle_check && !c.shuffle_labels) {
    std::vector<std::vector<double>> probs(nf);
    for (size_t f = 0; f < nf; ++f) probs[f] = outcomes[f].shuffled_test;
    absl::StatusOr<EvaluationReport> r =
        Evaluate(PooledInput(ds, windows, probs, settings));
    if (!r.ok()) return r.status();
    result.shuffle = ShuffleFrom(*r);
  }
  return oos;
}

// --export-folds: every window's rows, with the test folds' probabilities.
absl::Status ExportWindows(const std::string& dir, const LabeledDataset& ds,
                           const std::vector<WindowData>& windows,
                           const OutOfSample& oos) {
  const size_t nf = windows.size() - 1;
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
             p == 2 && w < nf ? oos.chosen_probs[w][i] : std::nan("")});
      }
    }
  }
  return ExportFolds(dir, FeatureNames(ds), rows);
}

// Step 4: the decision policy and the gate's verdict, into `result`.
absl::Status DecidePolicyAndGate(const EvaluationInput& pooled,
                                 const TrainerConfig& c,
                                 TrainRunResult& result) {
  absl::StatusOr<GatePolicyFigures> figures =
      ChoosePolicies(pooled, c, &result);
  if (!figures.ok()) return figures.status();
  result.gate = EvaluateGate(result.pooled, *figures, c.gate);
  if (c.shuffle_labels) {
    result.gate.promote = false;
    result.gate.reason = absl::StrCat(
        "rejected: trained on shuffled labels (--shuffle-labels control run); ",
        result.gate.reason);
  }
  if (c.experiment.Any()) {
    result.gate.promote = false;
    result.gate.reason = absl::StrCat(
        "rejected: experiment run (", ExperimentColumnsText(c.experiment),
        "; its inputs are not in the served feature schema); ",
        result.gate.reason);
  }
  return absl::OkStatus();
}

// The served model: the final window's choice refit on every row <=
// test_end.
struct ServedModel {
  SplitData all;
  FittedModel fitted;
};

// Step 5: the refit, into `result`'s chosen/selected/member_rounds.
absl::StatusOr<ServedModel> RefitServedModel(const LabeledDataset& ds,
                                             const SelectionResult& final_sel,
                                             const TrainerConfig& c,
                                             const TrainRunOptions& o,
                                             TrainRunResult& result) {
  std::vector<const LabeledExample*> all_rows;
  for (const LabeledExample& e : ds.examples) {
    if (e.confirmation_day <= c.walk_forward.test_end) all_rows.push_back(&e);
  }
  ServedModel served;
  served.all =
      MakeSplitData(all_rows, static_cast<int>(FeatureNames(ds).size()));
  if (c.shuffle_labels) served.all.y = Shuffled(served.all.y, c.shuffle_seed);
  ProgressFn refit_progress;
  if (o.progress)
    refit_progress = [&](const std::string& s) { o.progress("refit: " + s); };
  absl::StatusOr<FittedModel> refit =
      RefitChosen(final_sel, served.all, refit_progress);
  if (!refit.ok()) return refit.status();
  served.fitted = *std::move(refit);
  result.chosen = final_sel.levers[final_sel.chosen].name;
  result.selected = served.fitted.params;
  result.member_rounds = final_sel.levers[final_sel.chosen].member_rounds;
  result.refit_rows = served.all.x.rows;
  return served;
}

// Step 6: feature importance of the served model and its drift reference
// (features of the refit rows; score = the pooled out-of-sample
// probabilities, what a model of this procedure outputs on unseen data).
struct Explanation {
  std::vector<FeatureImportance> top;
  FeatureReference reference;
};

absl::StatusOr<Explanation> ExplainServedModel(
    const LabeledDataset& ds, const ServedModel& served,
    const std::vector<double>& out_of_sample, const TrainerConfig& c) {
  const std::vector<std::string> names = FeatureNames(ds);
  absl::StatusOr<std::vector<FeatureImportance>> top =
      TopFeatures(*served.fitted.booster, served.all, names, c.top_features);
  if (!top.ok()) return top.status();
  std::vector<std::vector<float>> rows;
  for (const LabeledExample* r : served.all.rows) rows.push_back(r->features);
  absl::StatusOr<FeatureReference> ref =
      BuildFeatureReference(names, rows, out_of_sample);
  if (!ref.ok()) return ref.status();
  return Explanation{*std::move(top), *std::move(ref)};
}

// Step 7: what the card says (model/model_card_writer.h writes it).
ModelCardDraft DraftCard(const LabeledDataset& ds, const TrainerConfig& c,
                         const TrainRunOptions& o,
                         const std::vector<WindowData>& windows,
                         const std::vector<WindowOutcome>& outcomes,
                         const ServedModel& served,
                         const FeatureReference& reference,
                         const TrainRunResult& result) {
  const FittedModel& f = served.fitted;
  ModelCardDraft d;
  d.feature_schema_version = FeatureBuilder::Schema().version;
  d.feature_schema_hash = FeatureBuilder::Schema().hash;
  d.feature_names = FeatureNames(ds);
  d.calibration = f.calibrator->ToJson();
  d.calibration_fitted_on =
      "validation rows of the final window (the selection model's "
      "predictions, before the refit); the refit itself has no holdout, so "
      "its calibration is not separately verified";
  d.decision_threshold = c.rule_threshold;
  d.blend_weight = c.blend_weight;
  if (result.policy.found) d.policy = result.policy.policy;
  d.data_vintage = CardDataVintage(ds, o, c, served.all, windows);
  d.hyperparameters = HyperparametersJson(result, f, c, windows.back(),
                                          outcomes.back().selection);
  d.metrics = MetricsJson(result, c, FoldsJson(windows, outcomes, result));
  d.type_base_rates = TypeBaseRates(served.all.rows);
  d.feature_reference = FeatureReferenceToJson(reference);
  d.feature_reference_note =
      "features: the refit rows; __score__: the pooled walk-forward "
      "out-of-sample probabilities";
  d.code_version = CodeVersion();
  d.trained_at = UtcIsoNow();
  d.config = TrainerConfigToJson(c);
  d.reproduce = o.reproduce_command;
  return d;
}

// Step 8: report.md, evaluation.json and the plots of the run.
absl::Status WriteRunReport(const LabeledDataset& ds, const TrainerConfig& c,
                            const TrainRunOptions& o, int refit_rows,
                            const std::vector<FeatureImportance>& top,
                            TrainRunResult& result) {
  const nlohmann::json& card = result.card;
  ReportContext ctx;
  ctx.title = "Pattern confidence model: walk-forward evaluation";
  ctx.evaluated_set = "walk-forward out-of-sample";
  ctx.model_version = result.version;
  ctx.status = result.status;
  ctx.gate_reason = result.gate.reason;
  ctx.data_description = absl::StrCat(
      "walk-forward, pooled out-of-sample predictions of ", result.folds.size(),
      " test periods (", FoldsText(c), "); each fold's model chosen on the ",
      c.walk_forward.validation_years,
      " years before its test period and trained on everything earlier, purge "
      "+ ",
      c.walk_forward.embargo_calendar_days, "-day embargo at both boundaries; ",
      ds.symbols.size(), " symbols, ", ds.feature_failures.size(),
      " feature failures. The served model is refit on ", refit_rows,
      " rows (all confirmed <= ", FormatDay(c.walk_forward.test_end),
      ") and has no holdout of its own.");
  ctx.top_features = top;
  ctx.shuffle = result.shuffle;
  ctx.reproduce_command = o.reproduce_command;
  ctx.extra["model_sha256"] = result.model_sha256;
  ctx.extra["hyperparameters"] = card["hyperparameters"];
  ctx.extra["data_vintage"] = card["data_vintage"];
  ctx.extra["walk_forward_folds"] = card["metrics"]["folds"];
  ctx.extra["iso_precision"] = card["metrics"]["iso_precision"];
  ctx.extra["levers"] = card["metrics"]["levers"];
  ctx.extra["gate"] = GateJson(result.gate, c.gate);
  ctx.extra["policy"] = card.contains("policy") ? card["policy"] : nullptr;
  ctx.extra["policy_search"] = card["metrics"]["policy_search"];
  if (c.experiment.Any())
    ctx.extra["experiment"] = card["config"]["experiment"];
  ctx.markdown_sections.push_back(PolicyMarkdown(result, c));
  ctx.markdown_sections.push_back(WalkForwardMarkdown(result, c));
  result.report_dir = o.reports_dir + "/" + result.version;
  return WriteReport(result.report_dir, result.pooled, ctx);
}

}  // namespace

absl::StatusOr<TrainRunResult> TrainModel(const LabeledDataset& ds,
                                          const TrainerConfig& c,
                                          const TrainRunOptions& o) {
  absl::StatusOr<std::vector<WindowData>> windows = MakeWindows(ds, c);
  if (!windows.ok()) return windows.status();
  auto say = [&](const std::string& text) {
    if (o.progress) o.progress(text);
  };
  TrainRunResult result;
  PhaseTimer timer(&result.seconds);
  // Step 2: the selection procedure in every window, test folds scored.
  absl::StatusOr<std::vector<WindowOutcome>> outcomes =
      RunWindows(*windows, c, o.workers, o.progress);
  if (!outcomes.ok()) return outcomes.status();
  timer.Lap("walk_forward");
  say("evaluating the pooled out-of-sample predictions and every lever");
  absl::StatusOr<OutOfSample> oos =
      EvaluateOutOfSample(ds, *windows, *outcomes, c, result);
  if (!oos.ok()) return oos.status();
  if (!o.export_dir.empty()) {
    if (absl::Status st = ExportWindows(o.export_dir, ds, *windows, *oos);
        !st.ok())
      return st;
  }
  timer.Lap("evaluation");
  say("choosing the decision policy");
  if (absl::Status st = DecidePolicyAndGate(oos->pooled, c, result); !st.ok())
    return st;
  timer.Lap("policy");
  absl::StatusOr<ServedModel> served =
      RefitServedModel(ds, outcomes->back().selection, c, o, result);
  if (!served.ok()) return served.status();
  timer.Lap("refit");
  say("feature importance");
  absl::StatusOr<Explanation> explained =
      ExplainServedModel(ds, *served, oos->pooled.model, c);
  if (!explained.ok()) return explained.status();
  timer.Lap("importance");
  result.version = o.version.empty() ? UtcVersionNow() : o.version;
  result.card = ModelCardJson(DraftCard(ds, c, o, *windows, *outcomes, *served,
                                        explained->reference, result));
  say("publishing");
  const size_t nf = windows->size() - 1;
  ModelArtifact artifact{
      result.version, served->fitted.model_json, result.card,
      ReferenceRows(served->fitted, (*windows)[nf - 1].test, c.reference_rows)};
  absl::StatusOr<PublishResult> pub =
      PublishModel(o.models_dir, artifact, result.gate, c.gate);
  if (!pub.ok()) return pub.status();
  result.status = pub->status;
  result.model_dir = pub->dir;
  result.model_sha256 = pub->model_sha256;
  if (absl::Status st =
          WriteRunReport(ds, c, o, served->all.x.rows, explained->top, result);
      !st.ok())
    return st;
  timer.Lap("publish_and_report");
  return result;
}

}  // namespace pcs
