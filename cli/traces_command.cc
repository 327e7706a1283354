// `pcs traces prune --older-than 30d`: retention of the prediction traces
// the server writes for every scored read (db/prediction_trace_store.h).

#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "db/prediction_trace_store.h"

namespace pcs::cli {
namespace {

// "30d", "12h", "90m" (absl durations, plus d for days); > 0.
absl::StatusOr<absl::Duration> ParseAge(const std::string& text) {
  absl::Duration age;
  int64_t days = 0;
  if (!text.empty() && text.back() == 'd' &&
      absl::SimpleAtoi(text.substr(0, text.size() - 1), &days)) {
    age = absl::Hours(24 * days);
  } else if (!absl::ParseDuration(text, &age)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--older-than: '", text.substr(0, 40),
                     "' is not a duration (e.g. 30d, 12h, 90m)"));
  }
  if (age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--older-than: must be > 0");
  }
  return age;
}

class TracesCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("action", action_, "prune")->required();
    app.add_option("--older-than", older_than_,
                   "Delete traces older than this (30d, 12h); the latest "
                   "trace of each pattern and model version is kept")
        ->required();
    app.footer(
        "Run it from cron (deploy/kubernetes CronJob) to bound the table: "
        "every scored read writes one row.");
  }

  absl::Status Run(const GlobalFlags& flags) override {
    if (action_ != "prune") {
      return absl::InvalidArgumentError(absl::StrCat(
          "traces: unknown action '", action_.substr(0, 40), "' (prune)"));
    }
    auto age = ParseAge(older_than_);
    if (!age.ok()) return age.status();
    auto db = OpenMigratedDatabase(flags);
    if (!db.ok()) return db.status();
    auto conn = (*db)->Connect();
    if (!conn.ok()) return conn.status();
    auto deleted = PruneTraces(**conn, *age);
    if (!deleted.ok()) return deleted.status();
    std::cout << "traces: " << *deleted << " rows older than " << older_than_
              << " deleted (the latest per pattern and model kept)\n";
    return absl::OkStatus();
  }

 private:
  std::string action_;
  std::string older_than_;
};

PCS_REGISTER_COMMAND(TracesCommand, "traces",
                     "Prune old prediction traces (retention)");

}  // namespace
}  // namespace pcs::cli
