// `pcs report baseline [--out DIR]`: outcome statistics of the stored
// patterns next to Bulkowski's definitions and figures
// (pipeline/baseline_report.h).

#include <iostream>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "pipeline/baseline_report.h"

namespace pcs::cli {
namespace {

class ReportCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("report", report_, "Which report (baseline)")
        ->required()
        ->check(CLI::IsMember({"baseline"}));
    app.add_option("--out", out_dir_,
                   "Folder for baseline.json and baseline.txt")
        ->capture_default_str();
    app.add_option("--from", from_, "First confirmation date (YYYY-MM-DD)");
    app.add_option("--to", to_, "Last confirmation date (YYYY-MM-DD)");
    app.add_flag("--bulkowski-ignore-stop", ignore_stop_,
                 "Bulkowski columns: end the trend only on a 20% reversal, "
                 "not on a close through the pattern's stop");
  }

  absl::Status Run(const GlobalFlags& flags) override {
    BaselineOptions options;
    options.bulkowski.reverse_on_stop_close = !ignore_stop_;
    for (auto [flag, text, day] : {std::tuple{"--from", &from_, &options.from},
                                   std::tuple{"--to", &to_, &options.to}}) {
      if (text->empty()) continue;
      absl::StatusOr<Day> parsed = ParseDay(*text);
      if (!parsed.ok()) {
        return UsageError(absl::StrCat(flag, ": ", parsed.status().message()));
      }
      *day = *parsed;
    }
    auto db = OpenMigratedDatabase(flags);
    if (!db.ok()) return db.status();
    options.conninfo = (*db)->conninfo();
    absl::StatusOr<BaselineReport> report = ComputeBaselineReport(options);
    if (!report.ok()) return report.status();
    std::cout << report->ToText();
    if (absl::Status s = WriteBaselineReport(*report, out_dir_); !s.ok())
      return s;
    std::cout << "\nwritten: " << out_dir_ << "/baseline.json, " << out_dir_
              << "/baseline.txt\n";
    return absl::OkStatus();
  }

 private:
  std::string report_;
  std::string out_dir_ = ".pcs/reports";
  std::string from_;
  std::string to_;
  bool ignore_stop_ = false;
};

PCS_REGISTER_COMMAND(
    ReportCommand, "report",
    "Write a report (baseline: outcome base rates vs Bulkowski)");

}  // namespace
}  // namespace pcs::cli
