#include "db/analyst_override_store.h"

#include <exception>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "db/lifecycle_history_store.h"
#include "db/transaction.h"

namespace pcs {

absl::string_view AnalystDecisionName(AnalystDecision d) {
  return d == AnalystDecision::kReject ? "reject" : "confirm";
}

absl::StatusOr<AnalystDecision> ParseAnalystDecision(absl::string_view text) {
  if (text == "confirm") return AnalystDecision::kConfirm;
  if (text == "reject") return AnalystDecision::kReject;
  return absl::InvalidArgumentError(absl::StrCat(
      "decision: '", text.substr(0, 40), "' is not confirm|reject"));
}

absl::StatusOr<AppliedOverride> AnalystOverrideStore::Apply(
    const AnalystOverride& o) {
  if (o.reason.empty() || o.reason.size() > 1000) {
    return absl::InvalidArgumentError(
        "reason: is required (1 to 1000 characters)");
  }
  if (o.identity.empty() || o.identity.size() > 256) {
    return absl::InvalidArgumentError("identity: is required");
  }
  const LifecycleState to = o.decision == AnalystDecision::kConfirm
                                ? LifecycleState::kConfirmed
                                : LifecycleState::kRejected;
  return RunInTransaction(
      conn_, absl::StrCat("recording the override of ", o.pattern_id),
      [&](pqxx::work& tx) -> absl::StatusOr<AppliedOverride> {
        const pqxx::result row = tx.exec_params(
            "SELECT lifecycle_state FROM pattern_events WHERE id = $1 FOR "
            "UPDATE",
            o.pattern_id);
        if (row.empty()) {
          return absl::NotFoundError(
              absl::StrCat("pattern ", o.pattern_id, " not found"));
        }
        auto from = ParseLifecycleState(row[0][0].as<std::string>());
        if (!from.ok()) return from.status();
        tx.exec_params(
            "UPDATE pattern_events SET lifecycle_state = $2, "
            "analyst_decision = $3, analyst_reason = $4, analyst_identity = "
            "$5, analyst_at = clock_timestamp(), updated_at = now() WHERE "
            "id = $1",
            o.pattern_id, std::string(LifecycleStateName(to)),
            std::string(AnalystDecisionName(o.decision)), o.reason, o.identity);
        HistoryEntry entry;
        entry.transition.pattern_id = o.pattern_id;
        entry.transition.from = *from;
        entry.transition.to = to;
        entry.transition.reason =
            absl::StrCat("analyst ", o.identity, ": ",
                         AnalystDecisionName(o.decision), ": ", o.reason);
        entry.source = "analyst";
        entry.dated_today = true;
        const AppendedHistoryRow history =
            LifecycleHistoryStore(tx).Append(entry);
        AppliedOverride out;
        out.from = *from;
        out.to = to;
        out.history_id = history.id;
        out.recorded_at = history.recorded_at;
        return out;
      });
}

absl::StatusOr<AnalystAgreement> AnalystOverrideStore::Agreement(
    double model_threshold, double rule_threshold) {
  try {
    pqxx::read_transaction tx(conn_);
    const pqxx::row r = tx.exec_params1(
        "SELECT count(*), "
        "count(*) FILTER (WHERE analyst_decision = 'confirm'), "
        "count(*) FILTER (WHERE blended_confidence IS NOT NULL), "
        "count(*) FILTER (WHERE blended_confidence IS NOT NULL AND "
        "  (analyst_decision = 'confirm') = (blended_confidence >= $1)), "
        "count(*) FILTER (WHERE (analyst_decision = 'confirm') = "
        "  (rule_confidence >= $2)) "
        "FROM pattern_events WHERE analyst_decision IS NOT NULL",
        model_threshold, rule_threshold);
    AnalystAgreement a;
    a.overrides = r[0].as<int64_t>();
    a.confirmed = r[1].as<int64_t>();
    a.with_model = r[2].as<int64_t>();
    a.agree_with_model = r[3].as<int64_t>();
    a.agree_with_rule = r[4].as<int64_t>();
    a.model_threshold = model_threshold;
    a.rule_threshold = rule_threshold;
    return a;
  } catch (const std::exception& e) {
    return DatabaseErrorStatus(e, "analyst agreement", &conn_);
  }
}

}  // namespace pcs
