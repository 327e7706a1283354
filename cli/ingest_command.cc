// `pcs ingest PATH...`: load OHLCV CSV files or folders into price_bars.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "ingest/ingester.h"

namespace pcs::cli {
namespace {

class IngestCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("paths", paths_, "CSV files and/or folders of *.csv")
        ->required();
    app.add_option("--symbol", symbol_,
                   "Symbol for the bars (one file only; default: file name)");
    app.add_option("--batch-files", files_per_batch_,
                   "Files per transaction (one COPY + one upsert each)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_flag("--follow-symlinks", follow_symlinks_,
                 "Read symbolic links in a folder that point outside it "
                 "(default: refused and listed)");
    app.add_flag("--totals-only", totals_only_,
                 "Print only refused files and the totals, not every file");
  }

  absl::Status Run(const GlobalFlags& flags) override {
    // Check the paths before starting a database: a typo fails fast.
    std::vector<std::string> refused;  // reported by the ingester below
    if (auto files = ExpandCsvPaths(paths_, follow_symlinks_, &refused);
        !files.ok()) {
      return files.status();
    } else if (!symbol_.empty() && files->size() != 1) {
      return UsageError(
          absl::StrCat("--symbol needs exactly one file, got ", files->size()));
    }
    auto db = OpenMigratedDatabase(flags);
    if (!db.ok()) return db.status();
    auto conn = (*db)->Connect();
    if (!conn.ok()) return conn.status();
    IngestOptions options;
    if (!symbol_.empty()) options.symbol = symbol_;
    options.files_per_batch = files_per_batch_;
    options.follow_symlinks = follow_symlinks_;
    const bool tty = StderrIsTerminal();
    if (tty) {
      options.progress = [](int done, int total, const std::string& path) {
        std::fprintf(stderr, "\r\033[K[%d/%d] %s", done, total,
                     std::filesystem::path(path).filename().c_str());
        std::fflush(stderr);
      };
    }
    const auto start = std::chrono::steady_clock::now();
    Ingester ingester(**conn, options);
    auto summary = ingester.Run(paths_);
    if (tty) std::fprintf(stderr, "\r\033[K");
    if (!summary.ok()) return summary.status();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::cout << FormatIngestSummary(*summary, !totals_only_);
    std::cout << absl::StrFormat("ingest time: %.2f s (%.0f rows/s)\n", seconds,
                                 summary->total.rows_read / seconds);
    if (summary->failed_files > 0) {
      return absl::DataLossError(
          absl::StrCat(summary->failed_files,
                       " file(s) refused (listed above); the "
                       "others were loaded"));
    }
    return absl::OkStatus();
  }

 private:
  std::vector<std::string> paths_;
  std::string symbol_;
  int files_per_batch_ = 64;
  bool totals_only_ = false;
  bool follow_symlinks_ = false;
};

PCS_REGISTER_COMMAND(IngestCommand, "ingest",
                     "Load OHLCV CSV files/folders into price_bars");

}  // namespace
}  // namespace pcs::cli
