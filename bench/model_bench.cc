// Single-row inference latency: XGBoost C API vs TreeEnsemble, margins and
// TreeSHAP contributions, on a realistic model (140 trees, depth 4, 60
// features with NaNs) trained in the set-up. Besides Google Benchmark's mean
// time, each benchmark reports per-call p50/p99 in microseconds (counters
// p50_us, p99_us), measured with steady_clock around every call.
//
//   ./build/bench/model_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "model/tree_ensemble.h"
#include "model/xgboost_booster.h"
#include "tests/model/synthetic_dataset.h"

namespace pcs {
namespace {

constexpr int kFeatures = 60;
constexpr int kRows = 2000;  // distinct rows cycled through by the benchmarks

struct Fixture {
  std::unique_ptr<XGBoostBooster> booster;
  std::unique_ptr<TreeEnsemble> ensemble;
  pcs::testing::SyntheticDataset data;
};
// Freed explicitly at the end of main (never during static destruction).
Fixture* fixture = nullptr;

Fixture& GetFixture() {
  if (fixture != nullptr) return *fixture;
  fixture = new Fixture;
  auto train = pcs::testing::MakeSyntheticDataset(8000, kFeatures, 101);
  TrainParams params;
  params.max_depth = 4;
  params.num_boost_round = 140;
  auto booster = XGBoostBooster::Train(train.x, train.y, nullptr, nullptr,
                                       params, nullptr);
  if (!booster.ok()) {
    std::fprintf(stderr, "training failed: %s\n",
                 booster.status().ToString().c_str());
    std::exit(1);
  }
  fixture->booster = std::move(*booster);
  auto ensemble =
      TreeEnsemble::FromXGBoostJson(*fixture->booster->SaveModelToJson());
  if (!ensemble.ok()) {
    std::fprintf(stderr, "TreeEnsemble failed: %s\n",
                 ensemble.status().ToString().c_str());
    std::exit(1);
  }
  fixture->ensemble = std::make_unique<TreeEnsemble>(std::move(*ensemble));
  fixture->data = pcs::testing::MakeSyntheticDataset(kRows, kFeatures, 202);
  if (!fixture->booster->SetNumThreads(1).ok()) std::exit(1);
  std::fprintf(stderr, "model: %d trees, max depth %d, %d features\n",
               fixture->ensemble->num_trees(), fixture->ensemble->max_depth(),
               kFeatures);
  return *fixture;
}

// Runs `call(row)` once per iteration over cycling rows, timing each call.
template <typename Call>
void TimedLoop(benchmark::State& state, Call call) {
  std::vector<double> micros;
  micros.reserve(1 << 20);
  int row = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    call(row);
    const auto end = std::chrono::steady_clock::now();
    if (micros.size() < micros.capacity()) {
      micros.push_back(
          std::chrono::duration<double, std::micro>(end - start).count());
    }
    row = row + 1 == kRows ? 0 : row + 1;
  }
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[micros.size() * 99 / 100];
}

void BM_XGBoostPredictFromDense(benchmark::State& state) {
  Fixture& f = GetFixture();
  TimedLoop(state, [&](int row) {
    auto margin =
        f.booster->PredictMarginInplace(f.data.x.Row(row), 1, kFeatures, 1);
    benchmark::DoNotOptimize(margin);
  });
}
BENCHMARK(BM_XGBoostPredictFromDense);

void BM_XGBoostContributionsOneRowDMatrix(benchmark::State& state) {
  Fixture& f = GetFixture();
  DenseMatrix one{1, kFeatures, std::vector<float>(kFeatures)};
  TimedLoop(state, [&](int row) {
    std::copy(f.data.x.Row(row), f.data.x.Row(row) + kFeatures,
              one.values.begin());
    auto contributions = f.booster->PredictContributions(one);
    benchmark::DoNotOptimize(contributions);
  });
}
BENCHMARK(BM_XGBoostContributionsOneRowDMatrix);

void BM_TreeEnsemblePredictMargin(benchmark::State& state) {
  Fixture& f = GetFixture();
  TimedLoop(state, [&](int row) {
    double margin = f.ensemble->PredictMargin(f.data.x.Row(row));
    benchmark::DoNotOptimize(margin);
  });
}
BENCHMARK(BM_TreeEnsemblePredictMargin);

void BM_TreeEnsembleContributions(benchmark::State& state) {
  Fixture& f = GetFixture();
  std::vector<double> out(kFeatures + 1);
  TimedLoop(state, [&](int row) {
    double margin = f.ensemble->Contributions(f.data.x.Row(row), out.data());
    benchmark::DoNotOptimize(margin);
    benchmark::DoNotOptimize(out.data());
  });
}
BENCHMARK(BM_TreeEnsembleContributions);

}  // namespace
}  // namespace pcs

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  delete pcs::fixture;  // free the XGBoost booster before main returns
  pcs::fixture = nullptr;
  return 0;
}
