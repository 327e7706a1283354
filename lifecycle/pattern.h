#ifndef PCS_LIFECYCLE_PATTERN_H_
#define PCS_LIFECYCLE_PATTERN_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/bar.h"

namespace pcs {

// The chart patterns the rule detectors know. The string names
// (PatternTypeName) are what the database, reports and the gRPC contract use;
// never renumber.
enum class PatternType {
  kDoubleTop = 0,
  kDoubleBottom = 1,
  kHeadAndShouldersTop = 2,
  kInverseHeadAndShoulders = 3,
  kAscendingTriangle = 4,
  kDescendingTriangle = 5,
  kSymmetricalTriangle = 6,
  kRectangle = 7,
  kBullFlag = 8,
  kBearFlag = 9,
};
inline constexpr int kNumPatternTypes = 10;

// +1: the pattern is traded long (breakout up); -1: short (breakout down).
enum class Direction { kBullish = 1, kBearish = -1 };

// "double_top", "double_bottom", "head_and_shoulders_top",
// "inverse_head_and_shoulders", "ascending_triangle", "descending_triangle",
// "symmetrical_triangle", "rectangle", "bull_flag", "bear_flag".
absl::string_view PatternTypeName(PatternType type);
absl::StatusOr<PatternType> ParsePatternType(absl::string_view name);
// "bullish" / "bearish".
absl::string_view DirectionName(Direction direction);
absl::StatusOr<Direction> ParseDirection(absl::string_view name);
inline int Sign(Direction d) { return static_cast<int>(d); }

// One pivot or anchor of the pattern ("left_shoulder", "head", "peak1", ...).
struct KeyPoint {
  std::string role;
  Day day = 0;
  double price = 0;
};

// A pattern as the rule detectors report it at its confirmation bar. Every
// field is computed only from bars up to and including the confirmation bar.
struct Pattern {
  std::string symbol;
  PatternType type = PatternType::kDoubleTop;
  Direction direction = Direction::kBearish;
  Day formation_start = 0;   // first key point
  Day formation_end = 0;     // last key point before the breakout
  Day confirmation_day = 0;  // first close through the breakout level
  std::vector<KeyPoint> key_points;
  double breakout_level = 0;   // neckline / boundary value at confirmation
  double target = 0;           // measured-move target
  double stop = 0;             // invalidation level
  double rule_confidence = 0;  // [0, 1], weighted from rule_criteria
  // Named rule criteria, each scored in [0, 1] ("symmetry", "breakout_volume",
  // "prior_trend", "size_atr", "duration", "breakout_strength", ...). Stored
  // with the event so features and reports see what the rules saw.
  std::vector<std::pair<std::string, double>> rule_criteria;

  // Stable identifier: a hash of symbol, type, direction, formation_start and
  // confirmation_day, so re-running detection yields the same ids.
  std::string Id() const;
  // Value of a named criterion, or nullopt.
  std::optional<double> Criterion(absl::string_view name) const;
};

// Outcome of a confirmed pattern under the triple-barrier rule (see
// lifecycle/outcome_labeler.h).
struct Outcome {
  // 1: target before stop within the horizon; 0: stop or horizon first;
  // nullopt: unresolved (the horizon runs past the last bar).
  std::optional<int> label;
  double realized_pnl = 0;  // (exit - entry) / entry, signed by direction
  double max_drawdown = 0;  // max adverse excursion / entry, >= 0
  int bars_to_outcome = 0;  // bars after confirmation until resolution
  std::optional<Day> resolved_day;
  std::string exit_reason;  // "target", "stop", "horizon", "" (unresolved)
};

}  // namespace pcs

#endif  // PCS_LIFECYCLE_PATTERN_H_
