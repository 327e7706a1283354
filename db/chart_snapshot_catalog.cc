#include "db/chart_snapshot_catalog.h"

#include <exception>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "db/transaction.h"

namespace pcs {
namespace {

constexpr char kSelect[] =
    "SELECT pattern_id, kind, sha256, size_bytes, content_type, "
    "first_bar - DATE '1970-01-01', last_bar - DATE '1970-01-01', bar_count, "
    "renderer_version, created_at::text FROM chart_snapshots ";

absl::StatusOr<ChartSnapshotEntry> FromRow(const pqxx::row& r) {
  ChartSnapshotEntry e;
  e.pattern_id = r[0].as<std::string>();
  auto kind = ParseSnapshotKind(r[1].as<std::string>());
  if (!kind.ok()) return kind.status();
  e.kind = *kind;
  e.sha256 = r[2].as<std::string>();
  e.size_bytes = r[3].as<int64_t>();
  e.content_type = r[4].as<std::string>();
  e.first_bar = r[5].as<Day>();
  e.last_bar = r[6].as<Day>();
  e.bar_count = r[7].as<int>();
  e.renderer_version = r[8].as<std::string>();
  e.created_at = r[9].as<std::string>();
  return e;
}

}  // namespace

absl::StatusOr<CatalogWriteCounts> ChartSnapshotCatalog::Record(
    const std::vector<ChartSnapshotEntry>& entries,
    const std::string& url_prefix) {
  CatalogWriteCounts counts;
  if (entries.empty()) return counts;
  return RunInTransaction<pqxx::work>(
      conn_, "recording chart snapshots",
      [&](pqxx::work& tx) -> absl::StatusOr<CatalogWriteCounts> {
        std::vector<std::string> rows;
        std::vector<std::string> urls;
        rows.reserve(entries.size());
        for (const ChartSnapshotEntry& e : entries) {
          rows.push_back(absl::StrCat(
              "(", SqlLiteral(tx, e.pattern_id), ",",
              SqlLiteral(tx, std::string(SnapshotKindName(e.kind))), ",",
              SqlLiteral(tx, e.sha256), ",", e.size_bytes, ",",
              SqlLiteral(tx, e.content_type), ",DATE '1970-01-01' + ",
              e.first_bar, ",DATE '1970-01-01' + ", e.last_bar, ",",
              e.bar_count, ",", SqlLiteral(tx, e.renderer_version), ")"));
          if (e.kind == SnapshotKind::kDecision) {
            urls.push_back(absl::StrCat("(", SqlLiteral(tx, e.pattern_id), ",",
                                        SqlLiteral(tx, url_prefix + e.sha256),
                                        ")"));
          }
        }
        const pqxx::result changed = tx.exec(absl::StrCat(
            "INSERT INTO chart_snapshots AS c (pattern_id, kind, sha256, "
            "size_bytes, content_type, first_bar, last_bar, bar_count, "
            "renderer_version) VALUES ",
            absl::StrJoin(rows, ","),
            " ON CONFLICT (pattern_id, kind) DO UPDATE SET sha256 = "
            "EXCLUDED.sha256, size_bytes = EXCLUDED.size_bytes, content_type = "
            "EXCLUDED.content_type, first_bar = EXCLUDED.first_bar, last_bar = "
            "EXCLUDED.last_bar, bar_count = EXCLUDED.bar_count, "
            "renderer_version "
            "= EXCLUDED.renderer_version, created_at = now() WHERE (c.sha256, "
            "c.renderer_version) IS DISTINCT FROM (EXCLUDED.sha256, "
            "EXCLUDED.renderer_version) RETURNING (xmax = 0)"));
        for (const auto& row : changed) {
          (row[0].as<bool>() ? counts.inserted : counts.updated)++;
        }
        counts.unchanged = static_cast<int64_t>(entries.size()) -
                           counts.inserted - counts.updated;
        if (!urls.empty()) {
          counts.urls_set =
              tx.exec(absl::StrCat("UPDATE pattern_events p SET snapshot_url = "
                                   "v.url FROM (VALUES ",
                                   absl::StrJoin(urls, ","),
                                   ") AS v(id, url) WHERE p.id = v.id AND "
                                   "p.snapshot_url IS DISTINCT FROM v.url"))
                  .affected_rows();
        }
        return counts;
      });
}

absl::StatusOr<std::vector<ChartSnapshotEntry>>
ChartSnapshotCatalog::ForPattern(const std::string& pattern_id) {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, "loading chart snapshots",
      [&](pqxx::read_transaction& tx)
          -> absl::StatusOr<std::vector<ChartSnapshotEntry>> {
        std::vector<ChartSnapshotEntry> out;
        for (const auto& row : tx.exec_params(
                 absl::StrCat(kSelect, "WHERE pattern_id = $1 ORDER BY kind"),
                 pattern_id)) {
          auto e = FromRow(row);
          if (!e.ok()) return e.status();
          out.push_back(std::move(*e));
        }
        return out;
      });
}

absl::StatusOr<CatalogSummary> ChartSnapshotCatalog::Summary() {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, "summarising the snapshot catalog",
      [&](pqxx::read_transaction& tx) -> absl::StatusOr<CatalogSummary> {
        const pqxx::row r = tx.exec1(
            "SELECT (SELECT count(*) FROM chart_snapshots WHERE kind = "
            "'decision'), "
            "(SELECT count(*) FROM chart_snapshots WHERE kind = 'outcome'), "
            "(SELECT count(*) FROM (SELECT DISTINCT sha256 FROM "
            "chart_snapshots) d), "
            "(SELECT coalesce(sum(size_bytes), 0) FROM (SELECT DISTINCT ON "
            "(sha256) "
            "size_bytes FROM chart_snapshots) d), "
            "(SELECT count(*) FROM pattern_events), "
            "(SELECT count(*) FROM pattern_events WHERE snapshot_url IS NOT "
            "NULL)");
        CatalogSummary s;
        s.decision_rows = r[0].as<int64_t>();
        s.outcome_rows = r[1].as<int64_t>();
        s.distinct_blobs = r[2].as<int64_t>();
        s.distinct_bytes = r[3].as<int64_t>();
        s.patterns = r[4].as<int64_t>();
        s.patterns_with_url = r[5].as<int64_t>();
        return s;
      });
}

absl::StatusOr<std::set<std::string>> ChartSnapshotCatalog::AllHashes() {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, "listing the snapshot catalog's hashes",
      [&](pqxx::read_transaction& tx) -> absl::StatusOr<std::set<std::string>> {
        std::set<std::string> out;
        for (const auto& row :
             tx.exec("SELECT DISTINCT sha256 FROM chart_snapshots")) {
          out.insert(row[0].as<std::string>());
        }
        return out;
      });
}

}  // namespace pcs
