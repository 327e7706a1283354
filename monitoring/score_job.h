#ifndef PCS_MONITORING_SCORE_JOB_H_
#define PCS_MONITORING_SCORE_JOB_H_

// `pcs score`: the served model version's score of every stored pattern, as
// of each pattern's decision (confirmation) day, stored so the review
// console's history has ML and blended confidences and decisions to filter
// on (db/pattern_score_store.h, migrations/0006_pattern_scores.sql).
//
// For each symbol with patterns: its bars and its patterns are loaded once,
// every pattern's features are built with the one FeatureBuilder (bars up
// to its confirmation day only, DIA as the market, exactly as the server
// does), scored with the model (MonitoredModel: calibrated logistic of the
// margin), blended with the rule confidence at the card's blend weight and
// decided against the card's threshold (PatternLifecycleManager, the
// server's decision), then written in one transaction per symbol.
// Idempotent: a second run with the same version changes no row.
// A pattern whose features cannot be built is counted and skipped (the
// first few named).
//
// Threading: one call at a time per database; `progress` is called on the
// calling thread after each symbol.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "db/pattern_score_store.h"

namespace pcs {

struct ScoreJobOptions {
  std::string conninfo;              // required
  std::string model_dir;             // the version folder to score with
  std::vector<std::string> symbols;  // empty = every symbol with bars
  std::string market_symbol = "DIA";
  // Called after each symbol with (symbols done, symbols total, patterns
  // scored so far).
  std::function<void(int, int, int64_t)> progress;
};

struct ScoreJobReport {
  std::string model_version;
  double blend_weight = 0;
  double decision_threshold = 0;
  int symbols = 0;
  int64_t patterns = 0;  // scored and written
  ScoreWriteCounts written;
  int64_t confirm = 0;        // decisions among `patterns`
  int64_t disagreements = 0;  // ML and rule decisions differ
  int64_t feature_failures = 0;
  std::vector<std::string> failure_samples;  // up to 10 "id: message"
  double seconds = 0;

  std::string ToText() const;
};

absl::StatusOr<ScoreJobReport> RunScoreJob(const ScoreJobOptions& options);

}  // namespace pcs

#endif  // PCS_MONITORING_SCORE_JOB_H_
