#ifndef PCS_MONITORING_PATTERN_FEATURE_LOADER_H_
#define PCS_MONITORING_PATTERN_FEATURE_LOADER_H_

// Feature rows (features/feature_builder.h) of the patterns stored in
// pattern_events that match a filter, computed from price_bars exactly as
// training and serving compute them (same builder, same market proxy).
//
// Bars are loaded once per symbol up to the latest confirmation day needed
// (features read only bars up to each pattern's confirmation day). A pattern
// whose features cannot be built (e.g. its confirmation bar is missing) is
// not dropped silently: it is counted in `failures` with the first few
// messages kept.
//
// Threading: uses the caller's connection, one thread at a time.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "db/database.h"
#include "db/pattern_event_store.h"

namespace pcs {

struct PatternFeatureSet {
  std::vector<std::string> ids;  // pattern ids, (confirmation_date, id) order
  std::vector<Day> confirmation_days;
  std::vector<std::vector<float>> rows;  // one per id
  int failures = 0;
  std::vector<std::string> failure_samples;  // up to 10 "id: message"
};

absl::StatusOr<PatternFeatureSet> LoadPatternFeatures(
    DbConnection& conn, const PatternFilter& filter,
    const std::string& market_symbol = "DIA");

}  // namespace pcs

#endif  // PCS_MONITORING_PATTERN_FEATURE_LOADER_H_
