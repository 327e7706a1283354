#include "monitoring/pattern_feature_loader.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "db/price_bar_store.h"
#include "features/feature_builder.h"

namespace pcs {

absl::StatusOr<PatternFeatureSet> LoadPatternFeatures(
    DbConnection& conn, const PatternFilter& filter,
    const std::string& market_symbol) {
  PatternEventStore store(conn);
  auto patterns = store.LoadPatterns(filter);
  if (!patterns.ok()) return patterns.status();
  PatternFeatureSet out;
  if (patterns->empty()) return out;

  Day last = patterns->front().pattern.confirmation_day;
  std::map<std::string, Day> last_by_symbol;
  for (const StoredPattern& p : *patterns) {
    last = std::max(last, p.pattern.confirmation_day);
    Day& d = last_by_symbol[p.pattern.symbol];
    d = std::max(d, p.pattern.confirmation_day);
  }
  std::optional<BarSeries> market;
  if (!market_symbol.empty()) {
    auto m = LoadBarSeries(conn, market_symbol, std::nullopt, last);
    if (m.ok()) {
      market = std::move(*m);
    } else if (m.status().code() != absl::StatusCode::kNotFound) {
      return m.status();
    }  // no market bars at all: market features are NaN, as documented
  }
  std::map<std::string, BarSeries> bars;
  for (const auto& [symbol, until] : last_by_symbol) {
    auto s = LoadBarSeries(conn, symbol, std::nullopt, until);
    if (!s.ok() && s.status().code() != absl::StatusCode::kNotFound)
      return s.status();
    bars[symbol] = s.ok() ? std::move(*s) : BarSeries{symbol, {}};
  }

  const FeatureBuilder builder;
  const BarSeries* market_ptr = market ? &*market : nullptr;
  for (const StoredPattern& p : *patterns) {
    auto row = builder.Build(p.pattern, bars[p.pattern.symbol], market_ptr);
    if (!row.ok()) {
      ++out.failures;
      if (out.failure_samples.size() < 10) {
        out.failure_samples.push_back(
            absl::StrCat(p.pattern.Id(), ": ", row.status().message()));
      }
      continue;
    }
    out.ids.push_back(p.pattern.Id());
    out.confirmation_days.push_back(p.pattern.confirmation_day);
    out.rows.push_back(std::move(*row));
  }
  return out;
}

}  // namespace pcs
