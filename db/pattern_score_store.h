#ifndef PCS_DB_PATTERN_SCORE_STORE_H_
#define PCS_DB_PATTERN_SCORE_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "pqxx/pqxx"

namespace pcs {

// One pattern scored by one model version as of its decision day.
struct PatternScore {
  std::string pattern_id;
  std::string model_version;
  Day as_of = 0;  // the pattern's confirmation (decision) day
  double rule_confidence = 0;
  double ml_confidence = 0;
  double blended_confidence = 0;
  double ml_weight = 0;
  double decision_threshold = 0.5;
  bool confirm = false;  // decision: blended >= threshold
};

struct ScoreWriteCounts {
  int64_t inserted = 0;   // new (pattern, version) rows
  int64_t updated = 0;    // existing rows whose values changed
  int64_t unchanged = 0;  // existing rows, nothing to change

  ScoreWriteCounts& operator+=(const ScoreWriteCounts& o) {
    inserted += o.inserted;
    updated += o.updated;
    unchanged += o.unchanged;
    return *this;
  }
};

// Writes `pcs score` results (migrations/0006_pattern_scores.sql): upserts
// pattern_scores keyed by (pattern_id, model_version) and sets
// pattern_events' latest-score columns (ml_confidence, blended_confidence,
// model_version, predicted_at = now()) where they differ, all in one
// transaction per call. Rows whose values are already stored are left
// alone, so writing the same scores twice changes nothing (idempotent).
// An unknown pattern id fails the whole call (FAILED_PRECONDITION, the
// foreign key).
//
// Threading: uses the caller's connection, one thread at a time. Never
// throws.
//
// Example:
//   PatternScoreStore store(conn);
//   absl::StatusOr<ScoreWriteCounts> n = store.Write(scores);
class PatternScoreStore {
 public:
  explicit PatternScoreStore(pqxx::connection& conn) : conn_(conn) {}

  absl::StatusOr<ScoreWriteCounts> Write(const std::vector<PatternScore>& s);

  // Rows of pattern_scores for `model_version`.
  absl::StatusOr<int64_t> CountScores(const std::string& model_version);

 private:
  pqxx::connection& conn_;
};

}  // namespace pcs

#endif  // PCS_DB_PATTERN_SCORE_STORE_H_
