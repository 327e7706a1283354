#include "training/run_record.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "training/iso_precision.h"
#include "training/model_fitting.h"
#include "training/walk_forward.h"

namespace pcs {

nlohmann::json JsonNumber(double v) {
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  return v;
}

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

nlohmann::json LeverJson(const LeverSummary& l) {
  nlohmann::json folds = nlohmann::json::array();
  for (double v : l.fold_lifts) folds.push_back(JsonNumber(v));
  return {{"name", l.name},
          {"lift_vs_rule", JsonNumber(l.lift_vs_rule_at_gate)},
          {"lift_vs_rule_ci95",
           {JsonNumber(l.lift_ci.low), JsonNumber(l.lift_ci.high)}},
          {"precision", JsonNumber(l.precision_at_gate)},
          {"roc_auc", JsonNumber(l.roc_auc)},
          {"ece", JsonNumber(l.ece)},
          {"fold_lifts_vs_rule", folds},
          {"folds_chosen", l.folds_chosen}};
}

nlohmann::json ScorerMetrics(const EvaluationReport& r,
                             const std::string& name) {
  const ScorerSummary* s = r.Scorer(name);
  nlohmann::json j = {{"roc_auc", JsonNumber(s->roc_auc)},
                      {"pr_auc", JsonNumber(s->pr_auc)},
                      {"brier", JsonNumber(s->brier)},
                      {"ece", JsonNumber(s->ece)}};
  for (const CoverageRow& row : r.coverage) {
    const ScorerAtCoverage* sc = FindScorer(row, name);
    j["precision_at"][row.name] = JsonNumber(sc->precision);
    j["lift_vs_rule_at"][row.name] = JsonNumber(LiftOf(row, name, "rule"));
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

nlohmann::json HyperparametersJson(const TrainRunResult& result,
                                   const FittedModel& f, const TrainerConfig& c,
                                   const WindowData& final_window,
                                   const SelectionResult& final_sel) {
  return {{"selected", TrainParamsToJson(f.params)},
          {"chosen", result.chosen},
          {"member_rounds", result.member_rounds},
          {"trees_in_model", f.ensemble->num_trees()},
          {"selection",
           "the walk-forward procedure (grid by validation logloss, candidate "
           "by validation ROC-AUC, bagging if it raises validation ROC-AUC) "
           "run on the final window, then refit on all rows <= test_end with "
           "each member's best-iteration tree count"},
          {"final_window", WindowJson(final_window, final_sel)},
          {"shuffle_labels", c.shuffle_labels}};
}

nlohmann::json MetricsJson(const TrainRunResult& result, const TrainerConfig& c,
                           const nlohmann::json& folds_json) {
  nlohmann::json baselines;
  for (const char* b : {"rule", "blend", "type_base_rate", "analytic"})
    baselines[b] = ScorerMetrics(result.pooled, b);
  nlohmann::json levers = nlohmann::json::array();
  for (const LeverSummary& l : result.levers) levers.push_back(LeverJson(l));
  nlohmann::json m = {
      {"evaluation",
       "walk-forward: pooled out-of-sample predictions of the folds " +
           FoldsText(c) +
           " (each fold's model chosen and fitted on earlier data only); the "
           "served model is a refit with no holdout of its own"},
      {"walk_forward", ScorerMetrics(result.pooled, "model")},
      {"baselines", baselines},
      {"walk_forward_rows", result.pooled.rows},
      {"walk_forward_positives", result.pooled.positives},
      {"iso_precision",
       IsoPrecisionJson(result.iso_precision, c.rule_threshold)},
      {"policy_search", PolicySearchJson(result)},
      {"folds", folds_json},
      {"levers", levers}};
  if (result.shuffle) m["shuffle_check"] = ShuffleCheckJson(*result.shuffle);
  return m;
}

nlohmann::json FoldsJson(const std::vector<WindowData>& windows,
                         const std::vector<WindowOutcome>& outcomes,
                         const TrainRunResult& result) {
  nlohmann::json folds = nlohmann::json::array();
  for (size_t w = 0; w + 1 < windows.size(); ++w) {
    nlohmann::json j = WindowJson(windows[w], outcomes[w].selection);
    j["test_metrics"] = ScorerMetrics(result.folds[w].test, "model");
    j["test_rule_metrics"] = ScorerMetrics(result.folds[w].test, "rule");
    folds.push_back(j);
  }
  return folds;
}

}  // namespace pcs
