#include "lifecycle/pattern.h"

#include <array>
#include <cstdint>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

constexpr std::array<absl::string_view, kNumPatternTypes> kTypeNames = {
    "double_top",
    "double_bottom",
    "head_and_shoulders_top",
    "inverse_head_and_shoulders",
    "ascending_triangle",
    "descending_triangle",
    "symmetrical_triangle",
    "rectangle",
    "bull_flag",
    "bear_flag"};

// FNV-1a 64: stable across platforms and builds (std::hash is not).
uint64_t Fnv1a(absl::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

absl::string_view PatternTypeName(PatternType type) {
  return kTypeNames[static_cast<int>(type)];
}

absl::StatusOr<PatternType> ParsePatternType(absl::string_view name) {
  for (int i = 0; i < kNumPatternTypes; ++i) {
    if (kTypeNames[i] == name) return static_cast<PatternType>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown pattern type '", name, "'"));
}

absl::string_view DirectionName(Direction direction) {
  return direction == Direction::kBullish ? "bullish" : "bearish";
}

absl::StatusOr<Direction> ParseDirection(absl::string_view name) {
  if (name == "bullish") return Direction::kBullish;
  if (name == "bearish") return Direction::kBearish;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown direction '", name, "' (want bullish|bearish)"));
}

std::string Pattern::Id() const {
  const std::string key = absl::StrCat(symbol, "|", PatternTypeName(type), "|",
                                       DirectionName(direction), "|",
                                       formation_start, "|", confirmation_day);
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(Fnv1a(key)));
  return buf;
}

std::optional<double> Pattern::Criterion(absl::string_view name) const {
  for (const auto& [k, v] : rule_criteria) {
    if (k == name) return v;
  }
  return std::nullopt;
}

}  // namespace pcs
