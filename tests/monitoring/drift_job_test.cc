// End-to-end drift check on real bars: the shared OHLCV files are ingested
// into a real PostgreSQL, patterns are detected and labelled by the backfill
// job, a small XGBoost model is trained on 2003-2006 patterns of symbol group
// A and published with a card whose feature_reference holds the decile bins
// of those patterns (what training writes). Then `RunDriftJob` checks
//   drifted: group B, 2008-2009 (the financial crisis)  -> must alert
//   control: group B, 2003-2006 (the reference period)  -> must not alert
// against a real HTTP receiver on 127.0.0.1. The PSI figures are printed.
#include "monitoring/drift_job.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "db/pattern_event_store.h"
#include "features/feature_builder.h"
#include "gtest/gtest.h"
#include "ingest/ingester.h"
#include "model/calibrator.h"
#include "model/decision_policy.h"
#include "model/tree_ensemble.h"
#include "model/xgboost_booster.h"
#include "monitoring/feature_reference.h"
#include "monitoring/pattern_feature_loader.h"
#include "pipeline/backfill_job.h"
#include "pqxx/pqxx"
#include "tests/monitoring/webhook_receiver.h"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;

constexpr int kSymbols = 60;  // first 60 stock files by name; A = even, B = odd

struct Scenario {
  std::string conninfo;
  std::string model_dir;
  std::vector<std::string> group_a, group_b;
  int reference_patterns = 0;
};

Scenario* scenario = nullptr;

Day D(const char* text) { return *ParseDay(text); }

void PickSymbols(Scenario& s, std::vector<std::string>& files) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(testing::SharedOhlcvDir())) {
    const std::string stem = entry.path().stem().string();
    if (entry.path().extension() == ".csv" && stem != "DIA")
      names.push_back(stem);
  }
  std::sort(names.begin(), names.end());
  names.resize(std::min<size_t>(names.size(), kSymbols));
  for (size_t i = 0; i < names.size(); ++i) {
    (i % 2 == 0 ? s.group_a : s.group_b).push_back(names[i]);
    files.push_back(testing::SharedOhlcvFile(names[i]));
  }
  files.push_back(testing::SharedOhlcvFile("DIA"));
}

// Labels of `ids` from pattern_events.
std::vector<float> Labels(pqxx::connection& conn,
                          const std::vector<std::string>& ids) {
  std::map<std::string, int> by_id;
  pqxx::read_transaction tx(conn);
  for (const pqxx::row& r :
       tx.exec("SELECT id, outcome_label FROM pattern_events WHERE "
               "outcome_label IS NOT NULL")) {
    by_id[r[0].as<std::string>()] = r[1].as<int>();
  }
  std::vector<float> y;
  for (const std::string& id : ids)
    y.push_back(static_cast<float>(by_id.count(id) ? by_id[id] : 0));
  return y;
}

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

// Trains on the reference set and publishes model.json + model_card.json.
void PublishModel(const PatternFeatureSet& ref,
                  const std::vector<float>& labels, const std::string& dir) {
  const FeatureSchema& schema = FeatureBuilder::Schema();
  DenseMatrix x;
  x.rows = static_cast<int>(ref.rows.size());
  x.cols = static_cast<int>(schema.names.size());
  for (const auto& row : ref.rows)
    x.values.insert(x.values.end(), row.begin(), row.end());
  TrainParams params;
  params.num_boost_round = 60;
  params.max_depth = 3;
  auto booster =
      XGBoostBooster::Train(x, labels, nullptr, nullptr, params, nullptr);
  ASSERT_TRUE(booster.ok()) << booster.status();
  fs::create_directories(dir);
  ASSERT_TRUE((*booster)->SaveModel(dir + "/model.json").ok());
  booster->reset();  // free the booster before exit (XGBoost trap)

  auto ensemble = TreeEnsemble::FromXGBoostJsonFile(dir + "/model.json");
  ASSERT_TRUE(ensemble.ok()) << ensemble.status();
  std::vector<double> raw;
  std::vector<int> y;
  for (int r = 0; r < x.rows; ++r) {
    raw.push_back(1.0 / (1.0 + std::exp(-ensemble->PredictMargin(x.Row(r)))));
    y.push_back(static_cast<int>(labels[r]));
  }
  auto calibrator = Calibrator::FitIsotonic(raw, y);
  ASSERT_TRUE(calibrator.ok()) << calibrator.status();
  std::vector<double> probabilities;
  for (double p : raw) probabilities.push_back(calibrator->Apply(p));
  auto reference = BuildFeatureReference(schema.names, ref.rows, probabilities);
  ASSERT_TRUE(reference.ok()) << reference.status();

  // reference_rows.json: the first rows, with the margins and calibrated
  // probabilities the loader's warm-up must reproduce.
  nlohmann::json rows = nlohmann::json::array();
  for (int r = 0; r < std::min(x.rows, 20); ++r) {
    nlohmann::json features = nlohmann::json::array();
    for (float v : ref.rows[r]) {
      features.push_back(std::isnan(v) ? nlohmann::json(nullptr)
                                       : nlohmann::json(v));
    }
    rows.push_back({{"features", features},
                    {"margin", ensemble->PredictMargin(x.Row(r))},
                    {"probability", probabilities[r]}});
  }
  WriteText(dir + "/reference_rows.json",
            nlohmann::json({{"rows", rows}}).dump());
  auto model_sha = Sha256HexOfFile(dir + "/model.json");
  ASSERT_TRUE(model_sha.ok()) << model_sha.status();
  nlohmann::json card = {
      {"version", "20260101T000000Z"},
      {"status", "champion"},
      {"model_file", "model.json"},
      {"model_sha256", *model_sha},
      {"feature_schema",
       {{"version", schema.version},
        {"hash", schema.hash},
        {"names", schema.names}}},
      {"calibration", calibrator->ToJson()},
      {"serving", {{"decision_threshold", 0.5}, {"blend_weight", 0.5}}},
      {"reference_rows_file", "reference_rows.json"},
      {"metrics", nlohmann::json::object()},
      {"feature_reference", FeatureReferenceToJson(*reference)}};
  WriteText(dir + "/model_card.json", card.dump(1));
}

class DriftJobTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scenario = new Scenario();
    Scenario& s = *scenario;
    s.conninfo = testing::TestDatabase::FreshDatabase();
    std::vector<std::string> files;
    PickSymbols(s, files);
    pqxx::connection conn(s.conninfo);
    auto ingested = Ingester(conn, IngestOptions{}).Run(files);
    ASSERT_TRUE(ingested.ok()) << ingested.status();
    BackfillOptions bo;
    bo.conninfo = s.conninfo;
    bo.from = D("2003-01-01");
    bo.to = D("2009-12-31");
    auto backfill = RunBackfill(bo);
    ASSERT_TRUE(backfill.ok()) << backfill.status();
    ASSERT_TRUE(backfill->failures.empty()) << backfill->failures[0];

    PatternFilter ref_filter;
    ref_filter.from = D("2003-01-01");
    ref_filter.to = D("2006-12-31");
    ref_filter.symbols = s.group_a;
    ref_filter.resolved_only = true;
    auto ref = LoadPatternFeatures(conn, ref_filter);
    ASSERT_TRUE(ref.ok()) << ref.status();
    s.reference_patterns = static_cast<int>(ref->rows.size());
    s.model_dir = ::testing::TempDir() + "/pcs_drift_models/20260101T000000Z";
    fs::remove_all(s.model_dir);
    PublishModel(*ref, Labels(conn, ref->ids), s.model_dir);
    std::printf(
        "[scenario] %d patterns stored 2003-2009 on %d symbols; reference = %d "
        "patterns of group A 2003-2006\n",
        static_cast<int>(backfill->patterns), kSymbols, s.reference_patterns);
  }
  static void TearDownTestSuite() {
    delete scenario;
    scenario = nullptr;
  }

  DriftJobOptions Options(const char* since, const char* until,
                          const std::string& url) {
    DriftJobOptions o;
    o.conninfo = scenario->conninfo;
    o.model.model_dir = scenario->model_dir;
    o.since = D(since);
    o.until = D(until);
    o.as_of = D(until);
    o.symbols = scenario->group_b;
    o.webhook_url = url;
    o.webhook_attempts = 3;
    o.webhook_base_delay = absl::Milliseconds(1);
    return o;
  }

  static void Print(const char* label, const DriftJobReport& r) {
    const DriftAnalysis& d = *r.drift;
    int significant = 0, moderate = 0;
    for (const PsiResult& p : d.features) {
      significant += p.level == DriftLevel::kSignificant;
      moderate += p.level == DriftLevel::kModerate;
    }
    std::printf(
        "[%s] %d patterns; max feature PSI %.4f (%s); score PSI %.4f; features "
        "significant %d, moderate %d of %d; alert %s (%s)\n",
        label, d.rows, d.max_feature_psi, d.max_feature.c_str(),
        d.score ? d.score->psi : -1.0, significant, moderate,
        static_cast<int>(d.features.size()), r.alert ? "yes" : "no",
        r.alert_outcome.c_str());
  }
};

// `pcs drift --models-dir` monitors what the server serves: with no CHAMPION
// and no pin, the rule confidence alone (no PSI, no error); with a pin, the
// pinned version.
TEST_F(DriftJobTest, NoChampionMonitorsThePinnedVersionOrTheRulesAlone) {
  DriftJobOptions o = Options("2008-01-01", "2009-12-31", "");
  o.write_to_db = false;
  o.model.model_dir.clear();
  o.model.models_dir = fs::path(scenario->model_dir).parent_path().string();
  ASSERT_FALSE(fs::exists(fs::path(o.model.models_dir) / "CHAMPION"));
  auto rules = RunDriftJob(o);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->model_version, "");
  EXPECT_FALSE(rules->drift.has_value());
  EXPECT_NE(rules->drift_skipped.find("rule confidence alone"),
            std::string::npos)
      << rules->drift_skipped;
  EXPECT_NE(rules->reference_note.find("no CHAMPION"), std::string::npos);
  EXPECT_GT(rules->patterns, 0);
  o.pin_version = fs::path(scenario->model_dir).filename().string();
  auto pinned = RunDriftJob(o);
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  EXPECT_EQ(pinned->model_version, o.pin_version);
  EXPECT_TRUE(pinned->drift.has_value());
}

TEST_F(DriftJobTest, CrisisPeriodAlertsThroughTheWebhook) {
  ASSERT_NE(scenario, nullptr);
  ASSERT_GE(scenario->reference_patterns, 200);
  testing::WebhookReceiver receiver;
  auto report =
      RunDriftJob(Options("2008-01-01", "2009-12-31", receiver.url()));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_TRUE(report->drift.has_value()) << report->drift_skipped;
  Print("drifted 2008-2009", *report);
  std::printf("%s", report->ToText().c_str());
  EXPECT_GE(report->patterns, 50);
  EXPECT_EQ(report->feature_failures, 0);
  EXPECT_TRUE(report->drift->alert);
  EXPECT_TRUE(report->alert);
  EXPECT_EQ(report->alert_outcome, "sent");
  EXPECT_GT(report->drift->max_feature_psi, 0.25);
  ASSERT_EQ(receiver.bodies().size(), 1u);
  const auto body = nlohmann::json::parse(receiver.bodies()[0]);
  EXPECT_EQ(body["model_version"], "20260101T000000Z");
  EXPECT_EQ(body["drift"]["max_feature"], report->drift->max_feature);
  EXPECT_FALSE(body["reasons"].empty());
  // Recorded in the database with its PSI rows.
  EXPECT_GT(report->run_id, 0);
  EXPECT_EQ(report->alert_totals.sent, 1);
  pqxx::connection conn(scenario->conninfo);
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(
      tx.exec_params1(
            "SELECT count(*) FROM monitoring_feature_psi WHERE run_id = $1",
            report->run_id)[0]
          .as<int>(),
      static_cast<int>(report->drift->features.size()) + 1);
}

TEST_F(DriftJobTest, SamePeriodControlDoesNotAlert) {
  ASSERT_NE(scenario, nullptr);
  testing::WebhookReceiver receiver;
  auto report =
      RunDriftJob(Options("2003-01-01", "2006-12-31", receiver.url()));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_TRUE(report->drift.has_value()) << report->drift_skipped;
  Print("control 2003-2006", *report);
  std::printf("%s", report->ToText().c_str());
  EXPECT_GE(report->patterns, 50);
  EXPECT_FALSE(report->drift->insufficient_rows);
  EXPECT_FALSE(report->alert);
  EXPECT_LE(report->drift->max_feature_psi, 0.25);
  EXPECT_TRUE(receiver.bodies().empty());
}

TEST_F(DriftJobTest, UndeliverableAlertIsReportedAndCounted) {
  ASSERT_NE(scenario, nullptr);
  testing::WebhookReceiver receiver(/*fail_first=*/0, /*always_fail=*/true);
  auto report =
      RunDriftJob(Options("2008-01-01", "2009-12-31", receiver.url()));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->alert);
  EXPECT_EQ(report->alert_outcome, "failed");
  EXPECT_NE(report->alert_error.find("after 3 attempts"), std::string::npos);
  EXPECT_EQ(receiver.bodies().size(), 3u);
  EXPECT_GE(report->alert_totals.failed, 1);
  const std::string prom = report->ToPrometheusText();
  EXPECT_NE(prom.find("pcs_drift_alerts_total{outcome=\"failed\"} "),
            std::string::npos);
  EXPECT_NE(prom.find("pcs_drift_psi{feature=\"__score__\"}"),
            std::string::npos);
}

// Accuracy through the job: a second version of the same model whose logged
// predictions are inverted (ML says 0.3 for every winner, 0.7 for every
// loser) on group B's 2003-2006 patterns. No drift (same period as the
// reference), but ML precision (0) is below the rule baseline and the AUC
// (0) far below the card's 0.70: the job must alert for accuracy alone.
TEST_F(DriftJobTest, AccuracyBelowRuleBaselineAlerts) {
  ASSERT_NE(scenario, nullptr);
  const std::string dir =
      ::testing::TempDir() + "/pcs_drift_models/20260102T000000Z";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"model.json", "reference_rows.json"}) {
    fs::copy_file(scenario->model_dir + "/" + f, dir + "/" + f);
  }
  std::ifstream in(scenario->model_dir + "/model_card.json");
  nlohmann::json card = nlohmann::json::parse(in);
  card["version"] = "20260102T000000Z";
  card["metrics"] = {
      {"holdout", {{"roc_auc", 0.70}, {"brier", 0.20}, {"ece", 0.03}}}};
  WriteText(dir + "/model_card.json", card.dump());

  pqxx::connection conn(scenario->conninfo);
  int64_t inserted = 0;
  {
    pqxx::work tx(conn);
    std::string symbols = "{";
    for (size_t i = 0; i < scenario->group_b.size(); ++i) {
      symbols += (i ? "," : "") + scenario->group_b[i];
    }
    symbols += "}";
    inserted =
        tx.exec_params(
              "INSERT INTO prediction_traces (pattern_id, state, "
              "  rule_confidence, ml_confidence, blended_confidence, "
              "model_version) "
              "SELECT id, 'confirmed', rule_confidence, "
              "  CASE WHEN outcome_label = 1 THEN 0.3 ELSE 0.7 END, "
              "rule_confidence, "
              "  '20260102T000000Z' FROM pattern_events "
              "WHERE symbol = ANY($1::text[]) AND outcome_label IS NOT NULL "
              "  AND confirmation_date BETWEEN '2003-01-01' AND '2006-12-31'",
              symbols)
            .affected_rows();
    tx.commit();
  }
  ASSERT_GE(inserted, 100);

  DriftJobOptions o = Options("2003-01-01", "2006-12-31", "");
  o.model.model_dir = dir;
  o.as_of = D("2007-06-30");
  o.window_days = 1000;
  auto report = RunDriftJob(o);
  ASSERT_TRUE(report.ok()) << report.status();
  std::printf("%s", report->ToText().c_str());
  ASSERT_TRUE(report->drift.has_value());
  EXPECT_FALSE(report->drift->alert);
  ASSERT_EQ(report->accuracy.windows.size(), 2u);
  const WindowAccuracy& w = report->accuracy.windows[1];  // "1000d"
  EXPECT_EQ(w.window, "1000d");
  EXPECT_GE(w.scored_rows, 100);
  EXPECT_EQ(*w.ml.precision, 0.0);
  EXPECT_GT(*w.rule.precision, 0.0);
  EXPECT_DOUBLE_EQ(*w.roc_auc, 0.0);
  bool precision = false, auc = false;
  for (const AccuracyFinding& f : report->accuracy.degraded) {
    precision |= f.metric == "precision_vs_rule";
    auc |= f.metric == "roc_auc";
  }
  EXPECT_TRUE(precision);
  EXPECT_TRUE(auc);
  EXPECT_TRUE(report->alert);
  EXPECT_EQ(report->alert_outcome, "not_configured");
  const std::string prom = report->ToPrometheusText();
  EXPECT_NE(
      prom.find("pcs_rolling_precision{scorer=\"ml\",window=\"1000d\"} 0\n"),
      std::string::npos)
      << prom;
  EXPECT_NE(prom.find("pcs_rolling_auc{window=\"1000d\"} 0\n"),
            std::string::npos);
}

// Monitoring against the served decision policy: a version whose card
// carries a policy (w = 1, t = 0.5, tolerance 2 points). Logged predictions
// on group B's 2003-2006 patterns first agree with the outcomes (ml 0.8 for
// every winner, 0.2 for every loser): the policy's precision is 1, no policy
// alert. Then a synthetic shift (a second version, the same patterns, ml
// inverted): the policy confirms only losers, its rolling precision falls
// below the rule's by more than the card's tolerance, and the job alerts
// through the webhook and exports the policy's figures.
std::string PolicyVersion(const std::string& version) {
  const std::string dir = ::testing::TempDir() + "/pcs_drift_models/" + version;
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"model.json", "reference_rows.json"}) {
    fs::copy_file(scenario->model_dir + "/" + f, dir + "/" + f);
  }
  std::ifstream in(scenario->model_dir + "/model_card.json");
  nlohmann::json card = nlohmann::json::parse(in);
  card["version"] = version;
  DecisionPolicy policy;
  policy.blend_weight = 1.0;
  policy.threshold = 0.5;
  policy.precision_tolerance = 0.02;
  policy.chosen_on = "test";
  policy.procedure = "test";
  policy.evidence.sensitivity = {};
  card["policy"] = DecisionPolicyToJson(policy);
  WriteText(dir + "/model_card.json", card.dump());
  return dir;
}

int64_t InsertTraces(const std::string& version, double winner_ml,
                     double loser_ml) {
  pqxx::connection conn(scenario->conninfo);
  pqxx::work tx(conn);
  std::string symbols = "{";
  for (size_t i = 0; i < scenario->group_b.size(); ++i) {
    symbols += (i ? "," : "") + scenario->group_b[i];
  }
  symbols += "}";
  const int64_t n =
      tx.exec_params(
            "INSERT INTO prediction_traces (pattern_id, state, "
            "  rule_confidence, ml_confidence, blended_confidence, "
            "  model_version) "
            "SELECT id, 'confirmed', rule_confidence, "
            "  CASE WHEN outcome_label = 1 THEN $2::float8 ELSE $3::float8 "
            "END, "
            "  CASE WHEN outcome_label = 1 THEN $2::float8 ELSE $3::float8 "
            "END, $4 "
            "FROM pattern_events "
            "WHERE symbol = ANY($1::text[]) AND outcome_label IS NOT NULL "
            "  AND confirmation_date BETWEEN '2003-01-01' AND '2006-12-31'",
            symbols, winner_ml, loser_ml, version)
          .affected_rows();
  tx.commit();
  return n;
}

bool HasFinding(const DriftJobReport& r, const std::string& metric) {
  for (const AccuracyFinding& f : r.accuracy.degraded) {
    if (f.metric == metric) return true;
  }
  return false;
}

TEST_F(DriftJobTest, PolicyPrecisionBelowTheRuleAlertsOnASyntheticShift) {
  ASSERT_NE(scenario, nullptr);
  testing::WebhookReceiver receiver;
  const std::string good = PolicyVersion("20260103T000000Z");
  ASSERT_GE(InsertTraces("20260103T000000Z", 0.8, 0.2), 100);
  DriftJobOptions o = Options("2003-01-01", "2006-12-31", receiver.url());
  o.model.model_dir = good;
  o.as_of = D("2007-06-30");
  o.window_days = 1000;
  auto before = RunDriftJob(o);
  ASSERT_TRUE(before.ok()) << before.status();
  const WindowAccuracy& w0 = before->accuracy.windows[1];
  EXPECT_DOUBLE_EQ(*w0.policy.precision, 1.0);
  EXPECT_FALSE(HasFinding(*before, "policy_precision_vs_rule"));
  EXPECT_TRUE(receiver.bodies().empty());

  const std::string shifted = PolicyVersion("20260104T000000Z");
  ASSERT_GE(InsertTraces("20260104T000000Z", 0.2, 0.8), 100);
  o.model.model_dir = shifted;
  auto after = RunDriftJob(o);
  ASSERT_TRUE(after.ok()) << after.status();
  std::printf("%s", after->ToText().c_str());
  const WindowAccuracy& w = after->accuracy.windows[1];
  EXPECT_EQ(w.window, "1000d");
  EXPECT_DOUBLE_EQ(*w.policy.precision, 0.0);
  EXPECT_GT(*w.rule.precision, 0.02);
  EXPECT_EQ(w.policy.confirmed, w.rows - w.positives);  // every loser
  EXPECT_DOUBLE_EQ(*w.policy_tp_rate, 0.0);
  EXPECT_TRUE(HasFinding(*after, "policy_precision_vs_rule"));
  EXPECT_TRUE(after->alert);
  EXPECT_EQ(after->alert_outcome, "sent");
  ASSERT_EQ(receiver.bodies().size(), 1u);
  EXPECT_NE(receiver.bodies()[0].find("policy precision"), std::string::npos)
      << receiver.bodies()[0];
  const std::string prom = after->ToPrometheusText();
  for (const char* line :
       {"pcs_rolling_precision{scorer=\"policy\",window=\"1000d\"} 0\n",
        "pcs_rolling_tp_rate{scorer=\"policy\",window=\"1000d\"} 0\n",
        "pcs_rolling_confirmation_rate{scorer=\"rule\",window=\"1000d\"} ",
        "pcs_rolling_confirmation_rate{scorer=\"policy\",window=\"1000d\"} "}) {
    EXPECT_NE(prom.find(line), std::string::npos) << line << "\n" << prom;
  }
}

}  // namespace
}  // namespace pcs
