// Latency of one FeatureBuilder::Build on real data (AAPL with DIA as the
// market), cycling over ~600 confirmation days so caches see realistic
// variety. Data folder: $PCS_DATA_DIR, else <repo>/../shared/data/ohlcv.
//
//   build-<name>/bench/feature_bench --benchmark_min_time=2

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "features/feature_builder.h"

namespace pcs {
namespace {

std::string DataDir() {
  if (const char* env = std::getenv("PCS_DATA_DIR"); env && *env) return env;
  return std::string(PCS_SOURCE_DIR) + "/../shared/data/ohlcv";
}

// A deliberately small reader for the Yahoo layout (Date,Open,High,Low,Close,
// Adj Close,Volume): the bench must not depend on ingest/. Rows that do not
// parse or break day order are skipped and counted (the real validation is
// ingest/ohlcv_csv_reader.h).
BarSeries LoadCsv(const std::string& symbol) {
  BarSeries s;
  s.symbol = symbol;
  const std::string path = DataDir() + "/" + symbol + ".csv";
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s (set PCS_DATA_DIR)\n", path.c_str());
    std::exit(1);
  }
  std::string line;
  std::getline(in, line);  // header
  int skipped = 0;
  while (std::getline(in, line)) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ',');
    Bar b;
    absl::StatusOr<Day> day =
        f.size() == 7 ? ParseDay(f[0]) : absl::StatusOr<Day>(-1);
    if (f.size() != 7 || !day.ok() || !absl::SimpleAtod(f[1], &b.open) ||
        !absl::SimpleAtod(f[2], &b.high) || !absl::SimpleAtod(f[3], &b.low) ||
        !absl::SimpleAtod(f[4], &b.close) ||
        !absl::SimpleAtod(f[5], &b.adj_close) ||
        !absl::SimpleAtod(f[6], &b.volume) ||
        (!s.bars.empty() && *day <= s.bars.back().day)) {
      ++skipped;
      continue;
    }
    b.day = *day;
    s.bars.push_back(b);
  }
  std::fprintf(stderr, "%s: %zu bars, %d rows skipped\n", symbol.c_str(),
               s.bars.size(), skipped);
  return s;
}

// Double-bottom shaped patterns (key points taken from real bars) confirmed
// on every 5th bar from bar 400 on: the builder's cost does not depend on
// whether a detector would have found them.
std::vector<Pattern> MakePatterns(const BarSeries& s) {
  std::vector<Pattern> out;
  for (size_t t = 400; t < s.bars.size(); t += 5) {
    const Bar& a = s.bars[t - 60];
    const Bar& b = s.bars[t - 35];
    const Bar& c = s.bars[t - 10];
    Pattern p;
    p.symbol = s.symbol;
    p.type = PatternType::kDoubleBottom;
    p.direction = Direction::kBullish;
    p.key_points = {{"trough1", a.day, a.low},
                    {"peak", b.day, b.high},
                    {"trough2", c.day, c.low}};
    p.formation_start = a.day;
    p.formation_end = c.day;
    p.confirmation_day = s.bars[t].day;
    p.breakout_level = b.high;
    p.target = 2 * b.high - std::min(a.low, c.low);
    p.stop = std::min(a.low, c.low);
    p.rule_confidence = 0.6;
    p.rule_criteria = {{"symmetry", 0.7},    {"breakout_volume", 0.5},
                       {"prior_trend", 0.4}, {"size_atr", 0.8},
                       {"duration", 0.6},    {"breakout_strength", 0.5},
                       {"reward_risk", 0.7}, {"valley_depth", 0.5}};
    out.push_back(std::move(p));
  }
  return out;
}

struct Fixture {
  BarSeries bars = LoadCsv("AAPL");
  BarSeries dia = LoadCsv("DIA");
  std::vector<Pattern> patterns = MakePatterns(bars);
};

const Fixture& GetFixture() {
  static const Fixture* const fixture = new Fixture();
  return *fixture;
}

void BM_BuildWithMarket(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const FeatureBuilder builder;
  size_t i = 0;
  for (auto _ : state) {
    auto row = builder.Build(f.patterns[i], f.bars, &f.dia);
    if (!row.ok())
      state.SkipWithError(std::string(row.status().message()).c_str());
    benchmark::DoNotOptimize(row);
    if (++i == f.patterns.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["features"] =
      static_cast<double>(FeatureBuilder::Schema().names.size());
}
BENCHMARK(BM_BuildWithMarket);

void BM_BuildNoMarket(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const FeatureBuilder builder;
  size_t i = 0;
  for (auto _ : state) {
    auto row = builder.Build(f.patterns[i], f.bars, nullptr);
    benchmark::DoNotOptimize(row);
    if (++i == f.patterns.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildNoMarket);

}  // namespace
}  // namespace pcs

BENCHMARK_MAIN();
