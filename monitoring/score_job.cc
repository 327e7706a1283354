#include "monitoring/score_job.h"

#include <chrono>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "db/database.h"
#include "db/pattern_event_store.h"
#include "db/price_bar_store.h"
#include "features/feature_builder.h"
#include "lifecycle/pattern_lifecycle_manager.h"
#include "monitoring/monitored_model.h"

namespace pcs {
namespace {

// The rule's own decision threshold, as the review list's disagreement
// filter uses it (db/pattern_review_store.h).
constexpr double kRuleThreshold = 0.5;

struct SymbolScores {
  std::vector<PatternScore> scores;
  int64_t confirm = 0;
  int64_t disagreements = 0;
};

// Scores the patterns of one symbol; failures go into `report`.
absl::StatusOr<SymbolScores> ScoreSymbol(DbConnection& conn,
                                         const std::string& symbol,
                                         const MonitoredModel& model,
                                         const BarSeries* market,
                                         ScoreJobReport* report) {
  PatternEventStore events(conn);
  PatternFilter filter;
  filter.symbols = {symbol};
  auto patterns = events.LoadPatterns(filter);
  if (!patterns.ok()) return patterns.status();
  SymbolScores out;
  if (patterns->empty()) return out;
  auto bars = LoadBarSeries(conn, symbol, std::nullopt,
                            patterns->back().pattern.confirmation_day);
  if (!bars.ok()) return bars.status();
  const FeatureBuilder builder;
  const PatternLifecycleManager manager(
      {.decision_threshold = model.decision_threshold()});
  const BlendOptions blend{.enabled = true,
                           .ml_weight = model.card().Served().blend_weight};
  for (const StoredPattern& stored : *patterns) {
    const Pattern& p = stored.pattern;
    auto row = builder.Build(p, *bars, market);
    if (!row.ok() || row->size() != model.feature_names().size()) {
      ++report->feature_failures;
      if (report->failure_samples.size() < 10) {
        report->failure_samples.push_back(
            absl::StrCat(p.Id(), ": ",
                         row.ok() ? "feature count differs from the model's"
                                  : row.status().message()));
      }
      continue;
    }
    const double ml = model.Probability(row->data());
    const LifecycleDecision d = manager.EvaluateWithRules(p, ml, blend);
    PatternScore s;
    s.pattern_id = p.Id();
    s.model_version = model.version();
    s.as_of = p.confirmation_day;
    s.rule_confidence = d.rule_confidence;
    s.ml_confidence = ml;
    s.blended_confidence = d.blended_confidence;
    s.ml_weight = d.ml_weight;
    s.decision_threshold = model.decision_threshold();
    s.confirm = d.decision == LifecycleDecisionKind::kConfirm;
    out.confirm += s.confirm ? 1 : 0;
    if ((ml >= model.decision_threshold()) !=
        (d.rule_confidence >= kRuleThreshold)) {
      ++out.disagreements;
    }
    out.scores.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::string ScoreJobReport::ToText() const {
  std::string text = absl::StrFormat(
      "scored %d patterns of %d symbols with model %s (blend weight %.2f, "
      "threshold %.3f) in %.1f s (%.0f patterns/s)\n"
      "stored: %d new, %d changed, %d unchanged\n"
      "decisions: %d confirm, %d reject; ML and rule disagree on %d\n",
      patterns, symbols, model_version, blend_weight, decision_threshold,
      seconds, seconds > 0 ? patterns / seconds : 0.0, written.inserted,
      written.updated, written.unchanged, confirm, patterns - confirm,
      disagreements);
  if (feature_failures > 0) {
    absl::StrAppend(&text, "skipped ", feature_failures,
                    " patterns whose features could not be built, e.g.:\n");
    for (const std::string& s : failure_samples) {
      absl::StrAppend(&text, "  ", s, "\n");
    }
  }
  return text;
}

absl::StatusOr<ScoreJobReport> RunScoreJob(const ScoreJobOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto model = MonitoredModel::Load(options.model_dir);
  if (!model.ok()) return model.status();
  ScoreJobReport report;
  report.model_version = (*model)->version();
  report.blend_weight = (*model)->card().Served().blend_weight;
  report.decision_threshold = (*model)->decision_threshold();
  auto conn = Database::ConnectTo(options.conninfo);
  if (!conn.ok()) return conn.status();
  std::vector<std::string> symbols = options.symbols;
  if (symbols.empty()) {
    auto all = ListSymbols(**conn);
    if (!all.ok()) return all.status();
    symbols = std::move(*all);
  }
  std::optional<BarSeries> market;
  if (!options.market_symbol.empty()) {
    auto m = LoadBarSeries(**conn, options.market_symbol);
    if (m.ok()) {
      market = std::move(*m);
    } else if (m.status().code() != absl::StatusCode::kNotFound) {
      return m.status();
    }  // no market bars: market features are NaN, as in serving
  }
  PatternScoreStore store(**conn);
  int done = 0;
  for (const std::string& symbol : symbols) {
    auto scored = ScoreSymbol(**conn, symbol, **model,
                              market ? &*market : nullptr, &report);
    if (!scored.ok()) {
      return absl::Status(
          scored.status().code(),
          absl::StrCat(symbol, ": ", scored.status().message()));
    }
    auto written = store.Write(scored->scores);
    if (!written.ok()) {
      return absl::Status(
          written.status().code(),
          absl::StrCat(symbol, ": ", written.status().message()));
    }
    report.written += *written;
    report.patterns += static_cast<int64_t>(scored->scores.size());
    report.confirm += scored->confirm;
    report.disagreements += scored->disagreements;
    ++done;
    if (options.progress) {
      options.progress(done, static_cast<int>(symbols.size()), report.patterns);
    }
  }
  report.symbols = done;
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return report;
}

}  // namespace pcs
