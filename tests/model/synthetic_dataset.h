#ifndef PCS_TESTS_MODEL_SYNTHETIC_DATASET_H_
#define PCS_TESTS_MODEL_SYNTHETIC_DATASET_H_

// Deterministic synthetic binary-classification data for model tests and
// benchmarks: nonlinear signal in a few features, noise features, ~10% NaNs
// in every third feature, and coarse (tied) values in some features so that
// split thresholds coincide with feature values.

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "model/xgboost_booster.h"

namespace pcs::testing {

struct SyntheticDataset {
  DenseMatrix x;
  std::vector<float> y;
};

inline SyntheticDataset MakeSyntheticDataset(int rows, int cols,
                                             uint64_t seed) {
  std::mt19937_64 gen(seed);
  auto uniform = [&gen] {
    return static_cast<double>(gen() >> 11) * 0x1.0p-53;
  };
  auto normal = [&] {
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1 + 1e-300)) *
           std::cos(6.283185307179586 * u2);
  };
  SyntheticDataset d;
  d.x.rows = rows;
  d.x.cols = cols;
  d.x.values.resize(static_cast<size_t>(rows) * cols);
  d.y.resize(rows);
  for (int r = 0; r < rows; ++r) {
    float* row = d.x.values.data() + static_cast<size_t>(r) * cols;
    for (int c = 0; c < cols; ++c) {
      double v = normal();
      if (c % 5 == 4)
        v = std::round(v * 2.0) / 2.0;  // coarse values: many ties
      if (c % 3 == 2 && uniform() < 0.1) v = std::nan("");
      row[c] = static_cast<float>(v);
    }
    auto get = [&](int c) {
      return c < cols && !std::isnan(row[c]) ? row[c] : 0.0f;
    };
    double logit = 1.2 * get(0) - 0.8 * get(1) + 0.6 * get(3) * get(6) +
                   (get(4) > 0.5f ? 0.7 : -0.3) + 0.5 * std::sin(2.0 * get(7)) +
                   (cols > 2 && std::isnan(row[2]) ? 0.8 : 0.3 * get(2));
    double p = 1.0 / (1.0 + std::exp(-logit));
    d.y[r] = uniform() < p ? 1.0f : 0.0f;
  }
  return d;
}

}  // namespace pcs::testing

#endif  // PCS_TESTS_MODEL_SYNTHETIC_DATASET_H_
