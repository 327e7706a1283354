#ifndef PCS_MODEL_METRICS_H_
#define PCS_MODEL_METRICS_H_

// Evaluation metrics for binary classifiers: ranking (ROC-AUC, average
// precision, curves, top-k), probability quality (Brier, log loss, ECE,
// reliability bins) and a group (symbol) bootstrap for confidence intervals.
//
// Conventions (all functions):
//  * `labels` are 0/1 and have the same length as `scores`/`probabilities`;
//    ValidateBinary() checks this and names the offending row. The metric
//    functions themselves return NaN when the input is invalid or the metric
//    is undefined (e.g. ROC-AUC with only one class present).
//  * A NaN score ranks below every real score (it never gets selected before
//    a scored row); NaN probabilities make Brier/log loss/ECE NaN.
//  * Ties are handled explicitly: ROC-AUC uses midranks (a tied
//    positive/negative pair counts 1/2); curves emit one point per distinct
//    score; top-k breaks ties by the lower row index (stable, deterministic).
// Pure functions; thread-safe. Everything lives in pcs::metrics (training/
// curves.h has similarly named report helpers in pcs).
//
// The ONE implementation of these metrics, in the layer below both users:
// training (evaluation, model selection, the decision policy) and monitoring
// (rolling accuracy) call it, so they agree on every edge case (empty input
// or one class: NaN, which monitoring reports as "no value").

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pcs::metrics {

// OK when sizes match and every label is 0 or 1; otherwise names the row.
absl::Status ValidateBinary(const std::vector<double>& scores,
                            const std::vector<int>& labels);

// Area under the ROC curve = P(score of a random positive > a random
// negative) + 1/2 P(tie), computed from midranks. NaN if a class is absent.
double RocAuc(const std::vector<double>& scores,
              const std::vector<int>& labels);

// PR-AUC as average precision: sum over distinct thresholds (descending) of
// (recall_t - recall_{t-1}) * precision_t (no interpolation; as scikit-learn).
// NaN if there is no positive.
double AveragePrecision(const std::vector<double>& scores,
                        const std::vector<int>& labels);

// Mean of (p - y)^2.
double BrierScore(const std::vector<double>& probabilities,
                  const std::vector<int>& labels);

// Mean of -[y log p + (1 - y) log(1 - p)], p clipped to [eps, 1 - eps].
double LogLoss(const std::vector<double>& probabilities,
               const std::vector<int>& labels, double eps = 1e-15);

// One bin of a reliability diagram.
struct CalibrationBin {
  double lower = 0;  // bin covers [lower, upper); the last bin includes 1
  double upper = 0;
  int count = 0;
  double mean_predicted = 0;  // NaN when empty
  double observed_rate = 0;   // NaN when empty
};

// `bins` equal-width bins on [0, 1]; probabilities outside [0, 1] go to the
// first/last bin. Empty bins are kept (count 0).
std::vector<CalibrationBin> ReliabilityBins(
    const std::vector<double>& probabilities, const std::vector<int>& labels,
    int bins = 10);

// Expected calibration error over equal-width bins (default 10):
// sum over non-empty bins of (count_b / N) * |observed_rate_b -
// mean_predicted_b|.
double ExpectedCalibrationError(const std::vector<double>& probabilities,
                                const std::vector<int>& labels, int bins = 10);

// A curve point for plots; `threshold` is the score at which it is reached
// (rows with score >= threshold are predicted positive).
struct CurvePoint {
  double x = 0;
  double y = 0;
  double threshold = 0;
};

// ROC curve (x = false positive rate, y = true positive rate), starting at
// (0, 0) with threshold +inf, one point per distinct score, ending at (1, 1).
// Empty if a class is absent.
std::vector<CurvePoint> RocPoints(const std::vector<double>& scores,
                                  const std::vector<int>& labels);

// PR curve (x = recall, y = precision), one point per distinct score in
// descending order of threshold. Empty if there is no positive.
std::vector<CurvePoint> PrecisionRecallPoints(const std::vector<double>& scores,
                                              const std::vector<int>& labels);

struct ThresholdStats {
  int selected = 0;  // rows with score >= threshold
  int true_positives = 0;
  double precision = 0;  // NaN when nothing is selected
  double recall = 0;     // NaN when there is no positive
};
ThresholdStats AtThreshold(const std::vector<double>& scores,
                           const std::vector<int>& labels, double threshold);

// Indices of the k highest scores, best first; ties by lower index first;
// NaN scores last. k is clamped to [0, N].
std::vector<int> TopKByScore(const std::vector<double>& scores, int k);

// Number of rows selected at a coverage fraction in (0, 1]:
// max(1, ceil(coverage * N)) (0 when N = 0).
int CoverageCount(int n, double coverage);

// Precision of TopKByScore(scores, CoverageCount(N, coverage)).
double PrecisionAtCoverage(const std::vector<double>& scores,
                           const std::vector<int>& labels, double coverage);

// Percentile bootstrap that resamples whole groups (e.g. symbols), so rows
// of one group are never split (they are correlated).
struct BootstrapOptions {
  int replicates = 1000;
  double confidence = 0.95;  // two-sided percentile interval
  uint64_t seed = 20240601;  // fixed: same inputs => same interval
};
struct BootstrapInterval {
  double estimate = 0;         // statistic on all rows
  double lower = 0;            // percentile (1 - confidence) / 2
  double upper = 0;            // percentile (1 + confidence) / 2
  int replicates_used = 0;     // replicates whose statistic was finite
  int replicates_skipped = 0;  // NaN/inf statistic (e.g. one class only)
};
// `statistic` receives row indices (with repetitions) of one resample: each
// replicate draws as many groups as there are, with replacement, and takes
// all rows of every drawn group. Groups are ordered by name so the result
// does not depend on row order beyond the rows' own order. Error on empty
// input, bad options, or when no replicate gives a finite statistic.
absl::StatusOr<BootstrapInterval> GroupBootstrap(
    const std::vector<std::string>& row_groups,
    const std::function<double(const std::vector<int>& rows)>& statistic,
    const BootstrapOptions& options = {});

// The resamples of GroupBootstrap, as row weights: calls `visit` once per
// replicate with weight[i] = how many times row i's group was drawn (the
// same draws as GroupBootstrap with the same options). For statistics over
// many thresholds at once, where a vector of row indices per statistic
// would be slow.
absl::Status ForEachGroupResample(
    const std::vector<std::string>& row_groups, const BootstrapOptions& options,
    const std::function<void(const std::vector<int>& row_weights)>& visit);

// The percentile interval (options.confidence) of replicate values; NaN/inf
// values are skipped and counted. estimate is left 0.
BootstrapInterval PercentileInterval(std::vector<double> values,
                                     double confidence = 0.95);

// values[rows[i]] for every i: the usual first step of a bootstrap statistic.
template <typename T>
std::vector<T> Gather(const std::vector<T>& values,
                      const std::vector<int>& rows) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (int r : rows) out.push_back(values[static_cast<size_t>(r)]);
  return out;
}

}  // namespace pcs::metrics

#endif  // PCS_MODEL_METRICS_H_
