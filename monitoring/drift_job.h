#ifndef PCS_MONITORING_DRIFT_JOB_H_
#define PCS_MONITORING_DRIFT_JOB_H_

// The nightly drift + rolling-accuracy check behind `pcs drift`.
//
//  1. Load the monitored model -- what the server serves: --model DIR, else
//     the pinned version (pin_version) of --models-dir, else its CHAMPION --
//     and its drift reference (card feature_reference, else reference_rows).
//     With --models-dir, no pin and no CHAMPION file the server answers with
//     the rule confidence alone, and so is monitored: no PSI (no model
//     reference; drift_skipped says so), rolling accuracy of the traced
//     predictions at the rule threshold, model_version "".
//  2. Features of the patterns confirmed in [since, until] (optionally only
//     some symbols) from price_bars with the shared FeatureBuilder, and their
//     calibrated model scores.
//  3. PSI per feature and for the score (monitoring/drift_analyzer.h).
//  4. Rolling accuracy of the server's logged predictions vs outcomes
//     (monitoring/rolling_accuracy.h), compared with the card.
//  5. When drift alerts or accuracy degraded and a webhook URL is set, POST
//     one JSON alert (retried with backoff); record the delivery outcome.
//  6. Write the run to monitoring_runs / monitoring_feature_psi (unless
//     write_to_db is false) and return the report (text, JSON and the
//     Prometheus textfile are rendered from it).
//
// Threading: one call = one connection; safe to run concurrently with the
// server (reads only, plus its own insert).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"
#include "db/monitoring_run_store.h"
#include "monitoring/drift_analyzer.h"
#include "monitoring/monitored_model.h"
#include "monitoring/rolling_accuracy.h"
#include "monitoring/webhook_notifier.h"
#include "nlohmann/json.hpp"

namespace pcs {

struct DriftJobOptions {
  std::string conninfo;     // required
  ModelLocation model;      // required (model_dir or models_dir)
  std::string pin_version;  // with models_dir: monitor this version (the
                            // server's --pin-version) instead of CHAMPION
  // Recent period. Defaults: until = as_of, since = as_of - window_days + 1.
  std::optional<Day> since;
  std::optional<Day> until;
  // End of the accuracy window. Default: the latest day in price_bars.
  std::optional<Day> as_of;
  int window_days = 90;
  int last_n = 500;
  std::vector<std::string> symbols;  // empty = all
  std::string market_symbol = "DIA";
  double rule_threshold = 0.5;
  DriftOptions drift;
  AccuracyTolerances tolerances;
  std::string webhook_url;  // empty = do not alert (outcome "not_configured")
  int webhook_attempts = 5;
  absl::Duration webhook_base_delay = absl::Seconds(1);
  bool write_to_db = true;
};

struct DriftJobReport {
  std::string model_version;
  std::string model_dir;
  std::string reference_note;
  Day since = 0;
  Day until = 0;
  Day as_of = 0;
  int patterns = 0;  // patterns with features in [since, until]
  int feature_failures = 0;
  std::vector<std::string> failure_samples;
  std::optional<DriftAnalysis>
      drift;                  // nullopt when no patterns or no reference
  std::string drift_skipped;  // why drift was not computed
  RollingAccuracyReport accuracy;
  bool alert = false;
  std::vector<std::string> alert_reasons;
  std::string alert_outcome;  // "" | "sent" | "failed" | "not_configured"
  std::string alert_error;
  int64_t run_id = 0;        // 0 when not written
  AlertTotals alert_totals;  // after this run
  double finished_unix_seconds = 0;

  nlohmann::json ToJson(const DriftOptions& drift_options) const;
  std::string ToText() const;
  // Prometheus textfile of this run (monitoring/prometheus_text.h).
  std::string ToPrometheusText() const;
};

absl::StatusOr<DriftJobReport> RunDriftJob(const DriftJobOptions& options);

// The alert body POSTed to the webhook.
nlohmann::json DriftAlertJson(const DriftJobReport& report);

}  // namespace pcs

#endif  // PCS_MONITORING_DRIFT_JOB_H_
