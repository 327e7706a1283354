// `pcs train`: fit the pattern-confidence model on resolved pattern_events,
// evaluate it on the holdout against the rule and two baselines, gate it and
// publish models/phase5/<version>/ plus reports/phase5/<version>/
// (training/trainer.h holds the logic).

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "pipeline/data_preparation.h"
#include "training/labeled_dataset.h"
#include "training/trainer.h"
#include "training/trainer_config.h"

namespace pcs::cli {
namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

absl::Status OverrideDay(const char* flag, const std::string& text, Day& out) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<Day> d = ParseDay(text);
  if (!d.ok()) return UsageError(absl::StrCat(flag, ": ", d.status().message()));
  out = *d;
  return absl::OkStatus();
}

std::string HeadlineTable(const TrainRunResult& r) {
  std::string out = "holdout precision at matched coverage (95% CI, symbol bootstrap):\n";
  out += absl::StrFormat("  %-15s %6s %8s %8s %8s %8s %8s  %s\n", "coverage", "n", "model",
                         "rule", "blend", "type", "analytic", "model lift vs rule");
  for (const CoverageRow& row : r.holdout.coverage) {
    absl::StrAppend(&out, absl::StrFormat("  %-15s %6d", row.name, row.count));
    for (const std::string& s : EvaluationScorerNames()) {
      absl::StrAppend(&out, absl::StrFormat(" %7.1f%%", 100 * FindScorer(row, s)->precision));
    }
    const ScorerAtCoverage* m = FindScorer(row, "model");
    absl::StrAppend(&out, absl::StrFormat("  %+.1f%% [%+.1f%%, %+.1f%%]\n",
                                          100 * m->lifts[0].lift, 100 * m->lifts[0].ci.low,
                                          100 * m->lifts[0].ci.high));
  }
  return out;
}

class TrainCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--config", config_path_, "Training configuration (JSON)")
        ->capture_default_str();
    app.add_option("--models-dir", run_.models_dir, "Model registry folder")
        ->capture_default_str();
    app.add_option("--reports-dir", run_.reports_dir, "Reports folder")->capture_default_str();
    app.add_option("--ingest-from", ingest_from_,
                   "Before training: ingest this OHLCV folder and run the backfill");
    app.add_option("--train-end", train_end_, "Last training confirmation date (YYYY-MM-DD)");
    app.add_option("--valid-end", valid_end_, "Last validation confirmation date");
    app.add_option("--holdout-end", holdout_end_, "Last holdout confirmation date");
    app.add_option("--symbols", symbols_, "Only these symbols (comma separated)")
        ->delimiter(',');
    app.add_option("--max-rounds", max_rounds_, "Upper bound on boosting rounds")
        ->check(CLI::PositiveNumber);
    app.add_option("--bootstrap-resamples", resamples_, "Bootstrap resamples for intervals")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--version", run_.version, "Model version (default: UTC timestamp)");
    app.add_option("--threads", threads_, "Feature-building threads")->capture_default_str();
    app.add_flag("--shuffle-labels", shuffle_labels_,
                 "Control run: train on permuted training labels (never promoted)");
    app.add_flag("--no-shuffle-check", no_shuffle_check_,
                 "Skip the built-in label-shuffle control");
  }

  absl::Status Run(const GlobalFlags& flags) override {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<TrainerConfig> config = LoadTrainerConfig(config_path_);
    if (!config.ok()) return config.status();
    if (absl::Status s = ApplyOverrides(*config); !s.ok()) return s;
    auto db = OpenMigratedDatabase(flags);
    if (!db.ok()) return db.status();
    if (!ingest_from_.empty()) {
      PreparationOptions p;
      p.conninfo = (*db)->conninfo();
      p.folder = ingest_from_;
      p.symbols = symbols_;
      absl::StatusOr<PreparationSummary> prep = PrepareDatabase(p);
      if (!prep.ok()) return prep.status();
      std::cout << prep->ingest_text << prep->backfill_text;
      std::cout << absl::StrFormat("ingest %.1f s, backfill %.1f s\n", prep->ingest_seconds,
                                   prep->backfill_seconds);
    }
    const auto t_features = std::chrono::steady_clock::now();
    DatasetLoadOptions load;
    load.conninfo = (*db)->conninfo();
    load.symbols = symbols_;
    load.threads = threads_;
    absl::StatusOr<LabeledDataset> ds = LoadLabeledDataset(load);
    if (!ds.ok()) return ds.status();
    const double feature_seconds = Since(t_features);
    std::cout << absl::StrFormat(
        "loaded %d resolved patterns from %d symbols; features built for %d (%d failed) "
        "in %.1f s\n",
        ds->patterns_loaded, ds->symbols.size(), ds->examples.size(),
        ds->feature_failures.size(), feature_seconds);
    for (size_t i = 0; i < ds->feature_failures.size() && i < 10; ++i) {
      std::cout << "  feature failure: " << ds->feature_failures[i] << "\n";
    }
    run_.data_source = (*db)->Describe();
    run_.reproduce_command = ReproduceCommand();
    const auto t_train = std::chrono::steady_clock::now();
    absl::StatusOr<TrainRunResult> result = TrainModel(*ds, *config, run_);
    if (!result.ok()) return result.status();
    PrintResult(*result, Since(t_train), Since(start));
    return absl::OkStatus();
  }

 private:
  absl::Status ApplyOverrides(TrainerConfig& c) {
    if (absl::Status s = OverrideDay("--train-end", train_end_, c.split.train_end); !s.ok()) return s;
    if (absl::Status s = OverrideDay("--valid-end", valid_end_, c.split.valid_end); !s.ok()) return s;
    if (absl::Status s = OverrideDay("--holdout-end", holdout_end_, c.split.holdout_end); !s.ok()) {
      return s;
    }
    if (absl::Status s = ValidateSplitOptions(c.split); !s.ok()) return UsageError(std::string(s.message()));
    if (max_rounds_ > 0) c.base.num_boost_round = max_rounds_;
    if (resamples_ >= 0) c.bootstrap_resamples = resamples_;
    c.shuffle_labels = shuffle_labels_;
    if (no_shuffle_check_) c.shuffle_check = false;
    return absl::OkStatus();
  }

  std::string ReproduceCommand() const {
    std::string cmd = absl::StrCat("pcs train --config ", config_path_, " --models-dir ",
                                   run_.models_dir, " --reports-dir ", run_.reports_dir);
    if (!ingest_from_.empty()) absl::StrAppend(&cmd, " --ingest-from ", ingest_from_);
    if (!symbols_.empty()) absl::StrAppend(&cmd, " --symbols ", absl::StrJoin(symbols_, ","));
    for (auto [flag, value] : {std::pair{" --train-end ", train_end_},
                               std::pair{" --valid-end ", valid_end_},
                               std::pair{" --holdout-end ", holdout_end_}}) {
      if (!value.empty()) absl::StrAppend(&cmd, flag, value);
    }
    if (max_rounds_ > 0) absl::StrAppend(&cmd, " --max-rounds ", max_rounds_);
    if (resamples_ >= 0) absl::StrAppend(&cmd, " --bootstrap-resamples ", resamples_);
    if (shuffle_labels_) cmd += " --shuffle-labels";
    if (no_shuffle_check_) cmd += " --no-shuffle-check";
    return cmd;
  }

  void PrintResult(const TrainRunResult& r, double train_seconds, double total_seconds) const {
    std::cout << absl::StrFormat(
        "split: train %d, validation %d, holdout %d (purged %d train + %d validation, "
        "%d after the holdout)\n",
        r.counts.train, r.counts.validation, r.counts.holdout, r.counts.purged_train,
        r.counts.purged_validation, r.counts.out_of_range);
    std::cout << absl::StrFormat("selected max_depth=%d eta=%g min_child_weight=%g, best "
                                 "iteration %d\n",
                                 r.selected.max_depth, r.selected.eta,
                                 r.selected.min_child_weight, r.best_iteration);
    std::cout << HeadlineTable(r);
    const ScorerSummary* m = r.holdout.Scorer("model");
    const ScorerSummary* rule = r.holdout.Scorer("rule");
    std::cout << absl::StrFormat("holdout ROC-AUC model %.3f rule %.3f; ECE model %.4f\n",
                                 m->roc_auc, rule->roc_auc, m->ece);
    if (r.shuffle) {
      std::cout << absl::StrFormat(
          "shuffle check: lift vs rule at 30%% %+.1f%% [%+.1f%%, %+.1f%%], AUC %.3f -> %s\n",
          100 * r.shuffle->lift_vs_rule_at_30, 100 * r.shuffle->lift_ci.low,
          100 * r.shuffle->lift_ci.high, r.shuffle->roc_auc,
          r.shuffle->lift_vanished ? "vanished" : "DID NOT VANISH");
    }
    std::cout << "gate: " << r.gate.reason << "\n";
    std::cout << "status: " << r.status << "\nmodel: " << r.model_dir
              << " (sha256 " << r.model_sha256 << ")\nreport: " << r.report_dir << "\n";
    std::cout << "phase seconds:";
    for (const auto& [phase, seconds] : r.seconds) {
      std::cout << absl::StrFormat(" %s %.1f", phase, seconds);
    }
    std::cout << absl::StrFormat("\ntraining+evaluation %.1f s, total wall time %.1f s\n",
                                 train_seconds, total_seconds);
  }

  std::string config_path_ = PCS_SOURCE_DIR "/config/train.json";
  TrainRunOptions run_;
  std::string ingest_from_;
  std::string train_end_, valid_end_, holdout_end_;
  std::vector<std::string> symbols_;
  int max_rounds_ = 0;   // 0: from the config
  int resamples_ = -1;   // -1: from the config
  int threads_ = 2;
  bool shuffle_labels_ = false;
  bool no_shuffle_check_ = false;
};

PCS_REGISTER_COMMAND(TrainCommand, "train",
                     "Train, evaluate, gate and publish the pattern-confidence model");

}  // namespace
}  // namespace pcs::cli
