#ifndef PCS_DB_PATTERN_REVIEW_STORE_H_
#define PCS_DB_PATTERN_REVIEW_STORE_H_

#include <cstdint>
#include <optional>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bar.h"

namespace pcs {

// One pattern as the review console lists it (pattern_events columns).
struct ReviewRow {
  std::string id;
  std::string symbol;
  std::string pattern_type;
  std::string direction;
  Day confirmation_day = 0;
  std::string lifecycle_state;
  double rule_confidence = 0;
  std::optional<double> ml_confidence;
  std::optional<double> blended_confidence;
  std::optional<std::string> model_version;
  std::optional<std::string> predicted_at;
  std::optional<int> outcome_label;
  std::optional<std::string> exit_reason;
  std::optional<double> realized_pnl;
  std::optional<Day> outcome_resolved_day;
  std::optional<std::string> snapshot_url;
  std::optional<std::string> analyst_decision;
  std::optional<std::string> analyst_reason;
  std::optional<std::string> analyst_identity;
  std::optional<std::string> analyst_at;
};

// Sort orders of the review list; ties broken by id. Wire names (REST
// `order`): ReviewOrderName.
enum class ReviewOrder {
  kConfirmedNewest,  // "confirmed_desc": confirmation_date DESC (default)
  kConfirmedOldest,  // "confirmed_asc": confirmation_date ASC
  kBlendedHighest,   // "blended_desc": coalesce(blended, rule) DESC
  kMlHighest,        // "ml_desc": ml_confidence DESC NULLS LAST
  kScoredNewest,     // "scored_desc": predicted_at DESC NULLS LAST
};
const char* ReviewOrderName(ReviewOrder order);
// False for an unknown name.
bool ParseReviewOrder(const std::string& name, ReviewOrder* order);

// Filters of the review list; all conditions are ANDed.
struct ReviewFilter {
  std::optional<std::string> symbol;
  std::optional<std::string> pattern_type;  // a PatternTypeName
  // "confirm" / "reject": coalesce(blended, rule) >= / < model_threshold.
  std::optional<std::string> decision;
  // true: the model scored it and the ML and rule decisions differ
  // ((ml >= model_threshold) <> (rule >= rule_threshold)); false: they agree.
  std::optional<bool> disagreement;
  std::optional<bool> scored;      // ml_confidence IS [NOT] NULL
  std::optional<bool> overridden;  // analyst_decision IS [NOT] NULL
  std::optional<Day> from;         // confirmation_date >= from
  std::optional<Day> to;           // confirmation_date <= to
  double model_threshold = 0.5;
  double rule_threshold = 0.5;
  ReviewOrder order = ReviewOrder::kConfirmedNewest;
  int offset = 0;
  int limit = 50;
};

struct ReviewPage {
  std::vector<ReviewRow> rows;
  int64_t total = 0;  // rows matching the filter
};

// One lifecycle history row as the console shows it.
struct ReviewHistoryRow {
  int64_t id = 0;
  std::optional<std::string> from_state;
  std::string to_state;
  std::optional<std::string> event_date;
  std::string recorded_at;
  std::string source;
  std::optional<double> rule_confidence;
  std::optional<double> ml_confidence;
  std::optional<double> blended_confidence;
  std::optional<std::string> model_version;
  std::optional<std::string> reason;
};

// Read-only queries behind the REST listing and the analyst review console:
// patterns in ReviewFilter::order (newest confirmation first by default),
// then confirmation_date DESC, id; filtered and paged; and one
// pattern with its lifecycle history.
// Threading: one thread at a time per instance (the borrowed connection).
// Errors: NotFound (Get of an unknown id), Unavailable (connection lost),
// Internal (other SQL errors).
class PatternReviewStore {
 public:
  explicit PatternReviewStore(pqxx::connection& conn) : conn_(conn) {}

  absl::StatusOr<ReviewPage> List(const ReviewFilter& filter);
  absl::StatusOr<ReviewRow> Get(const std::string& id);
  // Oldest first.
  absl::StatusOr<std::vector<ReviewHistoryRow>> History(const std::string& id);

 private:
  pqxx::connection& conn_;
};

}  // namespace pcs

#endif  // PCS_DB_PATTERN_REVIEW_STORE_H_
