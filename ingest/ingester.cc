#include "ingest/ingester.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "db/ingest_store.h"
#include "ingest/ohlcv_csv_reader.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;

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

// Loads one batch through the store and fills in its files' counts.
absl::Status LoadBatch(IngestStore& store, int64_t run_id,
                       std::vector<ParsedFile>& batch) {
  std::vector<IngestFile> files;
  files.reserve(batch.size());
  for (const ParsedFile& f : batch) {
    IngestFile& file = files.emplace_back();
    file.symbol = f.summary.symbol;
    file.path = f.summary.path;
    file.bars = f.result.series.bars;
    for (const CsvReject& r : f.result.rejects) {
      file.rejects.push_back({r.line, r.raw, r.reason, r.detail});
    }
  }
  absl::StatusOr<std::vector<IngestFileCounts>> counts =
      store.LoadBatch(run_id, files);
  if (!counts.ok()) return counts.status();
  for (size_t i = 0; i < batch.size(); ++i) {
    FileIngestSummary& s = batch[i].summary;
    s.inserted = (*counts)[i].inserted;
    s.updated = (*counts)[i].updated;
    s.unchanged = static_cast<int64_t>(batch[i].result.series.bars.size()) -
                  s.inserted - s.updated;
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

Ingester::Ingester(DbConnection& conn, IngestOptions options)
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
  IngestStore store(conn_);
  absl::StatusOr<int64_t> run_id = store.StartRun(absl::StrJoin(paths, " "));
  if (!run_id.ok()) return run_id.status();
  summary.run_id = *run_id;
  const int per_batch = std::max(1, options_.files_per_batch);
  std::vector<ParsedFile> batch;
  std::set<std::string> batch_symbols;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    if (auto s = LoadBatch(store, summary.run_id, batch); !s.ok()) return s;
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
  if (absl::Status s = store.FinishRun(
          summary.run_id,
          {static_cast<int>(summary.files.size()), t.rows_read, t.inserted,
           t.updated, t.unchanged, t.rejected, summary.failed_files});
      !s.ok()) {
    return s;
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
      // check_layers: sql-ok (a query shown to the user, never run)
      "details: SELECT * FROM ingest_rejects WHERE run_id = ", summary.run_id,
      "\n");
  return out;
}

}  // namespace pcs
