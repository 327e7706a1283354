// `pcs backfill`: detect patterns on the stored bars, label their outcomes
// and upsert them into pattern_events (pipeline/backfill_job.h).

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "pipeline/backfill_job.h"

namespace pcs::cli {
namespace {

// Parses an optional YYYY-MM-DD flag value; empty = unset.
absl::Status ParseOptionalDay(const std::string& flag, const std::string& text,
                              std::optional<Day>& out) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<Day> day = ParseDay(text);
  if (!day.ok())
    return UsageError(absl::StrCat(flag, ": ", day.status().message()));
  out = *day;
  return absl::OkStatus();
}

class BackfillCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--symbols", symbols_,
                   "Only these symbols (default: every symbol in price_bars "
                   "except the market proxy)")
        ->delimiter(',');
    app.add_option("--from", from_, "First confirmation date (YYYY-MM-DD)");
    app.add_option("--to", to_, "Last confirmation date (YYYY-MM-DD)");
    app.add_option("--horizon", options_.horizon_bars,
                   "Triple-barrier horizon in bars after confirmation")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--workers", options_.workers,
                   "Worker threads (one database connection each)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--market-symbol", options_.market_symbol,
                   "Market proxy skipped by default")
        ->capture_default_str();
    app.add_flag("--include-market", options_.include_market_symbol,
                 "Also detect patterns on the market proxy");
  }

  absl::Status Run(const GlobalFlags& flags) override {
    if (absl::Status s = ParseOptionalDay("--from", from_, options_.from);
        !s.ok())
      return s;
    if (absl::Status s = ParseOptionalDay("--to", to_, options_.to); !s.ok())
      return s;
    auto db = OpenMigratedDatabase(flags);
    if (!db.ok()) return db.status();
    options_.conninfo = (*db)->conninfo();
    options_.symbols = symbols_;
    options_.show_progress = StderrIsTerminal();
    absl::StatusOr<BackfillSummary> summary = RunBackfill(options_);
    if (!summary.ok()) return summary.status();
    std::cout << summary->ToText();
    if (!summary->failures.empty()) {
      return absl::DataLossError(
          absl::StrCat(summary->failures.size(),
                       " symbol(s) failed (listed above); the "
                       "others were stored"));
    }
    return absl::OkStatus();
  }

 private:
  BackfillOptions options_;
  std::vector<std::string> symbols_;
  std::string from_;
  std::string to_;
};

PCS_REGISTER_COMMAND(BackfillCommand, "backfill",
                     "Detect patterns, label outcomes, upsert pattern_events");

}  // namespace
}  // namespace pcs::cli
