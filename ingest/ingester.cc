#include "ingest/ingester.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ingest/ohlcv_csv_reader.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;

// Longest raw line stored in ingest_rejects (a binary or garbage line can be
// arbitrarily long).
constexpr size_t kMaxRawChars = 500;

// Advisory lock serialising ingest batches across processes ("pcsingst").
constexpr long long kIngestLockKey = 0x706373696e677374;

// `text` made safe for ingest_rejects: at most `max_chars` bytes, and
// non-printable / non-ASCII bytes replaced by '?', so a garbage line cannot
// break the UTF-8 encoding of the COPY stream.
std::string Printable(std::string_view text, size_t max_chars) {
  if (text.size() > max_chars) text = text.substr(0, max_chars);
  std::string out(text);
  for (char& c : out) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u >= 0x7f) c = '?';
  }
  return out;
}

void SetNumber(std::string& out, double value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.assign(buf, end);  // shortest text that reads back to the same double
}

// Rows go through pqxx::stream_to (COPY ... FROM STDIN); the field strings
// are reused between rows to avoid allocations. stream_to escapes them.
// (libpqxx 6.4's stream_to only takes tuples, hence std::array + std::tie.)
template <size_t N>
class CopyWriter {
 public:
  CopyWriter(pqxx::work& tx, const std::string& table,
             const std::array<std::string, N>& columns)
      : stream_(tx, table, columns) {}
  std::array<std::string, N>& row() { return row_; }
  void WriteRow() {
    std::apply([this](auto&... fields) { stream_ << std::tie(fields...); },
               row_);
  }
  void Complete() { stream_.complete(); }

 private:
  pqxx::stream_to stream_;
  std::array<std::string, N> row_;
};

// One file of a batch: its summary and what the reader produced.
struct ParsedFile {
  FileIngestSummary summary;
  CsvReadResult result;
};

std::string RefusalReason(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kDataLoss:
      return "unreadable_file";
    default:
      return "bad_file";
  }
}

ParsedFile ParseFile(const std::string& path, const std::string& symbol,
                     bool refused_link) {
  ParsedFile parsed;
  parsed.summary.path = path;
  parsed.summary.symbol = symbol;
  auto result =
      refused_link
          ? absl::StatusOr<CsvReadResult>(
                absl::InvalidArgumentError(absl::StrCat(
                    path,
                    ": symbolic link to a file outside its folder; not "
                    "followed (pcs ingest --follow-symlinks)")))
          : ReadOhlcvCsv(path, symbol);
  if (!result.ok()) {
    parsed.summary.error = std::string(result.status().message());
    parsed.result.rejects.push_back(
        {path, 0, "", RefusalReason(result.status()), parsed.summary.error});
    return parsed;
  }
  parsed.result = std::move(*result);
  FileIngestSummary& s = parsed.summary;
  s.format = parsed.result.format;
  s.rows_read = parsed.result.rows_read;
  s.rejected = static_cast<int64_t>(parsed.result.rejects.size());
  s.zero_volume = parsed.result.zero_volume_rows;
  for (const auto& r : parsed.result.rejects) ++s.rejects_by_reason[r.reason];
  return parsed;
}

void StageFiles(pqxx::work& tx, const std::vector<ParsedFile>& batch) {
  tx.exec0(
      "CREATE TEMP TABLE pcs_stage_files (file_index integer PRIMARY KEY, "
      "symbol text NOT NULL, path text NOT NULL) ON COMMIT DROP");
  CopyWriter<3> files(tx, "pcs_stage_files", {"file_index", "symbol", "path"});
  auto& row = files.row();
  for (size_t i = 0; i < batch.size(); ++i) {
    row[0] = std::to_string(i);
    row[1] = Printable(batch[i].summary.symbol, 1000);
    row[2] = Printable(batch[i].summary.path, 4000);
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

void SetBarNumbers(const Bar& b, std::string* out) {
  SetNumber(out[0], b.open);
  SetNumber(out[1], b.high);
  SetNumber(out[2], b.low);
  SetNumber(out[3], b.close);
  SetNumber(out[4], b.adj_close);
  SetNumber(out[5], b.volume);
}

// Bars of fresh symbols cannot conflict: COPY them straight into price_bars
// (the batch holds the ingest lock, so no other ingester adds the symbol).
void CopyFreshBars(pqxx::work& tx, std::vector<ParsedFile>& batch,
                   const std::vector<bool>& fresh) {
  CopyWriter<9> bars(tx, "price_bars",
                     {"symbol", "day", "open", "high", "low", "close",
                      "adj_close", "volume", "source_file"});
  auto& row = bars.row();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!fresh[i]) continue;
    row[0] = Printable(batch[i].summary.symbol, 1000);
    row[8] = Printable(batch[i].summary.path, 4000);
    for (const Bar& b : batch[i].result.series.bars) {
      row[1] = FormatDay(b.day);
      SetBarNumbers(b, &row[2]);
      bars.WriteRow();
    }
    batch[i].summary.inserted =
        static_cast<int64_t>(batch[i].result.series.bars.size());
  }
  bars.Complete();
}

// Bars of symbols already in price_bars go to a staging table for the upsert.
void StageExistingBars(pqxx::work& tx, const std::vector<ParsedFile>& batch,
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
    for (const Bar& b : batch[i].result.series.bars) {
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
void UpsertBars(pqxx::work& tx, std::vector<ParsedFile>& batch) {
  const pqxx::result counts = tx.exec(
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
  for (const auto& row : counts) {
    const std::string symbol = row[0].as<std::string>();
    for (auto& f : batch) {
      if (f.summary.symbol != symbol) continue;
      f.summary.inserted = row[1].as<int64_t>();
      f.summary.updated = row[2].as<int64_t>();
    }
  }
}

void StoreRejects(pqxx::work& tx, int64_t run_id,
                  const std::vector<ParsedFile>& batch) {
  tx.exec0(
      "DELETE FROM ingest_rejects WHERE file IN "
      "(SELECT path FROM pcs_stage_files)");
  CopyWriter<6> rejects(tx, "ingest_rejects",
                        {"run_id", "file", "line", "raw", "reason", "detail"});
  auto& row = rejects.row();
  row[0] = std::to_string(run_id);
  for (const auto& f : batch) {
    row[1] = Printable(f.summary.path, 4000);
    for (const CsvReject& r : f.result.rejects) {
      row[2] = std::to_string(r.line);
      row[3] = Printable(r.raw, kMaxRawChars);
      row[4] = Printable(r.reason, 100);
      row[5] = Printable(r.detail, 1000);
      rejects.WriteRow();
    }
  }
  rejects.Complete();
}

void AddTo(FileIngestSummary& total, const FileIngestSummary& f) {
  total.rows_read += f.rows_read;
  total.inserted += f.inserted;
  total.updated += f.updated;
  total.unchanged += f.unchanged;
  total.rejected += f.rejected;
  total.zero_volume += f.zero_volume;
  for (const auto& [reason, n] : f.rejects_by_reason) {
    total.rejects_by_reason[reason] += n;
  }
}

absl::Status LoadBatch(pqxx::connection& conn, int64_t run_id,
                       std::vector<ParsedFile>& batch) {
  try {
    pqxx::work tx(conn);
    // Ingesters take turns per batch (see CopyFreshBars).
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kIngestLockKey);
    StageFiles(tx, batch);
    const std::vector<bool> fresh = FreshFiles(tx, batch.size());
    if (std::count(fresh.begin(), fresh.end(), true) > 0) {
      CopyFreshBars(tx, batch, fresh);
    }
    if (std::count(fresh.begin(), fresh.end(), false) > 0) {
      StageExistingBars(tx, batch, fresh);
      UpsertBars(tx, batch);
    }
    for (auto& f : batch) {
      f.summary.unchanged = static_cast<int64_t>(f.result.series.bars.size()) -
                            f.summary.inserted - f.summary.updated;
    }
    StoreRejects(tx, run_id, batch);
    tx.commit();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(
        "loading ", batch.front().summary.path,
        batch.size() > 1
            ? absl::StrCat(" (and ", batch.size() - 1, " more files)")
            : "",
        " into the database: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ExpandCsvPaths(
    const std::vector<std::string>& paths, bool follow_symlinks,
    std::vector<std::string>* refused) {
  std::vector<std::string> files;
  for (const std::string& given : paths) {
    std::error_code ec;
    const fs::path p = fs::absolute(given, ec).lexically_normal();
    if (!fs::exists(p, ec)) {
      return absl::NotFoundError(
          absl::StrCat(given, ": no such file or folder"));
    }
    if (!fs::is_directory(p, ec)) {
      files.push_back(p.string());
      continue;
    }
    std::vector<std::string> found;
    const fs::path folder = fs::canonical(p, ec);
    for (const auto& entry : fs::directory_iterator(p, ec)) {
      if (!entry.is_regular_file(ec)) continue;
      if (absl::AsciiStrToLower(entry.path().extension().string()) != ".csv") {
        continue;
      }
      if (!follow_symlinks && entry.is_symlink(ec)) {
        std::error_code target_ec;
        const fs::path target = fs::canonical(entry.path(), target_ec);
        const fs::path relative = target.lexically_relative(folder);
        if (target_ec || relative.empty() || *relative.begin() == "..") {
          if (refused != nullptr) refused->push_back(entry.path().string());
          continue;
        }
      }
      found.push_back(entry.path().string());
    }
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat(given, ": cannot list folder: ", ec.message()));
    }
    if (found.empty() && (refused == nullptr || refused->empty())) {
      return absl::InvalidArgumentError(
          absl::StrCat(given, ": folder has no .csv files"));
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

Ingester::Ingester(pqxx::connection& conn, IngestOptions options)
    : conn_(conn), options_(std::move(options)) {}

absl::StatusOr<IngestSummary> Ingester::Run(
    const std::vector<std::string>& paths) {
  std::vector<std::string> refused_links;
  auto files = ExpandCsvPaths(paths, options_.follow_symlinks, &refused_links);
  if (!files.ok()) return files.status();
  if (options_.symbol.has_value() && files->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--symbol needs exactly one file, got ", files->size()));
  }
  IngestSummary summary;
  summary.total.path = "TOTAL";
  try {
    pqxx::work tx(conn_);
    summary.run_id =
        tx.exec_params1(
              "INSERT INTO ingest_runs (paths) VALUES ($1) RETURNING id",
              absl::StrJoin(paths, " "))[0]
            .as<int64_t>();
    tx.commit();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("starting ingest run: ", e.what()));
  }
  const int per_batch = std::max(1, options_.files_per_batch);
  std::vector<ParsedFile> batch;
  std::set<std::string> batch_symbols;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    if (auto s = LoadBatch(conn_, summary.run_id, batch); !s.ok()) return s;
    for (auto& f : batch) {
      AddTo(summary.total, f.summary);
      if (!f.summary.error.empty()) ++summary.failed_files;
      summary.files.push_back(std::move(f.summary));
    }
    batch.clear();
    batch_symbols.clear();
    return absl::OkStatus();
  };
  const size_t num_readable = files->size();
  files->insert(files->end(), refused_links.begin(), refused_links.end());
  for (size_t i = 0; i < files->size(); ++i) {
    const std::string& path = (*files)[i];
    const std::string symbol =
        options_.symbol.value_or(fs::path(path).stem().string());
    if (batch_symbols.count(symbol) ||
        static_cast<int>(batch.size()) >= per_batch) {
      if (auto s = flush(); !s.ok()) return s;
    }
    batch.push_back(
        ParseFile(path, symbol, /*refused_link=*/i >= num_readable));
    batch_symbols.insert(symbol);
    if (options_.progress) {
      options_.progress(static_cast<int>(i) + 1,
                        static_cast<int>(files->size()), path);
    }
  }
  if (auto s = flush(); !s.ok()) return s;
  const FileIngestSummary& t = summary.total;
  try {
    pqxx::work tx(conn_);
    tx.exec_params(
        "UPDATE ingest_runs SET finished_at = now(), files = $2, "
        "rows_read = $3, inserted = $4, updated = $5, unchanged = $6, "
        "rejected = $7, failed_files = $8 WHERE id = $1",
        summary.run_id, static_cast<int>(summary.files.size()), t.rows_read,
        t.inserted, t.updated, t.unchanged, t.rejected, summary.failed_files);
    tx.commit();
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("finishing ingest run: ", e.what()));
  }
  return summary;
}

std::string FormatIngestSummary(const IngestSummary& summary, bool per_file) {
  std::string out;
  absl::StrAppendFormat(&out, "%-28s %6s %9s %9s %8s %9s %8s %8s\n", "file",
                        "format", "read", "inserted", "updated", "unchanged",
                        "rejected", "zero_vol");
  auto row = [&](const FileIngestSummary& f, const std::string& name) {
    absl::StrAppendFormat(&out, "%-28s %6s %9d %9d %8d %9d %8d %8d\n", name,
                          f.format, f.rows_read, f.inserted, f.updated,
                          f.unchanged, f.rejected, f.zero_volume);
  };
  for (const auto& f : summary.files) {
    if (!f.error.empty()) {
      absl::StrAppend(&out, fs::path(f.path).filename().string(),
                      ": REFUSED: ", f.error, "\n");
    } else if (per_file) {
      row(f, fs::path(f.path).filename().string());
    }
  }
  row(summary.total, absl::StrCat("TOTAL (", summary.files.size(), " files)"));
  if (summary.failed_files > 0) {
    absl::StrAppend(&out, "files refused: ", summary.failed_files, "\n");
  }
  if (!summary.total.rejects_by_reason.empty()) {
    absl::StrAppend(&out, "rejected rows by reason:\n");
    for (const auto& [reason, n] : summary.total.rejects_by_reason) {
      absl::StrAppendFormat(&out, "  %-26s %d\n", reason, n);
    }
  }
  absl::StrAppend(
      &out,
      "zero-volume bars loaded (warning only): ", summary.total.zero_volume,
      "\n",
      "details: SELECT * FROM ingest_rejects WHERE run_id = ", summary.run_id,
      "\n");
  return out;
}

}  // namespace pcs
