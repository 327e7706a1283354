#ifndef PCS_TESTS_TEST_UTIL_SHARED_DATA_H_
#define PCS_TESTS_TEST_UTIL_SHARED_DATA_H_

#include <cstdlib>
#include <string>

namespace pcs::testing {

// Folder of the shared real OHLCV CSVs: $PCS_DATA_DIR when set, otherwise
// ../shared/data/ohlcv next to the repository (where CI lays shared/).
inline std::string SharedOhlcvDir() {
  if (const char* env = std::getenv("PCS_DATA_DIR"); env && *env) return env;
  return std::string(PCS_SOURCE_DIR) + "/../shared/data/ohlcv";
}

inline std::string SharedOhlcvFile(const std::string& symbol) {
  return SharedOhlcvDir() + "/" + symbol + ".csv";
}

}  // namespace pcs::testing

#endif  // PCS_TESTS_TEST_UTIL_SHARED_DATA_H_
