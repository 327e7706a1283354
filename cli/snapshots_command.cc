// `pcs snapshots`: render and record the chart snapshot of every stored
// pattern (snapshots/snapshot_backfill.h). Idempotent; shows progress on a
// terminal.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "db/chart_snapshot_catalog.h"
#include "nlohmann/json.hpp"
#include "snapshots/local_snapshot_blob_store.h"
#include "snapshots/snapshot_backfill.h"

namespace pcs::cli {
namespace {

class SnapshotsCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--snapshot-root", root_,
                   "Folder of the content-addressed snapshot files")
        ->envname("PCS_SNAPSHOT_ROOT")
        ->capture_default_str();
    app.add_option("--symbols", options_.symbols,
                   "Only these symbols (default: every symbol with patterns)")
        ->delimiter(',');
    app.add_option("--workers", options_.workers,
                   "Worker threads (one database connection each)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_flag("--json", json_, "Print the summary as JSON");
    app.add_flag("--verify", verify_,
                 "First check every stored file (regular file, bytes hash to "
                 "its name) and remove damaged ones; the run then writes "
                 "them again");
    app.add_flag("--gc", gc_,
                 "Also remove files no catalog row names (after the run)");
  }

  absl::Status Run(const GlobalFlags& flags) override {
    auto db = OpenMigratedDatabaseToWrite(flags, "snapshots");
    if (!db.ok()) return db.status();
    auto blobs = LocalSnapshotBlobStore::Create(root_);
    if (!blobs.ok()) return blobs.status();
    ChartSnapshotStore store(blobs->get());
    options_.conninfo = (*db)->conninfo();
    if (verify_) {
      // Put() rewrites damaged blobs too; removing them first also catches
      // those whose pattern the run skips.
      auto swept = (*blobs)->Sweep(nullptr, false);
      if (!swept.ok()) return swept.status();
      std::cerr << "verify: " << swept->blobs << " files checked, "
                << swept->damaged_removed << " damaged removed, "
                << swept->temporaries_removed << " temporaries removed\n";
    }
    if (StderrIsTerminal()) {
      options_.progress = [](int done, int total, const SnapshotCounts& c) {
        std::fprintf(stderr,
                     "\rsnapshots: %d/%d symbols, %lld patterns, "
                     "%lld new files",
                     done, total, static_cast<long long>(c.patterns),
                     static_cast<long long>(c.blobs_written));
        if (done == total) std::fputc('\n', stderr);
      };
    }
    auto report = RunSnapshotBackfill(options_, store);
    if (!report.ok()) return report.status();
    auto conn = (*db)->Connect();
    if (!conn.ok()) return conn.status();
    if (gc_) {
      auto hashes = ChartSnapshotCatalog(**conn).AllHashes();
      if (!hashes.ok()) return hashes.status();
      auto swept = (*blobs)->Sweep(
          [&](absl::string_view h) {
            return hashes->count(std::string(h)) > 0;
          },
          false);
      if (!swept.ok()) return swept.status();
      std::cerr << "gc: " << swept->blobs << " files, "
                << swept->unreferenced_removed << " unreferenced removed, "
                << swept->damaged_removed << " damaged removed\n";
    }
    auto summary = ChartSnapshotCatalog(**conn).Summary();
    if (!summary.ok()) return summary.status();
    Print(*report, *summary, (*blobs)->Describe());
    if (!report->failures.empty()) {
      return absl::DataLossError(absl::StrCat(
          report->failures.size(), " symbol(s) failed (listed above)"));
    }
    return absl::OkStatus();
  }

 private:
  void Print(const SnapshotBackfillReport& r, const CatalogSummary& s,
             const std::string& where) const {
    const SnapshotCounts& c = r.counts;
    const double rate = r.seconds > 0 ? c.patterns / r.seconds : 0;
    if (json_) {
      nlohmann::json j = {{"store", where},
                          {"symbols", r.symbols},
                          {"patterns", c.patterns},
                          {"decision_charts", c.decision_charts},
                          {"outcome_charts", c.outcome_charts},
                          {"files_written", c.blobs_written},
                          {"files_present", c.blobs_present},
                          {"bytes_written", c.bytes_written},
                          {"skipped", c.skipped},
                          {"catalog_inserted", c.catalog.inserted},
                          {"catalog_updated", c.catalog.updated},
                          {"catalog_unchanged", c.catalog.unchanged},
                          {"urls_set", c.catalog.urls_set},
                          {"seconds", r.seconds},
                          {"patterns_per_second", rate},
                          {"catalog_blobs", s.distinct_blobs},
                          {"catalog_bytes", s.distinct_bytes},
                          {"patterns_total", s.patterns},
                          {"patterns_with_snapshot_url", s.patterns_with_url},
                          {"failures", r.failures}};
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << absl::StrFormat(
        "snapshots: %d symbols, %d patterns in %.2f s (%.0f patterns/s)\n"
        "  charts: %d decision, %d outcome; files: %d written (%d bytes), "
        "%d already stored; %d patterns skipped (no bar on the day)\n"
        "  catalog rows: %d inserted, %d updated, %d unchanged; "
        "snapshot_url set on %d patterns\n"
        "  catalog now: %d files, %d bytes; %d of %d patterns have a "
        "snapshot_url (%s)\n",
        r.symbols, c.patterns, r.seconds, rate, c.decision_charts,
        c.outcome_charts, c.blobs_written, c.bytes_written, c.blobs_present,
        c.skipped, c.catalog.inserted, c.catalog.updated, c.catalog.unchanged,
        c.catalog.urls_set, s.distinct_blobs, s.distinct_bytes,
        s.patterns_with_url, s.patterns, where);
    for (const std::string& f : r.failures)
      std::cout << "  failed: " << f << "\n";
  }

  SnapshotBackfillOptions options_;
  std::string root_ = ".pcs/snapshots";
  bool json_ = false;
  bool verify_ = false;
  bool gc_ = false;
};

PCS_REGISTER_COMMAND(SnapshotsCommand, "snapshots",
                     "Render and record chart snapshots of stored patterns");

}  // namespace
}  // namespace pcs::cli
