#ifndef PCS_TRAINING_CURVES_H_
#define PCS_TRAINING_CURVES_H_

#include <vector>

namespace pcs {

// Curves for the evaluation report's plots (and the numbers drawn from them).
// Scores may contain NaN: those rows rank last (treated as the lowest score).
// Pure functions, thread-safe.

struct CurvePoint {
  double x = 0;
  double y = 0;
};

// ROC: (false positive rate, true positive rate), one point per distinct
// score threshold, from (0,0) to (1,1). Ties are one step.
std::vector<CurvePoint> RocCurve(const std::vector<double>& scores,
                                 const std::vector<int>& labels);
// Precision-recall: (recall, precision) per distinct threshold.
std::vector<CurvePoint> PrecisionRecallCurve(const std::vector<double>& scores,
                                             const std::vector<int>& labels);
// Precision of the top-n by score for coverage n/N = 1%, 2%, ..., 100%:
// (coverage, precision). Stable ranking (ties by row order).
std::vector<CurvePoint> PrecisionCoverageCurve(
    const std::vector<double>& scores, const std::vector<int>& labels);

// Trapezoidal area under a curve given in increasing x.
double AreaUnder(const std::vector<CurvePoint>& curve);

// One bin of a reliability diagram (equal-width bins on [0, 1]).
struct ReliabilityBin {
  double lower = 0;
  double upper = 0;
  int count = 0;
  double mean_predicted = 0;  // 0 when empty
  double observed_rate = 0;   // 0 when empty
};
std::vector<ReliabilityBin> Reliability(
    const std::vector<double>& probabilities, const std::vector<int>& labels,
    int bins = 10);
// Expected calibration error over equal-width bins:
// sum_b (n_b / N) |observed_b - mean_predicted_b|.
double ExpectedCalibrationError(const std::vector<double>& probabilities,
                                const std::vector<int>& labels, int bins = 10);
// Mean squared error of probabilities vs labels.
double BrierScore(const std::vector<double>& probabilities,
                  const std::vector<int>& labels);
// Average precision (step-wise area under the PR curve).
double AveragePrecision(const std::vector<double>& scores,
                        const std::vector<int>& labels);

}  // namespace pcs

#endif  // PCS_TRAINING_CURVES_H_
