#ifndef PCS_MONITORING_PSI_H_
#define PCS_MONITORING_PSI_H_

// Population stability index (PSI) of one quantity (a feature or the model
// score) against reference bins taken from the training data.
//
// Binning: a reference holds ascending inner `edges` e[0] < ... < e[k-1]
// (decile edges by default, so k = 9) and k+1 finite bins
//   bin 0 = (-inf, e[0]], bin i = (e[i-1], e[i]], bin k = (e[k-1], +inf)
// plus one extra bin for NaN / missing values. Equal quantiles (ties, e.g. a
// binary feature) collapse into one edge, so a reference can have fewer bins.
//
//   PSI = sum_b (a_b - e_b) * ln(a_b / e_b)
// with e_b the reference proportion and a_b the observed proportion of bin b,
// each floored at `epsilon` (default 1e-4) so an empty bin does not make the
// sum infinite.
//
// Thresholds (the usual credit-risk convention, also used by the alert rules
// in deploy/prometheus/alerts.yml):
//   PSI < 0.1          stable
//   0.1 <= PSI <= 0.25 moderate shift: look at it
//   PSI > 0.25         significant shift: alert
//
// Everything here is a pure function of its arguments (thread-safe).
//
// Example:
//   BinReference ref = BuildBinReference("atr_14", training_values);
//   absl::StatusOr<PsiResult> r = ComputePsi(ref, recent_values);
//   if (r.ok() && r->level == DriftLevel::kSignificant) { ... alert ... }

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace pcs {

inline constexpr double kPsiModerateThreshold = 0.1;
inline constexpr double kPsiSignificantThreshold = 0.25;
inline constexpr double kDefaultPsiEpsilon = 1e-4;
inline constexpr int kDefaultPsiBins = 10;

enum class DriftLevel { kStable, kModerate, kSignificant };

// "stable" | "moderate" | "significant".
absl::string_view DriftLevelName(DriftLevel level);
// < 0.1 stable, 0.1 .. 0.25 (inclusive) moderate, > 0.25 significant.
DriftLevel ClassifyPsi(double psi);

// Reference distribution of one quantity.
struct BinReference {
  std::string name;
  std::vector<double> edges;        // ascending, strictly increasing, finite
  std::vector<double> proportions;  // edges.size() + 1 finite bins
  double nan_proportion = 0;        // share of NaN values in the reference
  int64_t count = 0;                // reference sample size (informational)
};

// Index of the finite bin of `value` (which must not be NaN).
int BinIndex(const std::vector<double>& edges, double value);

// Quantile edges (num_bins - 1 of them, ties removed) and proportions of
// `values` (NaN counted in nan_proportion). Empty input gives a reference with
// no edges, one bin of proportion 0 and nan_proportion 0.
BinReference BuildBinReference(absl::string_view name,
                               const std::vector<double>& values,
                               int num_bins = kDefaultPsiBins);

// Checks a reference: edges strictly increasing and finite, proportions
// edges+1 non-negative values summing with nan_proportion to 1 (+-1e-3).
absl::Status ValidateBinReference(const BinReference& reference);

struct PsiBin {
  std::string label;    // "(-inf,1.5]", "(1.5,2]", ..., "nan"
  double expected = 0;  // reference proportion
  double actual = 0;    // observed proportion
  double term = 0;      // contribution to the PSI
};

struct PsiResult {
  std::string name;
  double psi = 0;
  DriftLevel level = DriftLevel::kStable;
  int64_t count = 0;         // observed values
  int64_t nan_count = 0;     // of which NaN
  std::vector<PsiBin> bins;  // finite bins then the NaN bin
};

// PSI of `values` against `reference`. Errors: invalid reference, no values,
// epsilon not in (0, 1).
absl::StatusOr<PsiResult> ComputePsi(const BinReference& reference,
                                     const std::vector<double>& values,
                                     double epsilon = kDefaultPsiEpsilon);

// {"name","edges","proportions","nan_proportion","count"}.
nlohmann::json BinReferenceToJson(const BinReference& reference);
// Accepts the object above; "bin_edges" for "edges", "expected" for
// "proportions" and "nan_fraction"/"missing_proportion" for "nan_proportion"
// as aliases. `name` is used when the object has none. Validates the result.
absl::StatusOr<BinReference> BinReferenceFromJson(const nlohmann::json& json,
                                                  absl::string_view name = "");
// {"name","psi","level","count","nan_count","bins":[{"bin","expected","actual","term"}]}.
nlohmann::json PsiResultToJson(const PsiResult& result);

}  // namespace pcs

#endif  // PCS_MONITORING_PSI_H_
