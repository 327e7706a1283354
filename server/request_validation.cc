#include "server/request_validation.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "db/database_error.h"

namespace pcs {
namespace {

absl::Status Invalid(const std::string& field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::StatusOr<Day> ParseDayField(const std::string& text,
                                  const std::string& field, bool required) {
  if (text.empty()) {
    if (required) return Invalid(field, "is required (YYYY-MM-DD)");
    return Day{0};
  }
  auto day = ParseDay(text);
  if (!day.ok()) {
    return Invalid(field, absl::StrCat(QuoteInput(text), " is not YYYY-MM-DD"));
  }
  if (*day < kMinRequestDay || *day > kMaxRequestDay) {
    return Invalid(field,
                   absl::StrCat(text, " is outside [1900-01-01, 2100-12-31]"));
  }
  return *day;
}

// A price-like number: finite and in [0, kMaxRequestPrice] (0 = not given
// where the field is optional), or (0, kMaxRequestPrice] when `positive`.
absl::Status CheckPrice(double v, const std::string& field, bool positive) {
  const bool ok =
      std::isfinite(v) && (positive ? v > 0 : v >= 0) && v <= kMaxRequestPrice;
  if (ok) return absl::OkStatus();
  return Invalid(
      field, absl::StrCat("must be a finite number in ",
                          positive ? "(0, " : "[0, ", kMaxRequestPrice, "]"));
}

absl::Status CheckName(const std::string& text, const std::string& field,
                       size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Invalid(field, absl::StrCat("is longer than ", max_bytes, " bytes"));
  }
  for (char c : text) {
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) {
      return Invalid(field, "must be printable ASCII");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string QuoteInput(absl::string_view text) {
  std::string out = "'";
  const size_t shown = std::min(text.size(), kMaxEchoedBytes);
  for (size_t i = 0; i < shown; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out.push_back(absl::ascii_isprint(c) ? static_cast<char>(c) : '?');
  }
  out.push_back('\'');
  if (text.size() > shown) {
    absl::StrAppend(&out, "... (", text.size(), " bytes)");
  }
  return out;
}

absl::Status ValidatePatternId(const std::string& id,
                               const std::string& field) {
  if (id.empty()) return Invalid(field, "is required");
  bool hex = id.size() == 16;
  for (char c : id) {
    hex = hex && (absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'));
  }
  if (!hex) {
    return Invalid(field, absl::StrCat(QuoteInput(id),
                                       " is not 16 lowercase hex characters"));
  }
  return absl::OkStatus();
}

absl::Status ValidateTopK(int top_k, const std::string& field) {
  if (top_k < 0 || top_k > 64) {
    return Invalid(field, absl::StrCat(top_k, " is outside [0, 64]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Pattern> PatternFromProto(const v1::PatternSpec& spec) {
  Pattern p;
  if (spec.symbol().empty()) return Invalid("pattern.symbol", "is required");
  if (absl::Status s = CheckName(spec.symbol(), "pattern.symbol", 32);
      !s.ok()) {
    return s;
  }
  p.symbol = spec.symbol();
  auto type = ParsePatternType(spec.pattern_type());
  if (!type.ok()) {
    return Invalid("pattern.pattern_type",
                   absl::StrCat(QuoteInput(spec.pattern_type()),
                                " is not a pattern type"));
  }
  p.type = *type;
  auto direction = ParseDirection(spec.direction());
  if (!direction.ok()) {
    return Invalid("pattern.direction", "must be 'bullish' or 'bearish'");
  }
  p.direction = *direction;
  auto start =
      ParseDayField(spec.formation_start(), "pattern.formation_start", false);
  if (!start.ok()) return start.status();
  auto end =
      ParseDayField(spec.formation_end(), "pattern.formation_end", false);
  if (!end.ok()) return end.status();
  auto confirm = ParseDayField(spec.confirmation_date(),
                               "pattern.confirmation_date", true);
  if (!confirm.ok()) return confirm.status();
  p.formation_start = spec.formation_start().empty() ? *confirm : *start;
  p.formation_end = spec.formation_end().empty() ? *confirm : *end;
  p.confirmation_day = *confirm;
  if (spec.key_points_size() > kMaxKeyPoints) {
    return Invalid("pattern.key_points",
                   absl::StrCat("more than ", kMaxKeyPoints, " key points"));
  }
  for (int i = 0; i < spec.key_points_size(); ++i) {
    const v1::KeyPoint& k = spec.key_points(i);
    const std::string at = absl::StrCat("pattern.key_points[", i, "]");
    auto day = ParseDayField(k.day(), at + ".day", true);
    if (!day.ok()) return day.status();
    if (absl::Status s = CheckName(k.role(), at + ".role", 64); !s.ok())
      return s;
    if (absl::Status s = CheckPrice(k.price(), at + ".price", false); !s.ok()) {
      return s;
    }
    p.key_points.push_back({k.role(), *day, k.price()});
  }
  for (const auto& [value, field] :
       {std::pair{spec.breakout_level(), "pattern.breakout_level"},
        std::pair{spec.target_price(), "pattern.target_price"},
        std::pair{spec.stop_price(), "pattern.stop_price"}}) {
    if (absl::Status s = CheckPrice(value, field, false); !s.ok()) return s;
  }
  p.breakout_level = spec.breakout_level();
  p.target = spec.target_price();
  p.stop = spec.stop_price();
  if (!(spec.rule_confidence() >= 0 && spec.rule_confidence() <= 1)) {
    return Invalid("pattern.rule_confidence",
                   absl::StrCat(spec.rule_confidence(), " is outside [0, 1]"));
  }
  p.rule_confidence = spec.rule_confidence();
  if (spec.rule_criteria_size() > kMaxRuleCriteria) {
    return Invalid("pattern.rule_criteria",
                   absl::StrCat("more than ", kMaxRuleCriteria, " entries"));
  }
  for (const auto& [name, value] : spec.rule_criteria()) {
    if (absl::Status s = CheckName(name, "pattern.rule_criteria key", 64);
        !s.ok()) {
      return s;
    }
    if (!std::isfinite(value) || std::abs(value) > kMaxRequestPrice) {
      return Invalid(
          absl::StrCat("pattern.rule_criteria[", name, "]"),
          absl::StrCat("must be a finite number within +-", kMaxRequestPrice));
    }
    p.rule_criteria.emplace_back(name, value);
  }
  std::sort(p.rule_criteria.begin(), p.rule_criteria.end());
  return p;
}

absl::StatusOr<BarSeries> BarsFromProto(
    const google::protobuf::RepeatedPtrField<v1::Bar>& bars,
    const std::string& symbol, const std::string& field) {
  BarSeries series;
  series.symbol = symbol;
  for (int i = 0; i < bars.size(); ++i) {
    const v1::Bar& b = bars[i];
    std::string at = absl::StrCat(field, "[", i, "]");
    auto day = ParseDayField(b.day(), at + ".day", true);
    if (!day.ok()) return day.status();
    if (!series.bars.empty() && *day <= series.bars.back().day) {
      return Invalid(at + ".day",
                     absl::StrCat(b.day(), " is not after the previous bar"));
    }
    for (const auto& [v, name] :
         {std::pair{b.open(), ".open"}, std::pair{b.high(), ".high"},
          std::pair{b.low(), ".low"}, std::pair{b.close(), ".close"}}) {
      if (absl::Status s = CheckPrice(v, at + name, true); !s.ok()) return s;
    }
    if (absl::Status s = CheckPrice(b.adj_close(), at + ".adj_close", false);
        !s.ok()) {
      return s;
    }
    if (b.high() < b.low()) return Invalid(at, "high < low");
    if (!(std::isfinite(b.volume()) && b.volume() >= 0 &&
          b.volume() <= kMaxRequestVolume)) {
      return Invalid(at + ".volume",
                     absl::StrCat("must be a finite number in [0, ",
                                  kMaxRequestVolume, "]"));
    }
    series.bars.push_back({*day, b.open(), b.high(), b.low(), b.close(),
                           b.adj_close() > 0 ? b.adj_close() : b.close(),
                           b.volume()});
  }
  return series;
}

absl::Status ValidateBatchIds(const v1::ScoreBatchRequest& request) {
  if (request.pattern_ids().empty() ||
      request.pattern_ids_size() > kMaxBatchIds) {
    return absl::InvalidArgumentError(absl::StrCat("pattern_ids: needs 1 to ",
                                                   kMaxBatchIds, " ids, got ",
                                                   request.pattern_ids_size()));
  }
  return ValidateTopK(request.top_k(), "top_k");
}

std::string EchoedId(const std::string& id) {
  return id.size() <= kMaxEchoedBytes ? id : QuoteInput(id);
}

std::string ClientMessage(const absl::Status& status) {
  absl::string_view message = status.message();
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      // These carry what a dependency said (libpq text, socket paths, SQL):
      // the client gets our own context only, the text before the first
      // ": " (e.g. "loading bars of AAPL"); the log keeps the whole message.
      message = message.substr(0, message.find(": "));
      break;
    default:
      // Any database error (db/database_error.h), e.g. ALREADY_EXISTS: our
      // context and what happened, never the libpq text after ": ".
      if (IsDatabaseError(status)) {
        message = message.substr(0, message.find(": "));
      }
      break;
  }
  if (message.size() > kMaxClientMessageBytes) {
    return absl::StrCat(message.substr(0, kMaxClientMessageBytes),
                        "... (truncated)");
  }
  return std::string(message);
}

}  // namespace pcs
