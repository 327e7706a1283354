// `pcs status`: what the database holds (bars, symbols, rejects, patterns).

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "pqxx/pqxx"

namespace pcs::cli {
namespace {

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
    try {
      pqxx::connection conn((*db)->conninfo());
      pqxx::read_transaction tx(conn);
      std::cout << "database: " << (*db)->Describe()
                << ((*db)->embedded() ? " (embedded)" : "")
                << ", schema version " << report.latest_version << "\n";
      const pqxx::row bars = tx.exec1(
          "SELECT count(*), count(DISTINCT symbol), min(day)::text, "
          "max(day)::text, count(*) FILTER (WHERE volume = 0) FROM price_bars");
      std::cout << absl::StrFormat(
          "price_bars: %d bars, %d symbols, %s .. %s, %d with zero volume\n",
          bars[0].as<long long>(), bars[1].as<long long>(),
          bars[2].is_null() ? "-" : bars[2].as<std::string>(),
          bars[3].is_null() ? "-" : bars[3].as<std::string>(),
          bars[4].as<long long>());
      const pqxx::result rejects = tx.exec(
          "SELECT reason, count(*) FROM ingest_rejects GROUP BY reason "
          "ORDER BY reason");
      std::cout << "ingest_rejects:" << (rejects.empty() ? " none" : "")
                << "\n";
      for (const auto& r : rejects) {
        std::cout << absl::StrFormat("  %-26s %d\n", r[0].as<std::string>(),
                                     r[1].as<long long>());
      }
      std::cout
          << "ingest_runs: "
          << tx.exec1("SELECT count(*) FROM ingest_runs")[0].as<long long>()
          << "\n";
      const pqxx::result patterns = tx.exec(
          "SELECT lifecycle_state, count(*) FROM pattern_events "
          "GROUP BY lifecycle_state ORDER BY lifecycle_state");
      std::cout << "pattern_events:" << (patterns.empty() ? " none" : "")
                << "\n";
      for (const auto& r : patterns) {
        std::cout << absl::StrFormat("  %-26s %d\n", r[0].as<std::string>(),
                                     r[1].as<long long>());
      }
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("reading status: ", e.what()));
    }
    return absl::OkStatus();
  }
};

PCS_REGISTER_COMMAND(StatusCommand, "status",
                     "Show what the database holds (bars, rejects, patterns)");

}  // namespace
}  // namespace pcs::cli
