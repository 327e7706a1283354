#include "core/bar.h"

#include <algorithm>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days algorithms.
Day DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

void CivilFromDays(Day z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

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
  const int y = parts[0];
  const unsigned m = static_cast<unsigned>(parts[1]);
  const unsigned d = static_cast<unsigned>(parts[2]);
  if (m < 1 || m > 12 || d < 1 || d > 31) return bad();
  const Day day = DaysFromCivil(y, m, d);
  int y2;
  unsigned m2, d2;
  CivilFromDays(day, y2, m2, d2);
  if (y2 != y || m2 != m || d2 != d) return bad();  // e.g. 2001-02-30
  return day;
}

std::string FormatDay(Day day) {
  int y;
  unsigned m, d;
  CivilFromDays(day, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", y, m, d);
  return buf;
}

int YearOf(Day day) {
  int y;
  unsigned m, d;
  CivilFromDays(day, y, m, d);
  return y;
}

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
