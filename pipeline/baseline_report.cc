#include "pipeline/baseline_report.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "db/database.h"
#include "db/pattern_event_store.h"
#include "db/price_bar_store.h"

namespace pcs {
namespace {

// Running sums of one group; turned into a BaselineGroup at the end.
struct Accumulator {
  int64_t count = 0, resolved = 0, target = 0, stop = 0, horizon = 0;
  double pnl = 0, drawdown = 0;
  int64_t bk_measured = 0, bk_open = 0, bk_target = 0, bk_any = 0, bk_fail = 0;
  double bk_move = 0;
  int64_t rw_n = 0;
  double rw_odds = 0;

  void Add(const StoredPattern& s, const BulkowskiOutcome& bk,
           std::optional<double> random_walk_odds) {
    ++count;
    if (random_walk_odds) {
      ++rw_n;
      rw_odds += *random_walk_odds;
    }
    if (s.outcome.label) {
      ++resolved;
      if (*s.outcome.label == 1) ++target;
      if (s.outcome.exit_reason == "stop") ++stop;
      if (s.outcome.exit_reason == "horizon") ++horizon;
      pnl += s.outcome.realized_pnl;
      drawdown += s.outcome.max_drawdown;
    }
    if (bk.valid) {
      ++bk_measured;
      bk_open += bk.trend_open;
      bk_target += bk.target_before_reversal;
      bk_any += bk.target_any_time;
      bk_fail += bk.failure;
      bk_move += bk.ultimate_move;
    }
  }

  BaselineGroup Finish(std::string type, std::string direction) const {
    auto ratio = [](double a, int64_t b) { return b == 0 ? 0.0 : a / b; };
    BaselineGroup g;
    g.pattern_type = std::move(type);
    g.direction = std::move(direction);
    g.count = count;
    g.resolved = resolved;
    g.target_hits = target;
    g.stop_exits = stop;
    g.horizon_exits = horizon;
    g.target_rate = ratio(target, resolved);
    g.failure_rate = ratio(stop, resolved);
    g.avg_realized_pnl = ratio(pnl, resolved);
    g.avg_max_drawdown = ratio(drawdown, resolved);
    g.bk_measured = bk_measured;
    g.bk_trend_open = bk_open;
    g.bk_target_rate = ratio(bk_target, bk_measured);
    g.bk_target_any_rate = ratio(bk_any, bk_measured);
    g.bk_failure_rate = ratio(bk_fail, bk_measured);
    g.bk_avg_ultimate_move = ratio(bk_move, bk_measured);
    g.random_walk_target_odds = ratio(rw_odds, rw_n);
    return g;
  }
};

// Gambler's-ruin chance that a driftless random walk from the entry (the
// confirmation close) touches the target before the stop:
// |entry - stop| / (|entry - stop| + |target - entry|). No horizon.
std::optional<double> RandomWalkOdds(const BarSeries& bars, const Pattern& p) {
  const int c = bars.IndexOf(p.confirmation_day);
  if (c < 0) return std::nullopt;
  const double entry = bars.bars[c].close;
  const double to_stop = std::abs(entry - p.stop);
  const double to_target = std::abs(p.target - entry);
  if (!(to_stop + to_target > 0)) return std::nullopt;
  return to_stop / (to_stop + to_target);
}

nlohmann::json GroupJson(const BaselineGroup& g) {
  nlohmann::json ref = {{"label", g.reference.label}};
  ref["target_low"] = g.reference.target_low
                          ? nlohmann::json(*g.reference.target_low)
                          : nlohmann::json(nullptr);
  ref["target_high"] = g.reference.target_high
                           ? nlohmann::json(*g.reference.target_high)
                           : nlohmann::json(nullptr);
  ref["book_name"] = g.reference.book_name;
  return {{"pattern_type", g.pattern_type},
          {"direction", g.direction},
          {"count", g.count},
          {"triple_barrier",
           {{"resolved", g.resolved},
            {"target_hits", g.target_hits},
            {"stop_exits", g.stop_exits},
            {"horizon_exits", g.horizon_exits},
            {"target_rate", g.target_rate},
            {"random_walk_target_odds", g.random_walk_target_odds},
            {"failure_rate", g.failure_rate},
            {"avg_realized_pnl", g.avg_realized_pnl},
            {"avg_max_drawdown", g.avg_max_drawdown}}},
          {"bulkowski_definitions",
           {{"measured", g.bk_measured},
            {"trend_open_at_data_end", g.bk_trend_open},
            {"target_rate", g.bk_target_rate},
            {"target_any_time_rate", g.bk_target_any_rate},
            {"failure_rate", g.bk_failure_rate},
            {"avg_ultimate_move", g.bk_avg_ultimate_move}}},
          {"bulkowski_published", ref}};
}

std::string Pct(double v) { return absl::StrFormat("%5.1f%%", 100 * v); }

std::string GroupLine(const BaselineGroup& g) {
  return absl::StrFormat(
      "%-27s %-7s %7d %7d  %s %s %s %s %s %s   %s %s %s %s   %-7s\n",
      g.pattern_type, g.direction, g.count, g.resolved, Pct(g.target_rate),
      Pct(g.random_walk_target_odds), Pct(g.failure_rate),
      Pct(g.resolved ? static_cast<double>(g.horizon_exits) / g.resolved : 0),
      Pct(g.avg_realized_pnl), Pct(g.avg_max_drawdown), Pct(g.bk_target_rate),
      Pct(g.bk_target_any_rate), Pct(g.bk_failure_rate),
      Pct(g.bk_avg_ultimate_move), g.reference.label);
}

absl::StatusOr<std::vector<StoredPattern>> LoadStored(
    DbConnection& conn, const BaselineOptions& o) {
  PatternEventStore store(conn);
  PatternFilter filter;
  filter.from = o.from;
  filter.to = o.to;
  return store.LoadPatterns(filter);
}

}  // namespace

absl::StatusOr<BaselineReport> ComputeBaselineReport(
    const BaselineOptions& options) {
  absl::StatusOr<std::unique_ptr<DbConnection>> connected =
      Database::ConnectTo(options.conninfo);
  if (!connected.ok()) return connected.status();
  DbConnection& conn = **connected;
  absl::StatusOr<std::vector<StoredPattern>> stored = LoadStored(conn, options);
  if (!stored.ok()) return stored.status();
  std::map<std::string, std::vector<const StoredPattern*>> by_symbol;
  for (const StoredPattern& s : *stored)
    by_symbol[s.pattern.symbol].push_back(&s);

  BaselineReport report;
  report.bulkowski = options.bulkowski;
  report.symbols = static_cast<int64_t>(by_symbol.size());
  std::map<std::pair<PatternType, Direction>, Accumulator> groups;
  Accumulator total;
  for (const auto& [symbol, patterns] : by_symbol) {
    absl::StatusOr<BarSeries> bars = LoadBarSeries(conn, symbol);
    if (!bars.ok()) return bars.status();
    for (const StoredPattern* s : patterns) {
      const Pattern& p = s->pattern;
      const BulkowskiOutcome bk = MeasureBulkowski(*bars, p, options.bulkowski);
      const std::optional<double> odds = RandomWalkOdds(*bars, p);
      groups[{p.type, p.direction}].Add(*s, bk, odds);
      total.Add(*s, bk, odds);
      ++report.counts_by_type_year[{std::string(PatternTypeName(p.type)),
                                    YearOf(p.confirmation_day)}];
    }
  }
  for (const auto& [key, acc] : groups) {
    BaselineGroup g = acc.Finish(std::string(PatternTypeName(key.first)),
                                 std::string(DirectionName(key.second)));
    g.reference = BulkowskiReferenceFor(key.first, key.second);
    report.groups.push_back(std::move(g));
  }
  report.total = total.Finish("all", "all");
  report.total.reference.label = "";
  return report;
}

std::string BaselineReport::ToJson() const {
  nlohmann::json j;
  j["citation"] = kBulkowskiCitation;
  j["bulkowski_options"] = {
      {"failure_move", bulkowski.failure_move},
      {"reversal", bulkowski.reversal},
      {"reverse_on_stop_close", bulkowski.reverse_on_stop_close}};
  j["symbols"] = symbols;
  j["groups"] = nlohmann::json::array();
  for (const BaselineGroup& g : groups) j["groups"].push_back(GroupJson(g));
  j["total"] = GroupJson(total);
  nlohmann::json years = nlohmann::json::object();
  for (const auto& [key, n] : counts_by_type_year) {
    years[key.first][std::to_string(key.second)] = n;
  }
  j["counts_by_type_year"] = years;
  return j.dump(2) + "\n";
}

std::string BaselineReport::ToText() const {
  std::string out = absl::StrFormat(
      "Baseline outcomes of stored patterns (%d symbols)\n"
      "Triple barrier = our labels (resolved patterns only). Bulkowski = his "
      "definitions\ncomputed on our bars (no horizon, reversal %.0f%%%s, "
      "failure < %.0f%% beyond breakout).\n\n",
      symbols, 100 * bulkowski.reversal,
      bulkowski.reverse_on_stop_close ? " or close through stop" : "",
      100 * bulkowski.failure_move);
  absl::StrAppend(
      &out,
      "                                      |---------------- triple barrier "
      "-----"
      "-------------| |----- Bulkowski defs -----|  published\n",
      absl::StrFormat("%-27s %-7s %7s %7s  %6s %6s %6s %6s %6s %6s   %6s %6s "
                      "%6s %6s   %s\n",
                      "pattern", "dir", "n", "resolv", "target", "rw", "stop",
                      "expire", "pnl", "mdd", "target", "anytim", "fail",
                      "move", "target"));
  for (const BaselineGroup& g : groups) absl::StrAppend(&out, GroupLine(g));
  absl::StrAppend(&out, GroupLine(total));
  absl::StrAppend(&out, "\nPublished: ", kBulkowskiCitation, "\n\n");

  std::set<int> years;
  std::set<std::string> types;
  for (const auto& [key, n] : counts_by_type_year) {
    types.insert(key.first);
    years.insert(key.second);
  }
  absl::StrAppend(&out, "Counts by type x confirmation year\n",
                  absl::StrFormat("%-6s", "year"));
  for (const std::string& t : types) absl::StrAppendFormat(&out, " %9.9s", t);
  absl::StrAppend(&out, "\n");
  for (int y : years) {
    absl::StrAppendFormat(&out, "%-6d", y);
    for (const std::string& t : types) {
      auto it = counts_by_type_year.find({t, y});
      absl::StrAppendFormat(&out, " %9d",
                            it == counts_by_type_year.end() ? 0 : it->second);
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

absl::Status WriteBaselineReport(const BaselineReport& report,
                                 const std::string& out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create ", out_dir, ": ", ec.message()));
  }
  for (const auto& [name, text] :
       {std::pair<std::string, std::string>{"baseline.json", report.ToJson()},
        {"baseline.txt", report.ToText()}}) {
    const std::string path = out_dir + "/" + name;
    std::ofstream f(path);
    f << text;
    f.close();
    if (!f) return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace pcs
