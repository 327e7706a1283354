#include "snapshots/chart_snapshot_store.h"

#include "core/sha256.h"

namespace pcs {

absl::Status ChartSnapshotStore::Store(const std::string& pattern_id,
                                       const RenderedChart& chart,
                                       std::vector<ChartSnapshotEntry>& entries,
                                       SnapshotCounts& counts) {
  ChartSnapshotEntry e;
  e.pattern_id = pattern_id;
  e.kind = chart.kind;
  e.sha256 = Sha256Hex(chart.svg);
  e.size_bytes = static_cast<int64_t>(chart.svg.size());
  e.content_type = "image/svg+xml";
  e.first_bar = chart.first_bar;
  e.last_bar = chart.last_bar;
  e.bar_count = chart.bar_count;
  e.renderer_version = kChartRendererVersion;
  absl::StatusOr<bool> written = blobs_->Put(e.sha256, chart.svg);
  if (!written.ok()) return written.status();
  if (*written) {
    ++counts.blobs_written;
    counts.bytes_written += e.size_bytes;
  } else {
    ++counts.blobs_present;
  }
  (chart.kind == SnapshotKind::kDecision ? counts.decision_charts
                                         : counts.outcome_charts)++;
  entries.push_back(std::move(e));
  return absl::OkStatus();
}

absl::StatusOr<SnapshotCounts> ChartSnapshotStore::SnapshotPatterns(
    DbConnection& conn, const std::vector<StoredPattern>& patterns,
    const BarSeries& bars) {
  SnapshotCounts counts;
  std::vector<ChartSnapshotEntry> entries;
  entries.reserve(patterns.size() * 2);
  for (const StoredPattern& stored : patterns) {
    ++counts.patterns;
    const std::string id = stored.pattern.Id();
    auto decision = RenderDecisionChart(stored.pattern, bars, options_.render);
    if (!decision.ok()) {
      ++counts.skipped;
      continue;
    }
    if (absl::Status s = Store(id, *decision, entries, counts); !s.ok()) {
      return s;
    }
    if (stored.outcome.resolved_day.has_value() &&
        !stored.outcome.exit_reason.empty()) {
      auto outcome = RenderOutcomeChart(stored.pattern, stored.outcome, bars,
                                        options_.render);
      if (outcome.ok()) {
        if (absl::Status s = Store(id, *outcome, entries, counts); !s.ok()) {
          return s;
        }
      }
    }
  }
  ChartSnapshotCatalog catalog(conn);
  auto recorded = catalog.Record(entries, options_.url_prefix);
  if (!recorded.ok()) return recorded.status();
  counts.catalog = *recorded;
  return counts;
}

}  // namespace pcs
