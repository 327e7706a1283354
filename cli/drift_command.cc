// `pcs drift`: PSI of recent patterns' features and scores against the
// model's training reference, rolling accuracy vs the model card, webhook
// alert when a threshold is crossed (monitoring/drift_job.h).
//
// Exit code 0 also when an alert was raised and delivered (the alert is the
// output); 1 when the alert could not be delivered, so the scheduler shows
// the failure.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "monitoring/drift_job.h"

namespace pcs::cli {
namespace {

absl::Status OptionalDay(const char* flag, const std::string& text,
                         std::optional<Day>& out) {
  if (text.empty()) return absl::OkStatus();
  auto day = ParseDay(text);
  if (!day.ok())
    return UsageError(absl::StrCat(flag, ": ", day.status().message()));
  out = *day;
  return absl::OkStatus();
}

class DriftCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--model", o_.model.model_dir,
                   "Model version folder to check");
    app.add_option(
        "--models-dir", o_.model.models_dir,
        "Model registry root: its CHAMPION is checked, or the pinned "
        "version; with neither, the rule confidence alone");
    app.add_option("--pin-version", o_.pin_version,
                   "With --models-dir: the version the server pins (as its "
                   "--pin-version); "
                   "ignored with --model")
        ->envname("PCS_PIN_VERSION");
    app.add_option("--since", since_,
                   "First confirmation date of recent patterns");
    app.add_option("--until", until_,
                   "Last confirmation date (default: --as-of)");
    app.add_option("--as-of", as_of_,
                   "End of the accuracy window (default: latest bar)");
    app.add_option("--window-days", o_.window_days,
                   "Days of the rolling windows")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--last-n", o_.last_n, "Size of the count window")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--symbols", o_.symbols, "Only these symbols")
        ->delimiter(',');
    app.add_option("--market-symbol", o_.market_symbol,
                   "Market proxy for features")
        ->capture_default_str();
    app.add_option("--rule-threshold", o_.rule_threshold,
                   "Rule confirmation threshold")
        ->capture_default_str();
    app.add_option("--alert-psi", o_.drift.alert_psi,
                   "Alert when a PSI exceeds this")
        ->capture_default_str();
    app.add_option("--min-rows", o_.drift.min_rows,
                   "Fewest recent patterns for a verdict")
        ->capture_default_str();
    app.add_option("--webhook", o_.webhook_url, "POST alerts to this URL");
    app.add_option("--webhook-attempts", o_.webhook_attempts,
                   "Delivery attempts")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--textfile", textfile_,
                   "Write Prometheus text here (node-exporter)");
    app.add_option("--json-out", json_out_, "Write the JSON report here");
    app.add_flag("--json", json_, "Print the JSON report instead of text");
    app.add_flag("--no-record", no_record_, "Do not write monitoring_runs");
  }

  absl::Status Run(const GlobalFlags& flags) override {
    if (o_.model.model_dir.empty() == o_.model.models_dir.empty()) {
      return UsageError("give exactly one of --model DIR and --models-dir DIR");
    }
    for (auto [flag, text, out] : {std::tuple{"--since", &since_, &o_.since},
                                   std::tuple{"--until", &until_, &o_.until},
                                   std::tuple{"--as-of", &as_of_, &o_.as_of}}) {
      if (absl::Status s = OptionalDay(flag, *text, *out); !s.ok()) return s;
    }
    o_.write_to_db = !no_record_;
    // --no-record writes nothing, so a throwaway cluster is fine then.
    auto db = no_record_ ? OpenMigratedDatabase(flags)
                         : OpenMigratedDatabaseToWrite(flags, "drift");
    if (!db.ok()) return db.status();
    o_.conninfo = (*db)->conninfo();
    auto report = RunDriftJob(o_);
    if (!report.ok()) return report.status();
    const nlohmann::json json = report->ToJson(o_.drift);
    std::cout << (json_ ? json.dump(2) + "\n" : report->ToText());
    if (!json_out_.empty()) {
      if (absl::Status s = WriteFileAtomically(json_out_, json.dump(2) + "\n");
          !s.ok())
        return s;
    }
    if (!textfile_.empty()) {
      if (absl::Status s =
              WriteFileAtomically(textfile_, report->ToPrometheusText());
          !s.ok()) {
        return s;
      }
    }
    if (report->alert_outcome == "failed") {
      return absl::UnavailableError(
          absl::StrCat("alert not delivered: ", report->alert_error));
    }
    return absl::OkStatus();
  }

 private:
  DriftJobOptions o_;
  std::string since_, until_, as_of_, textfile_, json_out_;
  bool json_ = false;
  bool no_record_ = false;
};

PCS_REGISTER_COMMAND(
    DriftCommand, "drift",
    "Feature/score drift (PSI) and rolling accuracy vs the model card");

}  // namespace
}  // namespace pcs::cli
