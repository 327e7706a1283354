#ifndef PCS_TESTS_TEST_UTIL_BARS_H_
#define PCS_TESTS_TEST_UTIL_BARS_H_

#include "core/bar.h"

namespace pcs::testing {

// A bar with the given prices (adj_close = close) and volume, day unset: for
// indicator tests that need only the price columns.
inline Bar MakeBar(double open, double high, double low, double close,
                   double volume = 1000) {
  Bar b;
  b.open = open;
  b.high = high;
  b.low = low;
  b.close = close;
  b.adj_close = close;
  b.volume = volume;
  return b;
}

}  // namespace pcs::testing

#endif  // PCS_TESTS_TEST_UTIL_BARS_H_
