#include "db/monitoring_run_store.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "db/transaction.h"

namespace pcs {
namespace {

// libpqxx 6.4 sends a null `const char*` as SQL NULL; these keep the text
// alive for the duration of the statement.
class Nullable {
 public:
  explicit Nullable(std::optional<std::string> v) : v_(std::move(v)) {}
  const char* get() const { return v_ ? v_->c_str() : nullptr; }

 private:
  std::optional<std::string> v_;
};

Nullable Text(const std::optional<std::string>& v) { return Nullable(v); }
Nullable Number(const std::optional<double>& v) {
  return Nullable(v ? std::optional<std::string>(absl::StrFormat("%.17g", *v))
                    : std::nullopt);
}
Nullable Integer(const std::optional<int>& v) {
  return Nullable(v ? std::optional<std::string>(absl::StrCat(*v))
                    : std::nullopt);
}
Nullable Date(const std::optional<Day>& v) {
  return Nullable(v ? std::optional<std::string>(FormatDay(*v)) : std::nullopt);
}

}  // namespace

absl::StatusOr<int64_t> InsertMonitoringRun(pqxx::connection& conn,
                                            const MonitoringRunRecord& run) {
  const Nullable version = Text(run.model_version), since = Date(run.since),
                 as_of = Date(run.as_of), window = Integer(run.window_days),
                 rows = Integer(run.recent_rows),
                 max_feature = Text(run.max_feature),
                 max_psi = Number(run.max_psi),
                 score_psi = Number(run.score_psi),
                 outcome = Text(run.alert_outcome),
                 error = Text(run.alert_error);
  try {
    pqxx::work tx(conn);
    const pqxx::row r = tx.exec_params1(
        "INSERT INTO monitoring_runs (kind, model_version, since, as_of, "
        "window_days, "
        "  recent_rows, max_feature, max_psi, score_psi, alert, alert_outcome, "
        "alert_error, "
        "  details) "
        "VALUES ($1, $2, $3::date, $4::date, $5::integer, $6::integer, $7, "
        "  $8::double precision, $9::double precision, $10::boolean, $11, $12, "
        "$13::jsonb) "
        "RETURNING id",
        run.kind, version.get(), since.get(), as_of.get(), window.get(),
        rows.get(), max_feature.get(), max_psi.get(), score_psi.get(),
        run.alert ? "true" : "false", outcome.get(), error.get(),
        run.details.dump());
    const int64_t id = r[0].as<int64_t>();
    for (const FeaturePsiRow& p : run.psi) {
      tx.exec_params(
          "INSERT INTO monitoring_feature_psi (run_id, feature, psi, level) "
          "VALUES ($1, $2, $3::double precision, $4)",
          id, p.feature, absl::StrFormat("%.17g", p.psi), p.level);
    }
    tx.commit();
    return id;
  } catch (const std::exception& e) {
    return DatabaseErrorStatus(
        e, absl::StrCat("writing the ", run.kind, " monitoring run"), &conn);
  }
}

absl::StatusOr<AlertTotals> LoadAlertTotals(pqxx::connection& conn) {
  try {
    pqxx::read_transaction tx(conn);
    const pqxx::row r = tx.exec1(
        "SELECT count(*) FILTER (WHERE alert_outcome = 'sent'), "
        "       count(*) FILTER (WHERE alert_outcome = 'failed') "
        "FROM monitoring_runs");
    return AlertTotals{r[0].as<int64_t>(), r[1].as<int64_t>()};
  } catch (const std::exception& e) {
    return DatabaseErrorStatus(e, "reading alert totals", &conn);
  }
}

absl::StatusOr<StoredMonitoringRun> LoadLatestMonitoringRun(
    pqxx::connection& conn, const std::string& kind) {
  return RunInTransaction<pqxx::read_transaction>(
      conn, absl::StrCat("reading the latest ", kind, " monitoring run"),
      [&](pqxx::read_transaction& tx) -> absl::StatusOr<StoredMonitoringRun> {
        const pqxx::result rows = tx.exec_params(
            "SELECT id, to_char(finished_at AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(model_version, ''), "
            "coalesce(since::text, ''), coalesce(as_of::text, ''), "
            "coalesce(recent_rows, 0), coalesce(max_feature, ''), "
            "coalesce(max_psi, 0), coalesce(score_psi, 0), alert, "
            "coalesce(alert_outcome, ''), coalesce(alert_error, ''), "
            "details::text FROM monitoring_runs WHERE kind = $1 "
            "ORDER BY id DESC LIMIT 1",
            kind);
        if (rows.empty()) {
          return absl::NotFoundError(
              absl::StrCat("no ", kind, " run recorded yet"));
        }
        const pqxx::row r = rows[0];
        StoredMonitoringRun run;
        run.id = r[0].as<int64_t>();
        run.finished_at = r[1].as<std::string>();
        run.model_version = r[2].as<std::string>();
        run.since = r[3].as<std::string>();
        run.as_of = r[4].as<std::string>();
        run.recent_rows = r[5].as<int64_t>();
        run.max_feature = r[6].as<std::string>();
        run.max_psi = r[7].as<double>();
        run.score_psi = r[8].as<double>();
        run.alert = r[9].as<bool>();
        run.alert_outcome = r[10].as<std::string>();
        run.alert_error = r[11].as<std::string>();
        run.details_json = r[12].as<std::string>();
        return run;
      });
}

}  // namespace pcs
