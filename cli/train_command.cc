// `pcs train`: walk-forward evaluation of the pattern-confidence model on
// resolved pattern_events against the rule and the baselines, the gate on
// the pooled out-of-sample figures, a refit on all rows, and publication of
// models/phase5/<version>/ plus reports/phase5/<version>/
// (training/trainer.h holds the logic).

#include <unistd.h>

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
#include "cli/flag_checks.h"
#include "db/database.h"
#include "pipeline/data_preparation.h"
#include "training/labeled_dataset.h"
#include "training/trainer.h"
#include "training/trainer_config.h"

namespace pcs::cli {
namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

absl::Status OverrideDay(const char* flag, const std::string& text, Day& out) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<Day> d = ParseDay(text);
  if (!d.ok())
    return UsageError(absl::StrCat(flag, ": ", d.status().message()));
  out = *d;
  return absl::OkStatus();
}

// Progress on a terminal: one line rewritten in place on stderr.
void TerminalProgress(const std::string& text) {
  std::cerr << "\r\033[K" << text << std::flush;
}

std::string HeadlineTable(const TrainRunResult& r) {
  std::string out =
      "walk-forward pooled out-of-sample precision at matched coverage (95% "
      "CI, "
      "symbol bootstrap):\n";
  out += absl::StrFormat("  %-15s %6s %8s %8s %8s %8s %8s  %s\n", "coverage",
                         "n", "model", "rule", "blend", "type", "analytic",
                         "model lift vs rule");
  for (const CoverageRow& row : r.pooled.coverage) {
    absl::StrAppend(&out, absl::StrFormat("  %-15s %6d", row.name, row.count));
    for (const std::string& s : EvaluationScorerNames()) {
      absl::StrAppend(
          &out,
          absl::StrFormat(" %7.1f%%", 100 * FindScorer(row, s)->precision));
    }
    const ScorerAtCoverage* m = FindScorer(row, "model");
    absl::StrAppend(
        &out, absl::StrFormat("  %+.1f%% [%+.1f%%, %+.1f%%]\n",
                              100 * m->lifts[0].lift, 100 * m->lifts[0].ci.low,
                              100 * m->lifts[0].ci.high));
  }
  return out;
}

class TrainCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--config", config_path_,
                   "Training configuration (JSON; default: config/train.json "
                   "of the source tree the binary was built from)");
    app.add_option("--models-dir", run_.models_dir, "Model registry folder")
        ->capture_default_str();
    app.add_option("--reports-dir", run_.reports_dir, "Reports folder")
        ->capture_default_str();
    app.add_option(
        "--ingest-from", ingest_from_,
        "Before training: ingest this OHLCV folder and run the backfill");
    app.add_option(
           "--test-starts", test_starts_,
           "Walk-forward test period starts (YYYY-MM-DD, comma separated)")
        ->delimiter(',');
    app.add_option("--test-end", test_end_,
                   "Last day of the last test period (YYYY-MM-DD)");
    app.add_option("--validation-years", validation_years_,
                   "Years of validation before each test period")
        ->check(CLI::PositiveNumber);
    app.add_option(
        "--export-folds", run_.export_dir,
        "Also write the walk-forward rows to DIR/folds.csv (research)");
    app.add_option("--bagging-seeds", bagging_seeds_,
                   "Seeds in the bagged ensemble (1: none)")
        ->check(CLI::PositiveNumber);
    app.add_option("--symbols", symbols_,
                   "Only these symbols (comma separated)")
        ->delimiter(',');
    app.add_option("--max-rounds", max_rounds_,
                   "Upper bound on boosting rounds")
        ->check(CLI::PositiveNumber);
    app.add_option("--bootstrap-resamples", resamples_,
                   "Bootstrap resamples for intervals")
        ->check(NonNegativeNumber());
    app.add_option("--version", run_.version,
                   "Model version (default: UTC timestamp)");
    app.add_option("--threads", threads_, "Feature-building threads")
        ->capture_default_str();
    app.add_flag(
        "--shuffle-labels", shuffle_labels_,
        "Control run: train on permuted training labels (never promoted)");
    app.add_flag("--no-shuffle-check", no_shuffle_check_,
                 "Skip the built-in label-shuffle control");
    app.add_option("--experiment", experiment_,
                   "Training-only inputs, comma separated: analytic_feature, "
                   "analytic_base_margin, relative_strength, none (overrides "
                   "the config's experiment section; never promoted)");
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
      std::cout << absl::StrFormat("ingest %.1f s, backfill %.1f s\n",
                                   prep->ingest_seconds,
                                   prep->backfill_seconds);
    }
    const auto t_features = std::chrono::steady_clock::now();
    DatasetLoadOptions load;
    load.conninfo = (*db)->conninfo();
    load.symbols = symbols_;
    load.threads = threads_;
    load.experiment = config->experiment;
    absl::StatusOr<LabeledDataset> ds = LoadLabeledDataset(load);
    if (!ds.ok()) return ds.status();
    const double feature_seconds = Since(t_features);
    std::cout << absl::StrFormat(
        "loaded %d resolved patterns from %d symbols; features built for %d "
        "(%d failed) "
        "in %.1f s\n",
        ds->patterns_loaded, ds->symbols.size(), ds->examples.size(),
        ds->feature_failures.size(), feature_seconds);
    for (size_t i = 0; i < ds->feature_failures.size() && i < 10; ++i) {
      std::cout << "  feature failure: " << ds->feature_failures[i] << "\n";
    }
    // The card is served to readers: no host, user, socket path or secret.
    run_.data_source = PublicDatabaseName((*db)->conninfo());
    run_.reproduce_command = ReproduceCommand();
    if (isatty(STDERR_FILENO)) run_.progress = TerminalProgress;
    const auto t_train = std::chrono::steady_clock::now();
    absl::StatusOr<TrainRunResult> result = TrainModel(*ds, *config, run_);
    if (run_.progress) std::cerr << "\r\033[K" << std::flush;
    if (!result.ok()) return result.status();
    PrintResult(*result, Since(t_train), Since(start));
    return absl::OkStatus();
  }

 private:
  absl::Status ApplyOverrides(TrainerConfig& c) {
    if (!test_starts_.empty()) {
      c.walk_forward.test_starts.clear();
      for (const std::string& t : test_starts_) {
        Day d = 0;
        if (absl::Status s = OverrideDay("--test-starts", t, d); !s.ok())
          return s;
        c.walk_forward.test_starts.push_back(d);
      }
    }
    if (absl::Status s =
            OverrideDay("--test-end", test_end_, c.walk_forward.test_end);
        !s.ok()) {
      return s;
    }
    if (validation_years_ > 0)
      c.walk_forward.validation_years = validation_years_;
    if (bagging_seeds_ > 0) c.bagging_seeds = bagging_seeds_;
    if (absl::Status s = ValidateWalkForwardOptions(c.walk_forward); !s.ok()) {
      return UsageError(std::string(s.message()));
    }
    if (max_rounds_ > 0) c.base.num_boost_round = max_rounds_;
    if (resamples_ >= 0) c.bootstrap_resamples = resamples_;
    c.shuffle_labels = shuffle_labels_;
    if (no_shuffle_check_) c.shuffle_check = false;
    if (!experiment_.empty()) {
      if (absl::Status s = ParseExperimentColumns(experiment_, c.experiment);
          !s.ok()) {
        return UsageError(absl::StrCat("--experiment: ", s.message()));
      }
    }
    return absl::OkStatus();
  }

  std::string ReproduceCommand() const {
    std::string cmd =
        absl::StrCat("pcs train --config ", config_path_, " --models-dir ",
                     run_.models_dir, " --reports-dir ", run_.reports_dir);
    if (!ingest_from_.empty())
      absl::StrAppend(&cmd, " --ingest-from ", ingest_from_);
    if (!symbols_.empty())
      absl::StrAppend(&cmd, " --symbols ", absl::StrJoin(symbols_, ","));
    if (!test_starts_.empty())
      absl::StrAppend(&cmd, " --test-starts ",
                      absl::StrJoin(test_starts_, ","));
    if (!test_end_.empty()) absl::StrAppend(&cmd, " --test-end ", test_end_);
    if (validation_years_ > 0)
      absl::StrAppend(&cmd, " --validation-years ", validation_years_);
    if (bagging_seeds_ > 0)
      absl::StrAppend(&cmd, " --bagging-seeds ", bagging_seeds_);
    if (max_rounds_ > 0) absl::StrAppend(&cmd, " --max-rounds ", max_rounds_);
    if (resamples_ >= 0)
      absl::StrAppend(&cmd, " --bootstrap-resamples ", resamples_);
    if (shuffle_labels_) cmd += " --shuffle-labels";
    if (no_shuffle_check_) cmd += " --no-shuffle-check";
    if (!experiment_.empty())
      absl::StrAppend(&cmd, " --experiment ", experiment_);
    return cmd;
  }

  void PrintResult(const TrainRunResult& r, double train_seconds,
                   double total_seconds) const {
    std::cout << absl::StrFormat(
        "walk-forward: %d folds, %d pooled out-of-sample patterns\n",
        r.folds.size(), r.pooled.rows);
    for (const FoldSummary& f : r.folds) {
      const CoverageRow* row = f.test.Row("30%");
      std::cout << absl::StrFormat(
          "  %s test %s..%s: train %d, validation %d, test %d (purged %d+%d); "
          "chose %s; "
          "AUC %.3f (rule %.3f); lift vs rule at 30%% %+.1f%%\n",
          f.name, f.test_first, f.test_last, f.counts.train,
          f.counts.validation, f.counts.holdout, f.counts.purged_train,
          f.counts.purged_validation, f.chosen, f.test.Scorer("model")->roc_auc,
          f.test.Scorer("rule")->roc_auc,
          row ? 100 * LiftOf(*row, "model", "rule") : 0.0);
    }
    std::cout
        << "levers (pooled lift vs rule at 30%, 95% CI; chosen in N folds):\n";
    for (const LeverSummary& l : r.levers) {
      std::cout << absl::StrFormat(
          "  %-18s %+.1f%% [%+.1f%%, %+.1f%%] AUC %.3f ECE %.4f (%d)\n", l.name,
          100 * l.lift_vs_rule_at_gate, 100 * l.lift_ci.low,
          100 * l.lift_ci.high, l.roc_auc, l.ece, l.folds_chosen);
    }
    std::cout << absl::StrFormat(
        "iso-precision at the rule threshold: rule %d patterns at %.1f%% (%d "
        "TP); model %d at "
        "%.1f%% (%d TP): %+d TP (%+.1f%% [%+.1f%%, %+.1f%%])\n",
        r.iso_precision.rule_count, 100 * r.iso_precision.rule_precision,
        r.iso_precision.rule_true_positives, r.iso_precision.model_count,
        100 * r.iso_precision.model_precision,
        r.iso_precision.model_true_positives,
        r.iso_precision.extra_true_positives,
        100 * r.iso_precision.extra_relative,
        100 * r.iso_precision.extra_relative_ci.low,
        100 * r.iso_precision.extra_relative_ci.high);
    std::cout << absl::StrFormat(
        "served model: %s (%s%s max_depth=%d eta=%g min_child_weight=%g, "
        "trees per member %s), refit on %d rows\n",
        r.chosen, r.selected.objective,
        r.selected.monotone_constraints.empty() ? "" : " monotone",
        r.selected.max_depth, r.selected.eta, r.selected.min_child_weight,
        absl::StrJoin(r.member_rounds, "+"), r.refit_rows);
    std::cout << HeadlineTable(r);
    const ScorerSummary* m = r.pooled.Scorer("model");
    const ScorerSummary* rule = r.pooled.Scorer("rule");
    std::cout << absl::StrFormat(
        "pooled ROC-AUC model %.3f rule %.3f; ECE model %.4f\n", m->roc_auc,
        rule->roc_auc, m->ece);
    if (r.shuffle) {
      std::cout << absl::StrFormat(
          "shuffle check: lift vs rule at 30%% %+.1f%% [%+.1f%%, %+.1f%%], AUC "
          "%.3f -> %s\n",
          100 * r.shuffle->lift_vs_rule_at_30, 100 * r.shuffle->lift_ci.low,
          100 * r.shuffle->lift_ci.high, r.shuffle->roc_auc,
          r.shuffle->lift_vanished ? "vanished" : "DID NOT VANISH");
    }
    std::cout << "gate: " << r.gate.reason << "\n";
    std::cout << "status: " << r.status << "\nmodel: " << r.model_dir
              << " (sha256 " << r.model_sha256 << ")\nreport: " << r.report_dir
              << "\n";
    std::cout << "phase seconds:";
    for (const auto& [phase, seconds] : r.seconds) {
      std::cout << absl::StrFormat(" %s %.1f", phase, seconds);
    }
    std::cout << absl::StrFormat(
        "\ntraining+evaluation %.1f s, total wall time %.1f s\n", train_seconds,
        total_seconds);
  }

  std::string config_path_ = PCS_SOURCE_DIR "/config/train.json";
  TrainRunOptions run_;
  std::string ingest_from_;
  std::vector<std::string> test_starts_;
  std::string test_end_;
  int validation_years_ = 0;  // 0: from the config
  int bagging_seeds_ = 0;     // 0: from the config
  std::vector<std::string> symbols_;
  int max_rounds_ = 0;  // 0: from the config
  int resamples_ = -1;  // -1: from the config
  int threads_ = 2;
  bool shuffle_labels_ = false;
  bool no_shuffle_check_ = false;
  std::string experiment_;  // empty: from the config
};

PCS_REGISTER_COMMAND(
    TrainCommand, "train",
    "Train, evaluate, gate and publish the pattern-confidence model");

}  // namespace
}  // namespace pcs::cli
