// `pcs status`: what the database holds (bars, symbols, rejects, patterns).

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "db/database_summary.h"

namespace pcs::cli {
namespace {

void PrintCounts(const char* table,
                 const std::vector<std::pair<std::string, int64_t>>& counts) {
  std::cout << table << ":" << (counts.empty() ? " none" : "") << "\n";
  for (const auto& [name, n] : counts) {
    std::cout << absl::StrFormat("  %-26s %d\n", name, n);
  }
}

class StatusCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.footer(
        "Prints row counts of the pipeline tables and the rejected "
        "ingest rows by reason.");
  }

  absl::Status Run(const GlobalFlags& flags) override {
    MigrationReport report;
    auto db = OpenMigratedDatabase(flags, &report);
    if (!db.ok()) return db.status();
    auto conn = (*db)->Connect();
    if (!conn.ok()) return conn.status();
    absl::StatusOr<DatabaseSummary> summary = LoadDatabaseSummary(**conn);
    if (!summary.ok()) return summary.status();
    const DatabaseSummary& s = *summary;
    std::cout << "database: " << (*db)->Describe()
              << ((*db)->embedded() ? " (embedded)" : "") << ", schema version "
              << report.latest_version << "\n";
    std::cout << absl::StrFormat(
        "price_bars: %d bars, %d symbols, %s .. %s, %d with zero volume\n",
        s.bars, s.symbols, s.first_day ? FormatDay(*s.first_day) : "-",
        s.last_day ? FormatDay(*s.last_day) : "-", s.zero_volume_bars);
    PrintCounts("ingest_rejects", s.rejects_by_reason);
    std::cout << "ingest_runs: " << s.ingest_runs << "\n";
    PrintCounts("pattern_events", s.patterns_by_state);
    return absl::OkStatus();
  }
};

PCS_REGISTER_COMMAND(StatusCommand, "status",
                     "Show what the database holds (bars, rejects, patterns)");

}  // namespace
}  // namespace pcs::cli
