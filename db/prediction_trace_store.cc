#include "db/prediction_trace_store.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "db/transaction.h"

namespace pcs {
namespace {

// Full precision (%.17g round-trips through float8); NULL when not finite.
std::string NumOrNull(double v) {
  return std::isfinite(v) ? absl::StrFormat("%.17g", v) : "NULL";
}

}  // namespace

void PredictionTraceStore::Append(const std::vector<TraceRecord>& traces) {
  if (traces.empty()) return;
  std::string sql =
      "INSERT INTO prediction_traces (pattern_id, state, event_date, "
      "rule_confidence, ml_confidence, blended_confidence, blend_weight, "
      "model_version, fallback_reason, latency_ms, reason) VALUES ";
  bool first = true;
  for (const TraceRecord& r : traces) {
    const std::string date =
        r.event_date.empty()
            ? "NULL"
            : absl::StrCat(SqlLiteral(tx_, r.event_date), "::date");
    absl::StrAppend(
        &sql, first ? "" : ",", "(", SqlLiteral(tx_, r.pattern_id), ",",
        SqlLiteral(tx_, r.state), ",", date, ",", NumOrNull(r.rule_confidence),
        ",", r.ml_confidence ? NumOrNull(*r.ml_confidence) : "NULL", ",",
        NumOrNull(r.blended_confidence), ",", NumOrNull(r.blend_weight), ",",
        r.model_version.empty() ? "NULL" : SqlLiteral(tx_, r.model_version),
        ",",
        r.fallback_reason.empty() ? "NULL" : SqlLiteral(tx_, r.fallback_reason),
        ",", NumOrNull(r.latency_ms), ",", SqlLiteral(tx_, r.reason), ")");
    first = false;
  }
  tx_.exec0(sql);
}

int64_t PredictionTraceStore::RecordActualOutcomes() {
  return static_cast<int64_t>(
      tx_.exec("UPDATE prediction_traces t "
               "SET actual_outcome = e.outcome_label FROM pattern_events e "
               "WHERE t.pattern_id = e.id AND t.actual_outcome IS NULL "
               "AND e.outcome_label IS NOT NULL")
          .affected_rows());
}

}  // namespace pcs
