// The latest `pcs outcomes` / `pcs drift` runs on pcs-server's /metrics
// (server/monitoring_gauges.h): a real PostgreSQL (a fresh database), runs
// stored through the real store (db/monitoring_run_store.h) exactly as the
// jobs write them, a real server on loopback scraped over HTTP.
//
// The synthetic shift: 40 resolved patterns, half positive; the rule scores
// agree with the outcomes, the logged ML scores are inverted. The card's
// policy (model alone, threshold 0.5, tolerance 2 points) then confirms
// only negatives: policy precision 0 vs rule precision 1, far more than the
// tolerance below, so the window's policy alert is 1.

#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "db/monitoring_run_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "monitoring/drift_job.h"
#include "monitoring/outcome_job.h"
#include "monitoring/rolling_accuracy.h"
#include "pqxx/pqxx"
#include "server/pcs_server.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kVersion[] = "20261201T000000Z";

// The served policy judged over 40 resolved patterns; `shifted` inverts the
// logged ML scores (the synthetic shift).
RollingAccuracyReport JudgePolicy(bool shifted) {
  const Day as_of = *ParseDay("2026-11-30");
  std::vector<ScoredOutcome> rows;
  for (int i = 0; i < 40; ++i) {
    const int label = i % 2;
    const bool ml_says_yes = shifted ? label == 0 : label == 1;
    rows.push_back({.pattern_id = absl::StrCat("p", i),
                    .confirmation_day = as_of - 60 - i,
                    .resolved_day = as_of - i,
                    .label = label,
                    .rule_confidence = label == 1 ? 0.8 : 0.2,
                    .ml_confidence = ml_says_yes ? 0.9 : 0.1,
                    .blended_confidence = 0.5,
                    .model_version = kVersion});
  }
  RollingAccuracyOptions options;
  options.as_of = as_of;
  options.policy_blend_weight = 1.0;
  options.policy_threshold = 0.5;
  options.policy_precision_tolerance = 0.02;
  return ComputeRollingAccuracy(rows, options, CardMetrics{});
}

// Stores a `pcs outcomes` run as the job does; returns its report.
OutcomeJobReport StoreOutcomesRun(const std::string& conninfo, bool shifted) {
  OutcomeJobReport report;
  report.model_version = kVersion;
  report.policy = JudgePolicy(shifted);
  report.policy_note = "synthetic";
  pqxx::connection conn(conninfo);
  MonitoringRunRecord run;
  run.kind = "outcomes";
  run.details = report.ToJson();
  EXPECT_TRUE(InsertMonitoringRun(conn, run).ok());
  return report;
}

// Stores a `pcs drift` run that alerted on the same shift.
void StoreDriftRun(const std::string& conninfo) {
  DriftJobReport report;
  report.model_version = kVersion;
  report.accuracy = JudgePolicy(/*shifted=*/true);
  DriftAnalysis drift;
  drift.rows = 40;
  PsiResult psi;
  psi.name = "rule_confidence";
  psi.psi = 0.31;
  drift.features.push_back(psi);
  report.drift = drift;
  report.alert = true;
  report.alert_reasons = {"last_500: policy precision below rule-only"};
  report.alert_outcome = "not_configured";
  pqxx::connection conn(conninfo);
  MonitoringRunRecord run;
  run.kind = "drift";
  run.model_version = kVersion;
  run.alert = true;
  run.alert_outcome = report.alert_outcome;
  run.details = report.ToJson(DriftOptions{});
  EXPECT_TRUE(InsertMonitoringRun(conn, run).ok());
}

// Refuses new connections to the database and ends the open ones (the
// server's included) until destroyed: a database outage for this database
// only, so other tests' databases in the cluster are untouched.
class DatabaseOutage {
 public:
  explicit DatabaseOutage(const std::string& conninfo)
      : name_(pqxx::connection(conninfo).dbname()) {
    pqxx::connection admin(testing::TestDatabase::AdminConnInfo());
    pqxx::nontransaction tx(admin);
    tx.exec(absl::StrCat("ALTER DATABASE ", tx.quote_name(name_),
                         " WITH ALLOW_CONNECTIONS false"));
    tx.exec_params(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1",
        name_);
  }
  ~DatabaseOutage() {
    pqxx::connection admin(testing::TestDatabase::AdminConnInfo());
    pqxx::nontransaction tx(admin);
    tx.exec(absl::StrCat("ALTER DATABASE ", tx.quote_name(name_),
                         " WITH ALLOW_CONNECTIONS true"));
  }

 private:
  std::string name_;
};

class MonitoringGaugesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = testing::TestDatabase::FreshDatabase();
    models_dir_ = testing::NewModelsDir("monitoring_gauges");
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
    server_.reset();
    std::filesystem::remove_all(models_dir_);
  }

  void StartServer() {
    PcsServerOptions options;
    options.listen = "127.0.0.1:0";
    options.metrics_listen = "127.0.0.1:0";
    options.database_url = conninfo_;
    options.models_dir = models_dir_.string();
    options.poll_period = absl::ZeroDuration();
    options.threads = 2;
    options.warmup = absl::ZeroDuration();
    options.health_period = absl::Milliseconds(200);
    options.allow_list_file = testing::TestAllowListFile();
    options.monitoring_refresh = absl::ZeroDuration();  // read every scrape
    auto server = PcsServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::string Scrape() {
    httplib::Client client("127.0.0.1", server_->metrics_port());
    auto res = client.Get("/metrics");
    EXPECT_TRUE(res && res->status == 200);
    return res ? res->body : "";
  }

  // `promtool check metrics` on `page`: its exit code and output.
  std::pair<int, std::string> Promtool(const std::string& page) {
    const auto path = models_dir_ / "metrics.txt";
    std::ofstream(path) << page;
    const std::string cmd =
        absl::StrCat("promtool check metrics < ", path.string(), " 2>&1");
    FILE* pipe = ::popen(cmd.c_str(), "r");
    std::string output;
    char buf[512];
    while (pipe && std::fgets(buf, sizeof(buf), pipe)) output += buf;
    return {pipe ? ::pclose(pipe) : -1, output};
  }

  std::string conninfo_;
  std::filesystem::path models_dir_;
  std::unique_ptr<PcsServer> server_;
};

// Every sample line of `textfile` (comments and the run timestamp aside:
// the job's clock vs the row's finished_at) is on `page` as it is.
void ExpectSameSamples(const std::string& textfile, const std::string& page) {
  int compared = 0;
  for (absl::string_view line : absl::StrSplit(textfile, '\n')) {
    if (line.empty() || line[0] == '#' ||
        absl::StartsWith(line, "pcs_outcomes_last_run_timestamp_seconds")) {
      continue;
    }
    EXPECT_THAT(page, HasSubstr(absl::StrCat(line, "\n")));
    ++compared;
  }
  EXPECT_GE(compared, 12);
}

TEST_F(MonitoringGaugesTest, PolicyBelowTheRuleShowsOnMetricsAsInTheTextfile) {
  const OutcomeJobReport outcomes = StoreOutcomesRun(conninfo_, true);
  StoreDriftRun(conninfo_);
  StartServer();
  const std::string page = Scrape();
  // What a scrape shows (for the record in docs/MONITORING.md).
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (absl::StartsWith(line, "pcs_outcomes_") ||
        absl::StartsWith(line, "pcs_monitoring_")) {
      std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
    }
  }

  // The served policy next to rule-only, per window, and the alert state.
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_precision{scorer=\"policy\","
                              "window=\"last_500\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_precision{scorer=\"rule\","
                              "window=\"last_500\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_confirmation_rate{scorer="
                              "\"policy\",window=\"90d\"} 0.5\n"));
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_tp_rate{scorer=\"policy\","
                              "window=\"90d\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_tp_rate{scorer=\"rule\","
                              "window=\"90d\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_rows{window=\"90d\"} 40\n"));
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_policy_precision_alert{window="
                              "\"last_500\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_model_info{version=\"" +
                              std::string(kVersion) + "\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_last_run_timestamp_seconds "));
  // The same names, labels and values as `pcs outcomes --textfile`.
  ExpectSameSamples(outcomes.ToPrometheusText(), page);

  // The latest drift run: its alert state, rolling accuracy and PSI.
  EXPECT_THAT(page, HasSubstr("pcs_monitoring_alert 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_rolling_precision{scorer=\"policy\","
                              "window=\"last_500\"} 0\n"));
  EXPECT_THAT(page,
              HasSubstr("pcs_drift_psi{feature=\"rule_confidence\"} 0.31\n"));
  EXPECT_THAT(page, HasSubstr("pcs_drift_alerts_total{outcome=\"sent\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("pcs_monitoring_read_failures_total 0\n"));
  EXPECT_THAT(page, HasSubstr("pcs_monitoring_last_read_timestamp_seconds "));
  const auto [code, output] = Promtool(page);
  EXPECT_EQ(code, 0) << output;
}

TEST_F(MonitoringGaugesTest, ADatabaseOutageKeepsTheLastValuesAndCountsIt) {
  StoreOutcomesRun(conninfo_, true);
  StartServer();
  ASSERT_THAT(Scrape(), HasSubstr("pcs_outcomes_policy_precision_alert{window="
                                  "\"last_500\"} 1\n"));
  {
    DatabaseOutage outage(conninfo_);
    const std::string page = Scrape();
    EXPECT_THAT(page, HasSubstr("pcs_outcomes_policy_precision_alert{window="
                                "\"last_500\"} 1\n"));
    EXPECT_THAT(page, HasSubstr("pcs_outcomes_precision{scorer=\"policy\","
                                "window=\"last_500\"} 0\n"));
    EXPECT_THAT(page, HasSubstr("pcs_monitoring_read_failures_total 1\n"));
    EXPECT_THAT(page, HasSubstr("pcs_database_up"));  // the rest of the page
  }
  // Back: a newer run without the shift replaces the values.
  StoreOutcomesRun(conninfo_, false);
  const std::string page = Scrape();
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_policy_precision_alert{window="
                              "\"last_500\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("pcs_outcomes_precision{scorer=\"policy\","
                              "window=\"last_500\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_monitoring_read_failures_total 1\n"));
}

TEST_F(MonitoringGaugesTest, NoRunYetShowsOnlyTheReadSeries) {
  StartServer();
  const std::string page = Scrape();
  EXPECT_THAT(page, Not(HasSubstr("pcs_outcomes_")));
  EXPECT_THAT(page, Not(HasSubstr("pcs_monitoring_alert")));
  EXPECT_THAT(page, HasSubstr("pcs_monitoring_read_failures_total 0\n"));
  EXPECT_THAT(page, HasSubstr("pcs_monitoring_last_read_timestamp_seconds "));
}

}  // namespace
}  // namespace pcs
