#ifndef PCS_MONITORING_ROLLING_ACCURACY_H_
#define PCS_MONITORING_ROLLING_ACCURACY_H_

// Rolling accuracy of the served model on patterns whose outcome is now
// known, compared with the metrics in the serving model's card.
//
// Input rows (ScoredOutcome) are predictions the server logged in
// prediction_traces joined with the resolved
// outcome_label of pattern_events (LoadScoredOutcomes in
// db/prediction_trace_store.h).
// Two windows are computed, both on the resolution date:
//   "last_<N>"  the N most recently resolved scored patterns (resolved on
//               or before as_of)
//   "<D>d"      patterns resolved in the D days up to and including as_of
//
// Per window:
//   precision of ML-confirmed patterns: ml_confidence >= decision_threshold
//     (the card's serving.decision_threshold)
//   precision of rule-confirmed patterns: rule_confidence >= rule_threshold
//     (the rule baseline the model has to beat)
//   precision of blended-confirmed patterns: blended >= decision_threshold
//   ROC-AUC, Brier and ECE (10 equal-width bins) of ml_confidence, by the
//     one metrics library (model/metrics.h); nullopt where it gives NaN
//   the SERVED DECISION POLICY next to rule-only (model/decision_policy.h):
//     a row is confirmed by the policy when
//       policy_blend_weight * ml + (1 - w) * rule >= policy_threshold,
//     or, when it has no ml_confidence (the server fell back to rules), when
//     rule >= rule_threshold (what the server decided); its confirmation
//     rate (confirmed / rows), precision and true-positive rate (TP /
//     positives), and the same three for rule-only.
//     Degraded ("policy_precision_vs_rule") when the policy's precision is
//     below the rule's by more than policy_precision_tolerance (the card's
//     policy.precision_tolerance).
// Rows without ml_confidence (the server fell back to rules) count in the
// rule precision and in `fallback_rows`, not in the ML metrics.
//
// Pure functions, thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "db/prediction_trace_store.h"  // ScoredOutcome
#include "nlohmann/json.hpp"

namespace pcs {

struct RollingAccuracyOptions {
  int last_n = 500;                 // count window
  int window_days = 90;             // time window
  Day as_of = 0;                    // end of the time window (inclusive)
  double decision_threshold = 0.5;  // ML / blended confirmation threshold
  double rule_threshold = 0.5;      // rule confirmation threshold
  // The served decision policy (ModelCard::Served()) and the card's
  // tolerance for its precision vs the rule's.
  double policy_blend_weight = 0.5;
  double policy_threshold = 0.5;
  double policy_precision_tolerance = 0.02;
  int calibration_bins = 10;
  // A window with fewer scored rows reports its metrics but never degrades.
  int min_rows_for_verdict = 30;
};

struct PrecisionAt {
  int confirmed = 0;                // rows at or above the threshold
  int true_positives = 0;           // of which label 1
  std::optional<double> precision;  // nullopt when nothing was confirmed
};

struct WindowAccuracy {
  std::string window;     // "last_500", "90d"
  int rows = 0;           // resolved rows in the window
  int scored_rows = 0;    // with ml_confidence
  int fallback_rows = 0;  // without ml_confidence
  int positives = 0;      // label 1 among all rows
  PrecisionAt ml;
  PrecisionAt rule;
  PrecisionAt blended;
  PrecisionAt policy;  // the served policy's decisions (see above)
  // confirmed / rows and TP / positives; nullopt without rows / positives.
  std::optional<double> policy_confirmation_rate, rule_confirmation_rate;
  std::optional<double> policy_tp_rate, rule_tp_rate;
  std::optional<double> roc_auc;  // nullopt with < 2 classes among scored rows
  std::optional<double> brier;    // nullopt without scored rows
  std::optional<double> ece;
};

// Metrics the card promises (holdout numbers at training time). Each is
// nullopt when the card does not carry it.
struct CardMetrics {
  std::optional<double> roc_auc;
  std::optional<double> brier;
  std::optional<double> ece;
  std::optional<double> precision;  // model precision at the serving threshold
  std::optional<double> rule_precision;  // rule precision on the same holdout
};

// Reads card["metrics"] tolerantly: looks in metrics.walk_forward (pooled
// out-of-sample figures written by `pcs train`), metrics.holdout, metrics.test
// and metrics itself, and in the "model" / "rule" scorer entries of
// metrics.scorers (an array of {"name", "roc_auc", "brier", "ece"} objects),
// for keys roc_auc|auc, brier, ece, precision|precision_at_threshold.
CardMetrics ParseCardMetrics(const nlohmann::json& card);

// AccuracyFinding::metric of the served policy's precision vs rule-only's.
inline constexpr char kPolicyPrecisionFinding[] = "policy_precision_vs_rule";

struct AccuracyFinding {
  std::string window;
  std::string metric;  // "precision_vs_rule", "roc_auc", "brier", "ece"
  double value = 0;
  double reference = 0;  // what it was compared with
  std::string detail;
};

struct AccuracyTolerances {
  double auc_drop = 0.05;    // roc_auc < card - auc_drop
  double brier_rise = 0.03;  // brier > card + brier_rise
  double ece_rise = 0.05;    // ece > card + ece_rise
};
// The policy's tolerance is RollingAccuracyOptions::policy_precision_tolerance
// (it comes from the card, not from flags).

struct RollingAccuracyReport {
  std::vector<WindowAccuracy> windows;  // [last_N, Dd]
  CardMetrics card;
  std::vector<AccuracyFinding> degraded;  // empty when nothing crossed a line
};

// One window over `rows` (all of them).
WindowAccuracy ComputeWindowAccuracy(const std::string& window,
                                     const std::vector<ScoredOutcome>& rows,
                                     const RollingAccuracyOptions& options);

// Both windows, compared with `card` (ML precision below rule precision, AUC,
// Brier or ECE worse than the card by more than the tolerance). Rows need
// not be sorted.
RollingAccuracyReport ComputeRollingAccuracy(
    std::vector<ScoredOutcome> rows, const RollingAccuracyOptions& options,
    const CardMetrics& card, const AccuracyTolerances& tolerances = {});

nlohmann::json WindowAccuracyToJson(const WindowAccuracy& window);
nlohmann::json RollingAccuracyReportToJson(const RollingAccuracyReport& report);
// The reader of RollingAccuracyReportToJson's output (a stored run's
// details): InvalidArgument naming the field when one is missing or of the
// wrong type.
absl::StatusOr<RollingAccuracyReport> RollingAccuracyReportFromJson(
    const nlohmann::json& json);

}  // namespace pcs

#endif  // PCS_MONITORING_ROLLING_ACCURACY_H_
