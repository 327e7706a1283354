#ifndef PCS_LIFECYCLE_DETECTOR_INTERNAL_H_
#define PCS_LIFECYCLE_DETECTOR_INTERNAL_H_

// Internal to pcs_lifecycle: the shared view the individual detectors work
// on. Not part of the public API.

#include <string>
#include <utility>
#include <vector>

#include "core/bar.h"
#include "lifecycle/pattern.h"
#include "lifecycle/pattern_detector.h"
#include "lifecycle/swing_pivots.h"

namespace pcs::rules {

// One orientation of a series. Detectors are written once in a canonical
// orientation ("top" patterns break down, continuation patterns break up);
// running them on the mirrored view (prices negated) finds the opposite
// pattern. All prices in a view may be negative when mirrored.
struct SeriesView {
  const std::vector<Bar>* bars = nullptr;
  const std::vector<double>* atr = nullptr;
  const std::vector<double>* mean_volume = nullptr;  // trailing, excl. bar i
  const std::vector<Pivot>* pivots = nullptr;
  bool mirrored = false;
  const DetectorOptions* options = nullptr;

  int size() const { return static_cast<int>(bars->size()); }
  const Bar& bar(int i) const { return (*bars)[i]; }
  double Atr(int i) const { return (*atr)[i]; }
};

struct CandidatePoint {
  std::string role;
  int index = 0;
  double price = 0;  // view price
};

// A confirmed formation in view coordinates, before mapping back to the
// original orientation and before the level guards.
struct Candidate {
  PatternType type =
      PatternType::kDoubleTop;  // final (original-orientation) type
  int view_sign = -1;           // +1 breaks up in the view, -1 breaks down
  int first_pivot = 0;          // pivot numbers (dedupe key)
  int last_pivot = 0;
  int start = 0;    // bar of the first key point
  int end = 0;      // bar of the last key point before the breakout
  int confirm = 0;  // breakout bar
  std::vector<CandidatePoint> points;
  double level = 0;  // view price
  double target = 0;
  double stop = 0;
  // Inputs of the rule confidence (see rule_confidence.h).
  double height = 0;          // pattern height (view units, > 0)
  double symmetry = 0;        // [0, 1]
  std::string specific_name;  // type-specific criterion
  double specific = 0;        // [0, 1]
};

// Detectors. Each appends confirmed candidates found in `view`.
void DetectTwinTops(const SeriesView& view, std::vector<Candidate>& out);
void DetectHeadAndShoulders(const SeriesView& view,
                            std::vector<Candidate>& out);
void DetectBoundaryPatterns(const SeriesView& view,
                            std::vector<Candidate>& out);
void DetectFlags(const SeriesView& view, std::vector<Candidate>& out);

// Small shared helpers.
double Clamp01(double x);
// |a - b| relative to the larger magnitude (0 when both are 0).
double RelativeDiff(double a, double b);

}  // namespace pcs::rules

#endif  // PCS_LIFECYCLE_DETECTOR_INTERNAL_H_
