#include "training/labeled_dataset.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "db/database.h"
#include "db/pattern_event_store.h"
#include "db/price_bar_store.h"
#include "features/feature_builder.h"
#include "training/analytic_baseline.h"

namespace pcs {
namespace {

struct SymbolWork {
  std::string symbol;
  std::vector<const StoredPattern*> patterns;
};

struct SymbolResult {
  std::vector<LabeledExample> examples;
  std::vector<std::string> failures;
  absl::Status status;
};

SymbolResult BuildSymbol(DbConnection& conn, const SymbolWork& work,
                         const BarSeries* market,
                         const DatasetLoadOptions& options) {
  SymbolResult out;
  absl::StatusOr<BarSeries> bars = LoadBarSeries(conn, work.symbol);
  if (!bars.ok()) {
    out.status = absl::Status(bars.status().code(),
                              absl::StrCat("loading bars of ", work.symbol,
                                           ": ", bars.status().message()));
    return out;
  }
  const FeatureBuilder builder;
  for (const StoredPattern* sp : work.patterns) {
    const Pattern& p = sp->pattern;
    absl::StatusOr<std::vector<float>> f = builder.Build(p, *bars, market);
    const int index = bars->IndexOf(p.confirmation_day);
    if (!f.ok() || index < 0) {
      out.failures.push_back(absl::StrCat(
          p.Id(), " (", p.symbol,
          "): ", f.ok() ? "no confirmation bar" : f.status().message()));
      continue;
    }
    LabeledExample e;
    e.id = p.Id();
    e.symbol = p.symbol;
    e.pattern_type = std::string(PatternTypeName(p.type));
    e.confirmation_day = p.confirmation_day;
    e.resolved_day = sp->outcome.resolved_day.value_or(-1);
    e.horizon_bars = sp->outcome_horizon_bars.value_or(40);
    e.label = *sp->outcome.label;
    e.rule_confidence = p.rule_confidence;
    e.realized_pnl = sp->outcome.realized_pnl;
    const double entry = bars->bars[index].close;
    const double risk = entry > 0 ? std::abs(entry - p.stop) / entry : 0;
    e.r_multiple = risk > 0 ? e.realized_pnl / risk : std::nan("");
    e.analytic_probability = AnalyticHitProbability(
        p, *bars, index, e.horizon_bars, options.volatility_window);
    e.features = *std::move(f);
    if (options.experiment.Any()) {
      const std::vector<float> extra = ExperimentColumnValues(
          options.experiment, p, *bars, index, market, e.analytic_probability);
      e.features.insert(e.features.end(), extra.begin(), extra.end());
      if (options.experiment.analytic_base_margin)
        e.margin_offset = AnalyticBaseMargin(e.analytic_probability);
    }
    out.examples.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::vector<std::string> FeatureNames(const LabeledDataset& ds) {
  std::vector<std::string> names = FeatureBuilder::Schema().names;
  names.insert(names.end(), ds.experiment_columns.begin(),
               ds.experiment_columns.end());
  return names;
}

absl::StatusOr<LabeledDataset> LoadLabeledDataset(
    const DatasetLoadOptions& options) {
  std::vector<StoredPattern> stored;
  std::unique_ptr<BarSeries> market;
  absl::StatusOr<std::unique_ptr<DbConnection>> connected =
      Database::ConnectTo(options.conninfo);
  if (!connected.ok()) return connected.status();
  DbConnection& conn = **connected;
  PatternEventStore store(conn);
  PatternFilter filter;
  filter.resolved_only = true;
  filter.symbols = options.symbols;
  filter.from = options.from;
  filter.to = options.to;
  absl::StatusOr<std::vector<StoredPattern>> loaded =
      store.LoadPatterns(filter);
  if (!loaded.ok()) return loaded.status();
  stored = *std::move(loaded);
  if (!options.market_symbol.empty()) {
    absl::StatusOr<BarSeries> m = LoadBarSeries(conn, options.market_symbol);
    if (m.ok() && !m->bars.empty())
      market = std::make_unique<BarSeries>(*std::move(m));
  }
  LabeledDataset ds;
  ds.experiment_columns = ExperimentColumnNames(options.experiment);
  ds.patterns_loaded = static_cast<int>(stored.size());
  ds.market_available = market != nullptr;

  std::map<std::string, SymbolWork> by_symbol;
  for (const StoredPattern& sp : stored) {
    if (!sp.outcome.label.has_value())
      continue;  // resolved_only guarantees a label
    SymbolWork& w = by_symbol[sp.pattern.symbol];
    w.symbol = sp.pattern.symbol;
    w.patterns.push_back(&sp);
  }
  std::vector<const SymbolWork*> work;
  for (const auto& [symbol, w] : by_symbol) work.push_back(&w);
  std::vector<SymbolResult> results(work.size());
  std::atomic<size_t> next{0};
  std::vector<absl::Status> thread_errors(std::max(1, options.threads));
  auto worker = [&](int t) {
    absl::StatusOr<std::unique_ptr<DbConnection>> conn =
        Database::ConnectTo(options.conninfo);
    if (!conn.ok()) {
      thread_errors[t] = conn.status();
      return;
    }
    for (size_t i = next++; i < work.size(); i = next++) {
      results[i] = BuildSymbol(**conn, *work[i], market.get(), options);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, options.threads); ++t)
    threads.emplace_back(worker, t);
  for (std::thread& th : threads) th.join();
  for (const absl::Status& s : thread_errors) {
    if (!s.ok()) return s;
  }
  for (SymbolResult& r : results) {
    if (!r.status.ok()) return r.status;
    for (LabeledExample& e : r.examples) ds.examples.push_back(std::move(e));
    for (std::string& f : r.failures)
      ds.feature_failures.push_back(std::move(f));
  }
  std::sort(ds.examples.begin(), ds.examples.end(),
            [](const LabeledExample& a, const LabeledExample& b) {
              return a.id < b.id;
            });
  std::sort(ds.feature_failures.begin(), ds.feature_failures.end());
  for (const LabeledExample& e : ds.examples) {
    ++ds.rows_by_type[e.pattern_type];
    if (ds.symbols.empty() || ds.symbols.back() != e.symbol)
      ds.symbols.push_back(e.symbol);
  }
  std::sort(ds.symbols.begin(), ds.symbols.end());
  ds.symbols.erase(std::unique(ds.symbols.begin(), ds.symbols.end()),
                   ds.symbols.end());
  return ds;
}

}  // namespace pcs
