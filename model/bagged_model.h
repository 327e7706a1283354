#ifndef PCS_MODEL_BAGGED_MODEL_H_
#define PCS_MODEL_BAGGED_MODEL_H_

// AverageXGBoostModels: turns a seed-bagged ensemble (K XGBoost 1.7 JSON
// models of the same objective and base_score, e.g. trained with different
// seeds/subsamples) into ONE XGBoost JSON model whose margin is the mean of
// the members' margins:
//   margin = base_margin + (1/K) * sum over members of their tree sums.
// Every tree of every member is kept, in member order, with its leaf values
// (split_conditions of leaf nodes) and base_weights multiplied by 1/K; split
// thresholds, covers (sum_hessian) and gains are unchanged. The result is an
// ordinary gbtree model: XGBoost loads it, and TreeEnsemble (the serving
// evaluator) computes margins and exact TreeSHAP contributions for it
// (TreeSHAP is linear in the leaf values, so the contributions are the
// members' contributions averaged).
//
// Errors: empty input, unparsable JSON, members that differ in objective,
// base_score or feature count.
//
// Pure function, thread-safe; deterministic output for the same inputs.
//
// Example:
//   absl::StatusOr<std::string> merged = AverageXGBoostModels({json_a,
//   json_b});

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pcs {

absl::StatusOr<std::string> AverageXGBoostModels(
    const std::vector<std::string>& members);

}  // namespace pcs

#endif  // PCS_MODEL_BAGGED_MODEL_H_
