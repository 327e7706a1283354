#include "core/bar.h"

#include <algorithm>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace pcs {
namespace {

// Day 0. absl::CivilDay does the calendar arithmetic (leap years, month
// lengths); a Day is its distance from this date.
constexpr absl::CivilDay kEpoch(1970, 1, 1);

absl::CivilDay CivilOf(Day day) { return kEpoch + day; }

}  // namespace

absl::StatusOr<Day> ParseDay(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("not a YYYY-MM-DD date: '", text, "'"));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  int parts[3] = {0, 0, 0};
  const int starts[3] = {0, 5, 8};
  const int lens[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < lens[p]; ++i) {
      const char c = text[starts[p] + i];
      if (c < '0' || c > '9') return bad();
      parts[p] = parts[p] * 10 + (c - '0');
    }
  }
  // CivilDay normalises (2001-02-30 becomes 2001-03-02): a date that does
  // not come back unchanged does not exist.
  const absl::CivilDay civil(parts[0], parts[1], parts[2]);
  if (civil.year() != parts[0] || civil.month() != parts[1] ||
      civil.day() != parts[2]) {
    return bad();
  }
  return static_cast<Day>(civil - kEpoch);
}

std::string FormatDay(Day day) {
  const absl::CivilDay civil = CivilOf(day);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02d",
                static_cast<long long>(civil.year()), civil.month(),
                civil.day());
  return buf;
}

int YearOf(Day day) { return static_cast<int>(CivilOf(day).year()); }

int BarSeries::IndexOf(Day day) const {
  auto it = std::lower_bound(bars.begin(), bars.end(), day,
                             [](const Bar& b, Day d) { return b.day < d; });
  if (it == bars.end() || it->day != day) return -1;
  return static_cast<int>(it - bars.begin());
}

int BarSeries::IndexAtOrBefore(Day day) const {
  auto it = std::upper_bound(bars.begin(), bars.end(), day,
                             [](Day d, const Bar& b) { return d < b.day; });
  return static_cast<int>(it - bars.begin()) - 1;
}

BarSeries BarSeries::Truncated(int end) const {
  BarSeries out;
  out.symbol = symbol;
  const int n = std::clamp(end, 0, static_cast<int>(bars.size()));
  out.bars.assign(bars.begin(), bars.begin() + n);
  return out;
}

}  // namespace pcs
