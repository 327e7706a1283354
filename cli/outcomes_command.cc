// `pcs outcomes`: resolve pattern outcomes on newly ingested bars (the
// backfill's incremental path) and join the server's predictions to them
// (monitoring/outcome_job.h); with --models-dir, the served decision
// policy's figures next to rule-only over the resolved outcomes. Run nightly
// before `pcs drift`.

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "monitoring/outcome_job.h"

namespace pcs::cli {
namespace {

class OutcomesCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--symbols", options_.symbols,
                   "Only these symbols (default: all)")
        ->delimiter(',');
    app.add_option(
        "--from", from_,
        "Also re-scan patterns confirmed on or after this date (YYYY-MM-DD)");
    app.add_option("--workers", options_.workers, "Backfill worker threads")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_flag("--json", json_, "Print the report as JSON");
    app.add_option("--model", options_.model.model_dir,
                   "Judge this version's policy over resolved outcomes");
    app.add_option("--models-dir", options_.model.models_dir,
                   "Judge the served version's policy: the CHAMPION, or the "
                   "pinned version; with neither, the rule confidence alone");
    app.add_option("--pin-version", options_.pin_version,
                   "With --models-dir: the version the server pins")
        ->envname("PCS_PIN_VERSION");
    app.add_option("--window-days", options_.window_days,
                   "Days of the time window")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--last-n", options_.last_n, "Size of the count window")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--textfile", textfile_,
                   "Write the policy figures as Prometheus text here");
  }

  absl::Status Run(const GlobalFlags& flags) override {
    if (!from_.empty()) {
      auto day = ParseDay(from_);
      if (!day.ok())
        return UsageError(absl::StrCat("--from: ", day.status().message()));
      options_.from = *day;
    }
    if (!options_.model.model_dir.empty() &&
        !options_.model.models_dir.empty()) {
      return UsageError("give at most one of --model and --models-dir");
    }
    if (!textfile_.empty() && options_.model.model_dir.empty() &&
        options_.model.models_dir.empty()) {
      return UsageError("--textfile needs --models-dir or --model");
    }
    auto db = OpenMigratedDatabaseToWrite(flags, "outcomes");
    if (!db.ok()) return db.status();
    options_.conninfo = (*db)->conninfo();
    auto report = RunOutcomeJob(options_);
    if (!report.ok()) return report.status();
    std::cout << (json_ ? report->ToJson().dump(2) + "\n" : report->ToText());
    if (!textfile_.empty()) {
      if (absl::Status s =
              WriteFileAtomically(textfile_, report->ToPrometheusText());
          !s.ok()) {
        return s;
      }
    }
    if (!report->failures.empty()) {
      return absl::DataLossError(absl::StrCat(
          report->failures.size(), " symbol(s) failed (listed above)"));
    }
    return absl::OkStatus();
  }

 private:
  OutcomeJobOptions options_;
  std::string from_;
  std::string textfile_;
  bool json_ = false;
};

PCS_REGISTER_COMMAND(
    OutcomesCommand, "outcomes",
    "Resolve outcomes on new bars and join server predictions to them");

}  // namespace
}  // namespace pcs::cli
