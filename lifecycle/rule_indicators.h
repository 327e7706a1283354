#ifndef PCS_LIFECYCLE_RULE_INDICATORS_H_
#define PCS_LIFECYCLE_RULE_INDICATORS_H_

#include <vector>

#include "core/bar.h"
#include "core/indicators.h"

// Indicators used only by the rule detectors. All are causal: the value at
// index i depends on bars[0..i] only. The ATR and the least-squares line the
// detectors use are the shared ones in core/indicators.h (WilderAtrSeries,
// FitLine), the same code the feature builder uses.
namespace pcs::rules {

// Mean volume of the `period` bars before i (bars[i-period..i-1], bar i
// excluded). NaN when fewer than `period` earlier bars exist.
std::vector<double> TrailingMeanVolume(const std::vector<Bar>& bars,
                                       int period);

}  // namespace pcs::rules

#endif  // PCS_LIFECYCLE_RULE_INDICATORS_H_
