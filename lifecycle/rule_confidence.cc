#include "lifecycle/rule_confidence.h"

#include <algorithm>
#include <cmath>

namespace pcs {

double CombineRuleCriteria(
    const std::vector<std::pair<std::string, double>>& criteria) {
  double sum = 0, weights = 0;
  for (const auto& [name, value] : criteria) {
    double w = kTypeSpecificCriterionWeight;
    for (const RuleCriterionWeight& rw : kRuleCriterionWeights) {
      if (rw.name == name) w = rw.weight;
    }
    const double v = std::isfinite(value) ? std::clamp(value, 0.0, 1.0) : 0.0;
    sum += w * v;
    weights += w;
  }
  return weights > 0 ? std::clamp(sum / weights, 0.0, 1.0) : 0.0;
}

}  // namespace pcs
