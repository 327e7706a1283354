#ifndef PCS_TRAINING_EVALUATION_H_
#define PCS_TRAINING_EVALUATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "training/curves.h"
#include "training/matched_coverage.h"

namespace pcs {

// Scores every evaluated (holdout) pattern by five scorers and summarises
// them in a way that cannot flatter the model:
//   model           calibrated model probability
//   rule            the rule detector's confidence (what runs today)
//   blend           (1 - w) * rule + w * model  (w = blend_weight)
//   type_base_rate  the pattern type's positive rate on the TRAINING split
//   analytic        driftless Brownian two-barrier probability (no fitting)
// Headline: matched-coverage precision with symbol-bootstrap intervals and
// lifts vs rule, type_base_rate and analytic (training/matched_coverage.h).
// Secondary: ROC-AUC, PR-AUC (average precision), Brier, ECE per scorer,
// per-pattern-type numbers, curves for the plots.
//
// Pure computation, thread-compatible.
struct EvaluationInput {
  std::vector<std::string> ids;  // sorted ascending by the caller
  std::vector<std::string> symbols;
  std::vector<std::string> pattern_types;
  std::vector<int> labels;
  std::vector<double> model;
  std::vector<double> rule;
  std::vector<double> type_base_rate;
  std::vector<double> analytic;
  double blend_weight = 0.5;
  std::optional<double>
      rule_threshold;  // the rule's default decision threshold
  std::vector<double> coverages = {0.10, 0.20, 0.30, 0.50};
  int resamples = 1000;
  uint64_t seed = 20240605;
};

struct ScorerSummary {
  std::string name;
  double roc_auc = 0;
  double pr_auc = 0;
  double brier = 0;
  double ece = 0;
  std::vector<CurvePoint> roc;
  std::vector<CurvePoint> pr;
  std::vector<CurvePoint> precision_coverage;
};

struct PatternTypeSummary {
  std::string pattern_type;
  int count = 0;
  int positives = 0;
  double model_roc_auc = 0;  // NaN when the type has a single class
  double rule_roc_auc = 0;
  double model_precision_at_30 = 0;  // within the type, matched count
  double rule_precision_at_30 = 0;
  double mean_model_probability = 0;
};

struct EvaluationReport {
  int rows = 0;
  int positives = 0;
  int symbols = 0;
  double blend_weight = 0.5;
  int resamples = 0;  // bootstrap resamples behind the intervals
  std::vector<CoverageRow> coverage;
  std::vector<ScorerSummary>
      scorers;  // model, rule, blend, type_base_rate, analytic
  std::vector<ReliabilityBin> model_reliability;
  std::vector<ReliabilityBin> blend_reliability;
  std::vector<PatternTypeSummary> per_type;

  const ScorerSummary* Scorer(const std::string& name) const;
  // Row by name ("30%", "rule_threshold"); nullptr when absent.
  const CoverageRow* Row(const std::string& name) const;
};

// Names of the scorers, in report order.
const std::vector<std::string>& EvaluationScorerNames();

absl::StatusOr<EvaluationReport> Evaluate(const EvaluationInput& input);

// Precision / lift lookup: scorer `name` at coverage row `row`.
const ScorerAtCoverage* FindScorer(const CoverageRow& row,
                                   const std::string& name);
// Lift of `scorer` vs `reference` in `row`, NaN when absent.
double LiftOf(const CoverageRow& row, const std::string& scorer,
              const std::string& reference);

nlohmann::json ToJson(const EvaluationReport& report);

}  // namespace pcs

#endif  // PCS_TRAINING_EVALUATION_H_
