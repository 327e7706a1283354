#include "db/migrator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "pqxx/pqxx"

namespace pcs {
namespace {

namespace fs = std::filesystem;

// Arbitrary constant shared by every pcs process ("pcsmigr").
constexpr long long kMigrationLockKey = 0x7063736d696772;

struct Applied {
  std::string name;
  std::string checksum;
};

std::string Sha256Hex(pqxx::transaction_base& tx, const std::string& text) {
  return tx
      .exec_params1("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')",
                    text)[0]
      .as<std::string>();
}

absl::Status VerifyApplied(pqxx::transaction_base& tx,
                           const std::vector<MigrationFile>& files,
                           const std::map<int, Applied>& applied,
                           const std::string& dir) {
  for (const auto& [version, row] : applied) {
    auto it = std::find_if(files.begin(), files.end(),
                           [&](const auto& f) { return f.version == version; });
    if (it == files.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the database has migration ", version, " (", row.name,
                       ") applied but ", dir,
                       " has no such file; is the code older than "
                       "the database?"));
    }
    const std::string checksum = Sha256Hex(tx, it->sql);
    if (checksum != row.checksum) {
      return absl::FailedPreconditionError(absl::StrCat(
          "migration ", it->path,
          " was changed after it was applied (sha256 "
          "in schema_migrations ",
          row.checksum, ", file now ", checksum,
          "); add a new migration file instead of editing an applied one"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyOne(pqxx::connection& conn, const MigrationFile& file) {
  try {
    pqxx::work tx(conn);
    const std::string checksum = Sha256Hex(tx, file.sql);
    tx.exec(file.sql, file.file_name);
    tx.exec_params(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
        "VALUES ($1, $2, $3, now())",
        file.version, file.file_name, checksum);
    tx.commit();
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("migration ", file.path, " failed: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<MigrationFile>> ListMigrationFiles(
    const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(
        absl::StrCat("migrations folder ", dir, " does not exist"));
  }
  std::vector<MigrationFile> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const fs::path& p = entry.path();
    if (p.extension() != ".sql" || !entry.is_regular_file()) continue;
    const std::string name = p.filename().string();
    const size_t underscore = name.find('_');
    int version = 0;
    if (underscore == std::string::npos || underscore == 0 ||
        !absl::SimpleAtoi(name.substr(0, underscore), &version) ||
        version <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "migration file ", p.string(),
          " is not named <version>_<name>.sql (e.g. 0003_add_x.sql)"));
    }
    std::ifstream in(p, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      return absl::InternalError(absl::StrCat("cannot read ", p.string()));
    }
    files.push_back({version, name, p.string(), text.str()});
  }
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot list ", dir, ": ", ec.message()));
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  for (size_t i = 1; i < files.size(); ++i) {
    if (files[i].version == files[i - 1].version) {
      return absl::InvalidArgumentError(
          absl::StrCat("migrations ", files[i - 1].path, " and ", files[i].path,
                       " have the same version ", files[i].version));
    }
  }
  return files;
}

absl::Status Migrate(const std::string& conninfo,
                     const std::string& migrations_dir,
                     MigrationReport* report) {
  auto files = ListMigrationFiles(migrations_dir);
  if (!files.ok()) return files.status();
  MigrationReport local;
  MigrationReport& out = report ? *report : local;
  out = MigrationReport();
  try {
    pqxx::connection conn(conninfo);
    // libpqxx allows one transaction object per connection at a time, so
    // each step has its own; the session-level advisory lock spans them all.
    // The lock serialises concurrent migrators, including the very first
    // CREATE TABLE (two concurrent CREATE TABLE IF NOT EXISTS can collide).
    std::map<int, Applied> applied;
    {
      pqxx::nontransaction session(conn);
      session.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
      session.exec0(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version integer PRIMARY KEY,"
          " name text NOT NULL,"
          " checksum text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
      for (const auto& row : session.exec(
               "SELECT version, name, checksum FROM schema_migrations")) {
        applied[row[0].as<int>()] = {row[1].as<std::string>(),
                                     row[2].as<std::string>()};
      }
      if (auto s = VerifyApplied(session, *files, applied, migrations_dir);
          !s.ok()) {
        return s;  // closing the connection releases the lock
      }
    }
    out.already_applied = static_cast<int>(applied.size());
    for (const auto& file : *files) {
      if (applied.count(file.version)) continue;
      if (auto s = ApplyOne(conn, file); !s.ok()) return s;
      out.applied.push_back(file.file_name);
    }
    pqxx::nontransaction session(conn);
    out.latest_version =
        session
            .exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0]
            .as<int>();
    session.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("migrating (", migrations_dir, "): ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace pcs
