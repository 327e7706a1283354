#ifndef PCS_TRAINING_MATCHED_COVERAGE_H_
#define PCS_TRAINING_MATCHED_COVERAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pcs {

// The headline evaluation: true-positive confirmations at matched coverage.
//
// For a coverage k, every scorer confirms the same number n = ceil(k * N) of
// the N evaluated patterns - its n highest-scored ones - and we compare the
// precision (true positives / n). Because all scorers confirm the same number
// of patterns, a scorer cannot look better by simply confirming fewer.
// Ranking: score descending, NaN last, ties broken by the row order of the
// input (callers pass rows sorted by pattern id, so ties are deterministic
// and not favourable to anyone).
//
// An extra row "rule_threshold" uses n = #patterns whose rule score is >=
// the rule's own default decision threshold, so the rule is evaluated
// exactly as it confirms today and the others at the same count.
//
// Uncertainty: a cluster bootstrap that resamples whole symbols (patterns of
// one symbol are correlated) with replacement, `resamples` times, fixed seed;
// n is recomputed in each resample; 95% percentile intervals.
//
// Pure computation, thread-compatible.
struct ScorerColumn {
  std::string name;            // "model", "rule", "blend", ...
  std::vector<double> scores;  // one per row; higher = more confident
};

struct MatchedCoverageOptions {
  std::vector<double> coverages = {0.10, 0.20, 0.30, 0.50};
  // Scorer whose default threshold defines the extra row, and the threshold.
  std::string threshold_scorer = "rule";
  std::optional<double> threshold;
  // Lifts of every scorer are reported relative to each of these.
  std::vector<std::string> references = {"rule"};
  int resamples = 1000;
  uint64_t seed = 20240605;
};

struct Interval {
  double low = 0;
  double high = 0;
};

struct LiftVs {
  std::string reference;
  double lift = 0;  // precision / reference precision - 1 (NaN if ref is 0)
  Interval ci;
};

struct ScorerAtCoverage {
  std::string scorer;
  double precision = 0;
  Interval precision_ci;
  int true_positives = 0;
  std::vector<LiftVs> lifts;  // one per options.references
};

struct CoverageRow {
  std::string name;                       // "10%", ... or "rule_threshold"
  double coverage = 0;                    // n / N
  int count = 0;                          // n
  std::vector<ScorerAtCoverage> scorers;  // in the order of the columns
};

// labels: 0/1 per row; groups: cluster id (symbol) per row. Errors on size
// mismatches, empty input, unknown reference/threshold scorer names.
absl::StatusOr<std::vector<CoverageRow>> EvaluateMatchedCoverage(
    const std::vector<int>& labels, const std::vector<std::string>& groups,
    const std::vector<ScorerColumn>& columns,
    const MatchedCoverageOptions& options);

// Row order by descending score (NaN last, stable for ties).
std::vector<int> RankDescending(const std::vector<double>& scores);

}  // namespace pcs

#endif  // PCS_TRAINING_MATCHED_COVERAGE_H_
