#include "db/analyst_override_store.h"

#include <exception>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
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
  try {
    pqxx::work tx(conn_);
    const pqxx::result row = tx.exec_params(
        "SELECT lifecycle_state, confirmation_date::text FROM pattern_events "
        "WHERE id = $1 FOR UPDATE",
        o.pattern_id);
    if (row.empty()) {
      return absl::NotFoundError(
          absl::StrCat("pattern ", o.pattern_id, " not found"));
    }
    auto from = ParseLifecycleState(row[0][0].as<std::string>());
    if (!from.ok()) return from.status();
    const std::string to_name(LifecycleStateName(to));
    tx.exec_params(
        "UPDATE pattern_events SET lifecycle_state = $2, analyst_decision = "
        "$3, "
        "analyst_reason = $4, analyst_identity = $5, analyst_at = "
        "clock_timestamp(), "
        "updated_at = now() WHERE id = $1",
        o.pattern_id, to_name, std::string(AnalystDecisionName(o.decision)),
        o.reason, o.identity);
    const pqxx::row history = tx.exec_params1(
        "INSERT INTO pattern_lifecycle_history (pattern_id, from_state, "
        "to_state, event_date, source, reason) VALUES ($1, $2, $3, "
        "current_date, 'analyst', $4) RETURNING id, recorded_at::text",
        o.pattern_id, std::string(LifecycleStateName(*from)), to_name,
        absl::StrCat("analyst ", o.identity, ": ",
                     AnalystDecisionName(o.decision), ": ", o.reason));
    tx.commit();
    AppliedOverride out;
    out.from = *from;
    out.to = to;
    out.history_id = history[0].as<int64_t>();
    out.recorded_at = history[1].as<std::string>();
    return out;
  } catch (const std::exception& e) {
    return DatabaseErrorStatus(
        e, absl::StrCat("recording the override of ", o.pattern_id), &conn_);
  }
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
