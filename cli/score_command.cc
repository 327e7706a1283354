// `pcs score`: store the served model version's ML and blended confidence
// and decision for every stored pattern, as of each pattern's decision day
// (monitoring/score_job.h). Idempotent; the review console's history and
// its "ML and rule disagree" filter read what it stores.

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "monitoring/monitored_model.h"
#include "monitoring/score_job.h"

namespace pcs::cli {
namespace {

class ScoreCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--models-dir", models_dir_,
                   "Model registry: its CHAMPION is the version scored, as "
                   "pcs-server serves it")
        ->capture_default_str();
    app.add_option("--pin-version", pin_version_,
                   "Score with this version folder of --models-dir instead "
                   "of CHAMPION (as pcs-server --pin-version)");
    app.add_option("--symbols", options_.symbols,
                   "Only these symbols (default: every symbol)")
        ->delimiter(',');
  }

  absl::Status Run(const GlobalFlags& flags) override {
    auto db = OpenMigratedDatabaseToWrite(flags, "score");
    if (!db.ok()) return db.status();
    options_.conninfo = (*db)->conninfo();
    ModelLocation location;
    if (pin_version_.empty()) {
      location.models_dir = models_dir_;
    } else {
      location.model_dir = absl::StrCat(models_dir_, "/", pin_version_);
    }
    auto dir = ResolveModelDir(location);
    if (!dir.ok()) {
      return absl::Status(
          dir.status().code(),
          absl::StrCat(
              dir.status().message(),
              pin_version_.empty() ? " (name one with --pin-version)" : ""));
    }
    options_.model_dir = *dir;
    options_.progress = Progress();
    auto report = RunScoreJob(options_);
    if (!report.ok()) return report.status();
    std::cout << report->ToText();
    return absl::OkStatus();
  }

 private:
  // On a terminal one line rewritten per symbol; otherwise (a log, the
  // demo) a line every tenth of the symbols.
  static std::function<void(int, int, int64_t)> Progress() {
    const bool terminal = StderrIsTerminal();
    return [terminal](int done, int total, int64_t patterns) {
      const int step = std::max(1, total / 10);
      if (terminal) {
        std::fprintf(stderr, "\rscore: %d/%d symbols, %lld patterns%s", done,
                     total, static_cast<long long>(patterns),
                     done == total ? "\n" : "");
      } else if (done % step == 0 || done == total) {
        std::fprintf(stderr, "score: %d/%d symbols, %lld patterns\n", done,
                     total, static_cast<long long>(patterns));
      }
    };
  }

  std::string models_dir_ = "models/phase5";
  std::string pin_version_;
  ScoreJobOptions options_;
};

PCS_REGISTER_COMMAND(
    ScoreCommand, "score",
    "Store the served model's score and decision for every stored pattern");

}  // namespace
}  // namespace pcs::cli
