#include "training/walk_forward_runner.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "features/feature_builder.h"
#include "training/model_fitting.h"

namespace pcs {

absl::StatusOr<WindowData> MakeWindow(const LabeledDataset& ds,
                                      const WalkForwardWindow& w) {
  std::vector<SplitKey> keys;
  for (const LabeledExample& e : ds.examples) {
    keys.push_back(
        {e.confirmation_day,
         LabelEndDay(e.confirmation_day, e.resolved_day, e.horizon_bars)});
  }
  WindowData d;
  d.window = w;
  const std::vector<SplitPart> parts = AssignSplit(keys, w.split, &d.counts);
  std::vector<const LabeledExample*> rows[3];
  for (size_t i = 0; i < parts.size(); ++i) {
    const int p = static_cast<int>(parts[i]);
    if (p < 3) rows[p].push_back(&ds.examples[i]);
  }
  const char* names[3] = {"train", "validation", "test"};
  for (int p = 0; p < (w.is_test_fold ? 3 : 2); ++p) {
    int pos = 0;
    for (const LabeledExample* r : rows[p]) pos += r->label;
    if (rows[p].empty() || pos == 0 ||
        pos == static_cast<int>(rows[p].size())) {
      return absl::FailedPreconditionError(
          absl::StrCat("walk-forward ", w.name, ": the ", names[p], " rows (",
                       FormatDay(p == 0   ? Day{0}
                                 : p == 1 ? w.validation_start
                                          : w.test_start),
                       "..",
                       FormatDay(p == 0   ? w.split.train_end
                                 : p == 1 ? w.split.valid_end
                                          : w.test_end),
                       ") are ", rows[p].size(), " with ", pos,
                       " positives; both classes are needed (check "
                       "walk_forward and the data)"));
    }
  }
  const int cols = static_cast<int>(FeatureNames(ds).size());
  d.train = MakeSplitData(rows[0], cols);
  d.valid = MakeSplitData(rows[1], cols);
  d.test = MakeSplitData(rows[2], cols);
  d.rates = TypeBaseRates(d.train.rows);
  return d;
}

std::vector<float> Shuffled(std::vector<float> y, uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Fisher-Yates with our own index draws (std::shuffle's algorithm is
  // implementation-defined; this keeps runs identical across toolchains).
  for (size_t i = y.size(); i > 1; --i) std::swap(y[i - 1], y[rng() % i]);
  return y;
}

absl::StatusOr<WindowOutcome> RunWindow(const WindowData& d,
                                        const TrainerConfig& c,
                                        const ProgressFn& progress) {
  WindowOutcome out;
  const std::vector<float> y_train =
      c.shuffle_labels ? Shuffled(d.train.y, c.shuffle_seed) : d.train.y;
  absl::StatusOr<SelectionResult> sel =
      SelectOnValidation(d.train, y_train, d.valid, c, progress);
  if (!sel.ok()) return sel.status();
  out.selection = *std::move(sel);
  if (!d.window.is_test_fold) return out;
  for (const LeverModel& l : out.selection.levers) {
    out.lever_test.push_back(
        ScoreRows(*l.model.ensemble, *l.model.calibrator, d.test.rows)
            .probabilities);
  }
  if (c.shuffle_check && !c.shuffle_labels) {
    if (progress) progress("shuffle check");
    const LeverModel& chosen = out.selection.levers[out.selection.chosen];
    absl::StatusOr<FittedModel> f =
        FitOne(d.train, Shuffled(d.train.y, c.shuffle_seed), d.valid,
               chosen.model.params);
    if (!f.ok()) return f.status();
    out.shuffled_test =
        ScoreRows(*f->ensemble, *f->calibrator, d.test.rows).probabilities;
  }
  return out;
}

absl::StatusOr<std::vector<WindowOutcome>> RunWindows(
    const std::vector<WindowData>& windows, const TrainerConfig& c, int workers,
    const ProgressFn& report) {
  std::vector<absl::StatusOr<WindowOutcome>> results;
  for (size_t i = 0; i < windows.size(); ++i)
    results.emplace_back(absl::UnknownError("not run"));
  std::mutex print_mu;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < windows.size(); i = next++) {
      ProgressFn progress;
      if (report) {
        progress = [&, i](const std::string& step) {
          std::lock_guard<std::mutex> lock(print_mu);
          report(absl::StrCat("walk-forward ", windows[i].window.name, ": ",
                              step));
        };
      }
      results[i] = RunWindow(windows[i], c, progress);
    }
  };
  const int n =
      std::max(1, std::min<int>(workers, static_cast<int>(windows.size())));
  std::vector<std::thread> threads;
  for (int t = 1; t < n; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  std::vector<WindowOutcome> out;
  for (auto& r : results) {
    if (!r.ok()) return r.status();
    out.push_back(*std::move(r));
  }
  return out;
}

EvaluationInput PooledInput(const LabeledDataset& ds,
                            const std::vector<WindowData>& folds,
                            const std::vector<std::vector<double>>& fold_probs,
                            const EvaluationSettings& s) {
  std::unordered_map<const LabeledExample*, std::pair<int, int>> where;
  for (size_t f = 0; f < fold_probs.size(); ++f) {
    for (size_t i = 0; i < folds[f].test.rows.size(); ++i) {
      where[folds[f].test.rows[i]] = {static_cast<int>(f), static_cast<int>(i)};
    }
  }
  EvaluationInput in;
  for (const LabeledExample& e : ds.examples) {
    const auto it = where.find(&e);
    if (it == where.end()) continue;
    const auto [f, i] = it->second;
    const EvaluationInput one =
        BuildEvaluationInput({&e}, {fold_probs[f][i]}, folds[f].rates, s);
    in.ids.push_back(one.ids[0]);
    in.symbols.push_back(one.symbols[0]);
    in.pattern_types.push_back(one.pattern_types[0]);
    in.labels.push_back(one.labels[0]);
    in.model.push_back(one.model[0]);
    in.rule.push_back(one.rule[0]);
    in.type_base_rate.push_back(one.type_base_rate[0]);
    in.analytic.push_back(one.analytic[0]);
  }
  in.blend_weight = s.blend_weight;
  in.rule_threshold = s.rule_threshold;
  in.coverages = s.coverages;
  in.resamples = s.resamples;
  in.seed = s.seed;
  return in;
}

}  // namespace pcs
