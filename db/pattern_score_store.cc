#include "db/pattern_score_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "db/transaction.h"

namespace pcs {
namespace {

std::string Num(double v) { return absl::StrFormat("%.17g", v); }

// One VALUES tuple of a score, quoted by `tx`.
std::string Tuple(pqxx::transaction_base& tx, const PatternScore& s) {
  return absl::StrCat("(", SqlLiteral(tx, s.pattern_id), ", ",
                      SqlLiteral(tx, s.model_version), ", DATE '1970-01-01' + ",
                      s.as_of, ", ", Num(s.rule_confidence), "::float8, ",
                      Num(s.ml_confidence), "::float8, ",
                      Num(s.blended_confidence), "::float8, ", Num(s.ml_weight),
                      "::float8, ", Num(s.decision_threshold), "::float8, '",
                      s.confirm ? "confirm" : "reject", "')");
}

}  // namespace

absl::StatusOr<ScoreWriteCounts> PatternScoreStore::Write(
    const std::vector<PatternScore>& scores) {
  if (scores.empty()) return ScoreWriteCounts{};
  return RunInTransaction(
      conn_, "writing pattern scores",
      [&](pqxx::work& tx) -> absl::StatusOr<ScoreWriteCounts> {
        std::vector<std::string> tuples;
        tuples.reserve(scores.size());
        for (const PatternScore& s : scores) tuples.push_back(Tuple(tx, s));
        // xmax = 0 tells an inserted row from an updated one; rows whose
        // values did not change are filtered by the WHERE and not returned.
        const pqxx::result r = tx.exec(absl::StrCat(
            "INSERT INTO pattern_scores (pattern_id, model_version, as_of, "
            "rule_confidence, ml_confidence, blended_confidence, ml_weight, "
            "decision_threshold, decision) VALUES ",
            absl::StrJoin(tuples, ", "),
            " ON CONFLICT (pattern_id, model_version) DO UPDATE SET "
            "as_of = EXCLUDED.as_of, rule_confidence = "
            "EXCLUDED.rule_confidence,"
            " ml_confidence = EXCLUDED.ml_confidence, "
            "blended_confidence = EXCLUDED.blended_confidence, "
            "ml_weight = EXCLUDED.ml_weight, "
            "decision_threshold = EXCLUDED.decision_threshold, "
            "decision = EXCLUDED.decision, scored_at = now() "
            "WHERE (pattern_scores.as_of, pattern_scores.rule_confidence, "
            "pattern_scores.ml_confidence, pattern_scores.blended_confidence, "
            "pattern_scores.ml_weight, pattern_scores.decision_threshold, "
            "pattern_scores.decision) IS DISTINCT FROM (EXCLUDED.as_of, "
            "EXCLUDED.rule_confidence, EXCLUDED.ml_confidence, "
            "EXCLUDED.blended_confidence, EXCLUDED.ml_weight, "
            "EXCLUDED.decision_threshold, EXCLUDED.decision) "
            "RETURNING (xmax = 0) AS inserted"));
        ScoreWriteCounts counts;
        for (const auto& row : r) {
          if (row[0].as<bool>()) {
            ++counts.inserted;
          } else {
            ++counts.updated;
          }
        }
        counts.unchanged = static_cast<int64_t>(scores.size()) -
                           counts.inserted - counts.updated;
        // The latest score on pattern_events, for the review list.
        tx.exec(absl::StrCat(
            "UPDATE pattern_events e SET ml_confidence = s.ml_confidence, "
            "blended_confidence = s.blended_confidence, "
            "model_version = s.model_version, predicted_at = now(), "
            "updated_at = now() FROM (VALUES ",
            absl::StrJoin(tuples, ", "),
            ") AS s (pattern_id, model_version, as_of, rule_confidence, "
            "ml_confidence, blended_confidence, ml_weight, decision_threshold, "
            "decision) WHERE e.id = s.pattern_id AND (e.ml_confidence, "
            "e.blended_confidence, e.model_version) IS DISTINCT FROM "
            "(s.ml_confidence, s.blended_confidence, s.model_version)"));
        return counts;
      });
}

absl::StatusOr<int64_t> PatternScoreStore::CountScores(
    const std::string& model_version) {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, "counting pattern scores",
      [&](pqxx::read_transaction& tx) -> absl::StatusOr<int64_t> {
        return tx
            .exec_params1(
                "SELECT count(*) FROM pattern_scores WHERE model_version = $1",
                model_version)[0]
            .as<int64_t>();
      });
}

}  // namespace pcs
