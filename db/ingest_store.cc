#include "db/ingest_store.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_cat.h"
#include "db/copy_writer.h"
#include "db/transaction.h"

namespace pcs {
namespace {

// Longest raw line stored in ingest_rejects (a binary or garbage line can be
// arbitrarily long).
constexpr size_t kMaxRawChars = 500;

// Advisory lock serialising ingest batches across processes ("pcsingst").
constexpr long long kIngestLockKey = 0x706373696e677374;

void SetNumber(std::string& out, double value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.assign(buf, end);  // shortest text that reads back to the same double
}

void SetBarNumbers(const Bar& b, std::string* out) {
  SetNumber(out[0], b.open);
  SetNumber(out[1], b.high);
  SetNumber(out[2], b.low);
  SetNumber(out[3], b.close);
  SetNumber(out[4], b.adj_close);
  SetNumber(out[5], b.volume);
}

void StageFiles(pqxx::work& tx, const std::vector<IngestFile>& batch) {
  tx.exec0(
      "CREATE TEMP TABLE pcs_stage_files (file_index integer PRIMARY KEY, "
      "symbol text NOT NULL, path text NOT NULL) ON COMMIT DROP");
  CopyWriter<3> files(tx, "pcs_stage_files", {"file_index", "symbol", "path"});
  auto& row = files.row();
  for (size_t i = 0; i < batch.size(); ++i) {
    row[0] = std::to_string(i);
    row[1] = CopyField(batch[i].symbol, 1000);
    row[2] = CopyField(batch[i].path, 4000);
    files.WriteRow();
  }
  files.Complete();
}

// Marks the files whose symbol has no bar in price_bars yet ("fresh").
std::vector<bool> FreshFiles(pqxx::work& tx, size_t batch_size) {
  std::vector<bool> fresh(batch_size, false);
  const pqxx::result rows = tx.exec(
      "SELECT f.file_index FROM pcs_stage_files f WHERE NOT EXISTS "
      "(SELECT 1 FROM price_bars p WHERE p.symbol = f.symbol)");
  for (const auto& r : rows) fresh[r[0].as<size_t>()] = true;
  return fresh;
}

// Bars of fresh symbols cannot conflict: COPY them straight into price_bars
// (the batch holds the ingest lock, so no other ingester adds the symbol).
void CopyFreshBars(pqxx::work& tx, const std::vector<IngestFile>& batch,
                   const std::vector<bool>& fresh,
                   std::vector<IngestFileCounts>& counts) {
  CopyWriter<9> bars(tx, "price_bars",
                     {"symbol", "day", "open", "high", "low", "close",
                      "adj_close", "volume", "source_file"});
  auto& row = bars.row();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!fresh[i]) continue;
    row[0] = CopyField(batch[i].symbol, 1000);
    row[8] = CopyField(batch[i].path, 4000);
    for (const Bar& b : batch[i].bars) {
      row[1] = FormatDay(b.day);
      SetBarNumbers(b, &row[2]);
      bars.WriteRow();
    }
    counts[i].inserted = static_cast<int64_t>(batch[i].bars.size());
  }
  bars.Complete();
}

// Bars of symbols already in price_bars go to a staging table for the upsert.
void StageExistingBars(pqxx::work& tx, const std::vector<IngestFile>& batch,
                       const std::vector<bool>& fresh) {
  tx.exec0(
      "CREATE TEMP TABLE pcs_stage_bars (file_index integer, day integer, "
      "open float8, high float8, low float8, close float8, adj_close float8, "
      "volume float8) ON COMMIT DROP");
  CopyWriter<8> bars(tx, "pcs_stage_bars",
                     {"file_index", "day", "open", "high", "low", "close",
                      "adj_close", "volume"});
  auto& row = bars.row();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (fresh[i]) continue;
    row[0] = std::to_string(i);
    for (const Bar& b : batch[i].bars) {
      row[1] = std::to_string(b.day);
      SetBarNumbers(b, &row[2]);
      bars.WriteRow();
    }
  }
  bars.Complete();
}

// Upserts the staged bars (symbols that already have bars); fills inserted
// and updated of those files. The WHERE keeps identical rows untouched, so a
// re-ingest writes nothing.
void UpsertBars(pqxx::work& tx, const std::vector<IngestFile>& batch,
                std::vector<IngestFileCounts>& counts) {
  const pqxx::result rows = tx.exec(
      "WITH up AS ("
      " INSERT INTO price_bars AS p (symbol, day, open, high, low, close,"
      "   adj_close, volume, source_file, ingested_at)"
      " SELECT f.symbol, DATE '1970-01-01' + s.day, s.open, s.high, s.low,"
      "   s.close, s.adj_close, s.volume, f.path, now()"
      " FROM pcs_stage_bars s JOIN pcs_stage_files f USING (file_index)"
      " ON CONFLICT (symbol, day) DO UPDATE SET open = EXCLUDED.open,"
      "   high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,"
      "   adj_close = EXCLUDED.adj_close, volume = EXCLUDED.volume,"
      "   source_file = EXCLUDED.source_file, ingested_at = now()"
      " WHERE (p.open, p.high, p.low, p.close, p.adj_close, p.volume)"
      "   IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low,"
      "   EXCLUDED.close, EXCLUDED.adj_close, EXCLUDED.volume)"
      " RETURNING p.symbol, (p.xmax = 0) AS inserted)"
      " SELECT symbol, count(*) FILTER (WHERE inserted),"
      "   count(*) FILTER (WHERE NOT inserted) FROM up GROUP BY symbol");
  for (const auto& row : rows) {
    const std::string symbol = row[0].as<std::string>();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].symbol != symbol) continue;
      counts[i].inserted = row[1].as<int64_t>();
      counts[i].updated = row[2].as<int64_t>();
    }
  }
}

void StoreRejects(pqxx::work& tx, int64_t run_id,
                  const std::vector<IngestFile>& batch) {
  tx.exec0(
      "DELETE FROM ingest_rejects WHERE file IN "
      "(SELECT path FROM pcs_stage_files)");
  CopyWriter<6> rejects(tx, "ingest_rejects",
                        {"run_id", "file", "line", "raw", "reason", "detail"});
  auto& row = rejects.row();
  row[0] = std::to_string(run_id);
  for (const IngestFile& f : batch) {
    row[1] = CopyField(f.path, 4000);
    for (const IngestReject& r : f.rejects) {
      row[2] = std::to_string(r.line);
      row[3] = CopyField(r.raw, kMaxRawChars);
      row[4] = CopyField(r.reason, 100);
      row[5] = CopyField(r.detail, 1000);
      rejects.WriteRow();
    }
  }
  rejects.Complete();
}

}  // namespace

absl::StatusOr<int64_t> IngestStore::StartRun(const std::string& paths) {
  return RunInTransaction(
      conn_, "starting an ingest run",
      [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
        return tx
            .exec_params1(
                "INSERT INTO ingest_runs (paths) VALUES ($1) RETURNING id",
                paths)[0]
            .as<int64_t>();
      });
}

absl::StatusOr<std::vector<IngestFileCounts>> IngestStore::LoadBatch(
    int64_t run_id, const std::vector<IngestFile>& batch) {
  if (batch.empty()) return std::vector<IngestFileCounts>{};
  const std::string context = absl::StrCat(
      "loading ", batch.front().path,
      batch.size() > 1
          ? absl::StrCat(" (and ", batch.size() - 1, " more files)")
          : "",
      " into the database");
  return RunInTransaction(
      conn_, context,
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<IngestFileCounts>> {
        std::vector<IngestFileCounts> counts(batch.size());
        // Ingesters take turns per batch (see CopyFreshBars).
        tx.exec_params("SELECT pg_advisory_xact_lock($1)", kIngestLockKey);
        StageFiles(tx, batch);
        const std::vector<bool> fresh = FreshFiles(tx, batch.size());
        if (std::count(fresh.begin(), fresh.end(), true) > 0) {
          CopyFreshBars(tx, batch, fresh, counts);
        }
        if (std::count(fresh.begin(), fresh.end(), false) > 0) {
          StageExistingBars(tx, batch, fresh);
          UpsertBars(tx, batch, counts);
        }
        StoreRejects(tx, run_id, batch);
        return counts;
      });
}

absl::Status IngestStore::FinishRun(int64_t run_id, const IngestRunTotals& t) {
  return RunInTransaction(
      conn_, "finishing an ingest run", [&](pqxx::work& tx) {
        tx.exec_params(
            "UPDATE ingest_runs SET finished_at = now(), files = $2, "
            "rows_read = $3, inserted = $4, updated = $5, unchanged = $6, "
            "rejected = $7, failed_files = $8 WHERE id = $1",
            run_id, t.files, t.rows_read, t.inserted, t.updated, t.unchanged,
            t.rejected, t.failed_files);
        return absl::OkStatus();
      });
}

}  // namespace pcs
