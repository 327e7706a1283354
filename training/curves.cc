#include "training/curves.h"

#include <algorithm>
#include <cmath>

#include "training/matched_coverage.h"

namespace pcs {
namespace {

// Score used for grouping ties; NaN maps below everything.
double Key(double s) { return std::isnan(s) ? -1e300 : s; }

// Walks the ranking and calls visit(tp, fp) at the end of every tie group.
template <typename Visit>
void WalkThresholds(const std::vector<double>& scores,
                    const std::vector<int>& labels, Visit visit) {
  const std::vector<int> order = RankDescending(scores);
  double tp = 0, fp = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const int i = order[k];
    if (labels[i])
      tp += 1;
    else
      fp += 1;
    const bool last_of_group =
        k + 1 == order.size() || Key(scores[order[k + 1]]) != Key(scores[i]);
    if (last_of_group) visit(tp, fp);
  }
}

double Positives(const std::vector<int>& labels) {
  double p = 0;
  for (int l : labels) p += l;
  return p;
}

}  // namespace

std::vector<CurvePoint> RocCurve(const std::vector<double>& scores,
                                 const std::vector<int>& labels) {
  const double pos = Positives(labels);
  const double neg = static_cast<double>(labels.size()) - pos;
  std::vector<CurvePoint> curve = {{0, 0}};
  if (pos == 0 || neg == 0) return curve;
  WalkThresholds(scores, labels, [&](double tp, double fp) {
    curve.push_back({fp / neg, tp / pos});
  });
  return curve;
}

std::vector<CurvePoint> PrecisionRecallCurve(const std::vector<double>& scores,
                                             const std::vector<int>& labels) {
  const double pos = Positives(labels);
  std::vector<CurvePoint> curve;
  if (pos == 0) return curve;
  WalkThresholds(scores, labels, [&](double tp, double fp) {
    curve.push_back({tp / pos, tp / (tp + fp)});
  });
  return curve;
}

std::vector<CurvePoint> PrecisionCoverageCurve(
    const std::vector<double>& scores, const std::vector<int>& labels) {
  std::vector<CurvePoint> curve;
  const size_t n = labels.size();
  if (n == 0) return curve;
  const std::vector<int> order = RankDescending(scores);
  std::vector<double> cum_tp(n + 1, 0);
  for (size_t k = 0; k < n; ++k) cum_tp[k + 1] = cum_tp[k] + labels[order[k]];
  for (int pct = 1; pct <= 100; ++pct) {
    const size_t take =
        std::max<size_t>(1, static_cast<size_t>(std::lround(pct / 100.0 * n)));
    curve.push_back({pct / 100.0, cum_tp[take] / static_cast<double>(take)});
  }
  return curve;
}

double AreaUnder(const std::vector<CurvePoint>& curve) {
  double area = 0;
  for (size_t i = 1; i < curve.size(); ++i) {
    area += (curve[i].x - curve[i - 1].x) * (curve[i].y + curve[i - 1].y) / 2;
  }
  return area;
}

std::vector<ReliabilityBin> Reliability(
    const std::vector<double>& probabilities, const std::vector<int>& labels,
    int bins) {
  std::vector<ReliabilityBin> out(bins);
  std::vector<double> sum_p(bins, 0), sum_y(bins, 0);
  for (int b = 0; b < bins; ++b) {
    out[b].lower = static_cast<double>(b) / bins;
    out[b].upper = static_cast<double>(b + 1) / bins;
  }
  for (size_t i = 0; i < probabilities.size(); ++i) {
    const double p = probabilities[i];
    if (std::isnan(p)) continue;
    const int b = std::clamp(static_cast<int>(p * bins), 0, bins - 1);
    ++out[b].count;
    sum_p[b] += p;
    sum_y[b] += labels[i];
  }
  for (int b = 0; b < bins; ++b) {
    if (out[b].count == 0) continue;
    out[b].mean_predicted = sum_p[b] / out[b].count;
    out[b].observed_rate = sum_y[b] / out[b].count;
  }
  return out;
}

double ExpectedCalibrationError(const std::vector<double>& probabilities,
                                const std::vector<int>& labels, int bins) {
  double total = 0, ece = 0;
  const std::vector<ReliabilityBin> r =
      Reliability(probabilities, labels, bins);
  for (const ReliabilityBin& b : r) total += b.count;
  if (total == 0) return 0;
  for (const ReliabilityBin& b : r) {
    ece += b.count / total * std::fabs(b.observed_rate - b.mean_predicted);
  }
  return ece;
}

double BrierScore(const std::vector<double>& probabilities,
                  const std::vector<int>& labels) {
  double sum = 0;
  int n = 0;
  for (size_t i = 0; i < probabilities.size(); ++i) {
    if (std::isnan(probabilities[i])) continue;
    const double d = probabilities[i] - labels[i];
    sum += d * d;
    ++n;
  }
  return n == 0 ? 0 : sum / n;
}

double AveragePrecision(const std::vector<double>& scores,
                        const std::vector<int>& labels) {
  const double pos = Positives(labels);
  if (pos == 0) return 0;
  double ap = 0, prev_recall = 0;
  WalkThresholds(scores, labels, [&](double tp, double fp) {
    const double recall = tp / pos;
    ap += (recall - prev_recall) * tp / (tp + fp);
    prev_recall = recall;
  });
  return ap;
}

}  // namespace pcs
