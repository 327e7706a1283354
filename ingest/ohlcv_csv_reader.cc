#include "ingest/ohlcv_csv_reader.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;

enum Column {
  kDate,
  kOpen,
  kHigh,
  kLow,
  kClose,
  kAdjClose,
  kVolume,
  kNumColumns
};
constexpr std::array<const char*, kNumColumns> kColumnNames = {
    "Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"};

// Position of each known column in the file, -1 when absent.
struct Header {
  std::array<int, kNumColumns> index;
  int num_fields = 0;
};

absl::string_view Clean(absl::string_view field) {
  field = absl::StripAsciiWhitespace(field);
  if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
    field = absl::StripAsciiWhitespace(field.substr(1, field.size() - 2));
  }
  return field;
}

bool IsEmptyValue(absl::string_view field) {
  return field.empty() || absl::EqualsIgnoreCase(field, "null");
}

int ColumnOf(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "date") return kDate;
  if (n == "open") return kOpen;
  if (n == "high") return kHigh;
  if (n == "low") return kLow;
  if (n == "close") return kClose;
  if (n == "adj close" || n == "adj_close" || n == "adjclose" ||
      n == "adjusted close") {
    return kAdjClose;
  }
  if (n == "volume") return kVolume;
  return -1;
}

absl::StatusOr<Header> ParseHeader(const std::string& path,
                                   absl::string_view line) {
  if (line.find(',') == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a CSV file: line 1 has no commas"));
  }
  Header header;
  header.index.fill(-1);
  const std::vector<absl::string_view> names = absl::StrSplit(line, ',');
  header.num_fields = static_cast<int>(names.size());
  for (int i = 0; i < header.num_fields; ++i) {
    const absl::string_view name = Clean(names[i]);
    const int column = ColumnOf(name);
    if (column < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": unknown column '", name.substr(0, 40),
                       "' in header (expected Date,Open,High,Low,Close[,Adj "
                       "Close],Volume)"));
    }
    if (header.index[column] >= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": column '", name, "' appears twice in header"));
    }
    header.index[column] = i;
  }
  for (int c = 0; c < kNumColumns; ++c) {
    if (c != kAdjClose && header.index[c] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": missing column '", kColumnNames[c],
                       "' in header '", line.substr(0, 80), "'"));
    }
  }
  return header;
}

// Validates and converts one data row. Returns the reject reason ("" when
// the bar is valid) and fills `detail`.
std::string ParseRow(const Header& header, absl::string_view line, Bar& bar,
                     std::string& detail) {
  if (absl::StripAsciiWhitespace(line).empty()) {
    detail = "blank line";
    return "empty_row";
  }
  const std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
  if (static_cast<int>(fields.size()) != header.num_fields) {
    detail = absl::StrCat("expected ", header.num_fields, " fields, found ",
                          fields.size());
    return "wrong_field_count";
  }
  std::array<absl::string_view, kNumColumns> value;
  std::vector<std::string> empty;
  for (int c = 0; c < kNumColumns; ++c) {
    if (header.index[c] < 0) continue;
    value[c] = Clean(fields[header.index[c]]);
    if (IsEmptyValue(value[c])) empty.push_back(kColumnNames[c]);
  }
  const int present = static_cast<int>(std::count_if(
      header.index.begin(), header.index.end(), [](int i) { return i >= 0; }));
  const int num_empty = static_cast<int>(empty.size());
  if (num_empty == present) {
    detail = "all fields empty";
    return "empty_row";
  }
  if (num_empty == present - 1 && !IsEmptyValue(value[kDate])) {
    detail = absl::StrCat("no values for ", value[kDate].substr(0, 40));
    return "empty_row";
  }
  if (!empty.empty()) {
    detail = absl::StrCat("empty field(s): ", absl::StrJoin(empty, ", "));
    return "missing_field";
  }
  auto day = ParseDay(value[kDate]);
  if (!day.ok()) {
    detail = absl::StrCat("Date '", value[kDate].substr(0, 40),
                          "' is not YYYY-MM-DD");
    return "bad_date";
  }
  bar.day = *day;
  std::array<double, kNumColumns> number{};
  for (int c = kOpen; c < kNumColumns; ++c) {
    if (header.index[c] < 0) continue;
    const absl::string_view v = value[c];
    double x = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(x)) {
      detail = absl::StrCat(kColumnNames[c], " '", v.substr(0, 40),
                            "' is not a number");
      return "non_numeric";
    }
    number[c] = x;
  }
  if (header.index[kAdjClose] < 0) number[kAdjClose] = number[kClose];
  for (int c : {kOpen, kHigh, kLow, kClose, kAdjClose}) {
    if (number[c] <= 0) {
      detail =
          absl::StrCat(kColumnNames[c], " is ", number[c], " (must be > 0)");
      return "non_positive_price";
    }
  }
  if (number[kVolume] < 0) {
    detail = absl::StrCat("Volume is ", number[kVolume]);
    return "negative_volume";
  }
  bar.open = number[kOpen];
  bar.high = number[kHigh];
  bar.low = number[kLow];
  bar.close = number[kClose];
  bar.adj_close = number[kAdjClose];
  bar.volume = number[kVolume];
  if (bar.high < bar.low) {
    detail = absl::StrCat("High ", bar.high, " < Low ", bar.low);
    return "high_lt_low";
  }
  const double lo = bar.low * (1 - kOhlcRangeTolerance);
  const double hi = bar.high * (1 + kOhlcRangeTolerance);
  for (int c : {kOpen, kClose}) {
    if (number[c] < lo || number[c] > hi) {
      detail = absl::StrCat(kColumnNames[c], " ", number[c], " outside [Low ",
                            bar.low, ", High ", bar.high, "]");
      return "open_close_outside_range";
    }
  }
  return "";
}

// Splits a stream into '\n'-terminated lines of at most kMaxCsvLineBytes
// (a trailing '\r' is kept; the caller strips it). A longer line is
// consumed in chunks and only its first kMaxCsvLineBytes are kept, so memory
// stays bounded whatever the input.
class LineReader {
 public:
  explicit LineReader(std::istream& in) : in_(in) {}

  // False at the end of the input. `too_long` says the line was cut.
  bool Next(std::string& line, bool& too_long) {
    line.clear();
    too_long = false;
    bool any = false;
    while (true) {
      if (pos_ == len_) {
        if (eof_) return any;
        in_.read(buffer_, sizeof(buffer_));
        len_ = static_cast<size_t>(in_.gcount());
        pos_ = 0;
        if (len_ == 0) {
          eof_ = true;
          return any;
        }
      }
      any = true;
      const char* start = buffer_ + pos_;
      const size_t available = len_ - pos_;
      const void* newline = std::memchr(start, '\n', available);
      const size_t n =
          newline != nullptr
              ? static_cast<size_t>(static_cast<const char*>(newline) - start)
              : available;
      if (std::memchr(start, '\0', n) != nullptr) has_nul_ = true;
      const size_t room =
          kMaxCsvLineBytes - std::min(line.size(), kMaxCsvLineBytes);
      if (n > room) too_long = true;
      line.append(start, std::min(n, room));
      pos_ += n;
      if (newline != nullptr) {
        ++pos_;
        return true;
      }
    }
  }
  bool has_nul() const { return has_nul_; }
  bool bad() const { return in_.bad(); }

 private:
  std::istream& in_;
  char buffer_[1 << 16];
  size_t pos_ = 0;
  size_t len_ = 0;
  bool eof_ = false;
  bool has_nul_ = false;
};

}  // namespace

absl::StatusOr<CsvReadResult> ReadOhlcvCsvStream(
    std::istream& in, const std::string& path,
    std::optional<std::string> symbol) {
  auto reader = std::make_unique<LineReader>(in);
  std::string header_line;
  bool too_long = false;
  int line_number = 1;
  if (!reader->Next(header_line, too_long)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": empty file (no header line)"));
  }
  if (absl::StartsWith(header_line, "\xEF\xBB\xBF"))
    header_line.erase(0, 3);  // BOM
  if (absl::StripAsciiWhitespace(header_line).empty()) {
    // Blank first line: an empty file when every line is blank.
    std::string line;
    bool blank = true;
    bool cut = false;
    while (blank && reader->Next(line, cut))
      blank = absl::StripAsciiWhitespace(line).empty();
    if (blank && !reader->has_nul()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": empty file (no header line)"));
    }
  }
  if (reader->has_nul()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a CSV file (binary content)"));
  }
  if (too_long) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a CSV file: line 1 is longer than ",
                     kMaxCsvLineBytes, " bytes"));
  }
  if (!header_line.empty() && header_line.back() == '\r')
    header_line.pop_back();
  auto header = ParseHeader(path, header_line);
  if (!header.ok()) return header.status();

  CsvReadResult result;
  result.format = header->index[kAdjClose] >= 0 ? "yahoo" : "stooq";
  result.series.symbol =
      symbol.has_value() ? *symbol : fs::path(path).stem().string();
  std::unordered_map<Day, int> line_of_day;  // accepted day -> line number
  std::string line;
  while (reader->Next(line, too_long)) {
    ++line_number;
    ++result.rows_read;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Bar bar;
    std::string detail;
    std::string reason;
    if (too_long) {
      reason = "line_too_long";
      detail = absl::StrCat("line is longer than ", kMaxCsvLineBytes, " bytes");
      line.resize(std::min<size_t>(line.size(), 200));
    } else {
      reason = ParseRow(*header, line, bar, detail);
    }
    if (reason.empty() && (bar.day < kMinCsvDay || bar.day > kMaxCsvDay)) {
      reason = "date_out_of_range";
      detail =
          absl::StrCat("Date ", FormatDay(bar.day), " outside [",
                       FormatDay(kMinCsvDay), ", ", FormatDay(kMaxCsvDay), "]");
    }
    if (reason.empty()) {
      if (auto it = line_of_day.find(bar.day); it != line_of_day.end()) {
        reason = "duplicate_date";
        detail = absl::StrCat(FormatDay(bar.day), " already at line ",
                              it->second, " (first one kept)");
      } else if (!result.series.bars.empty() &&
                 bar.day < result.series.bars.back().day) {
        reason = "date_out_of_order";
        detail = absl::StrCat(FormatDay(bar.day), " comes after ",
                              FormatDay(result.series.bars.back().day));
      }
    }
    if (!reason.empty()) {
      result.rejects.push_back(
          {path, line_number, line, std::move(reason), std::move(detail)});
      continue;
    }
    line_of_day.emplace(bar.day, line_number);
    if (bar.volume == 0) ++result.zero_volume_rows;
    result.series.bars.push_back(bar);
  }
  if (reader->has_nul()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a CSV file (binary content)"));
  }
  if (reader->bad())
    return absl::DataLossError(absl::StrCat(path, ": read error"));
  return result;
}

absl::StatusOr<CsvReadResult> ReadOhlcvCsv(const std::string& path,
                                           std::optional<std::string> symbol) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  if (fs::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
  }
  return ReadOhlcvCsvStream(in, path, std::move(symbol));
}

}  // namespace pcs
