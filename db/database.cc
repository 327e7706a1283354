#include "db/database.h"

#include <algorithm>
#include <cstdlib>
#include <regex>

#include "absl/strings/str_cat.h"

namespace pcs {

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    DatabaseOptions options) {
  std::unique_ptr<Database> db(new Database());
  std::string url = options.url;
  if (url.empty()) {
    if (const char* env = std::getenv("PCS_DATABASE_URL"); env && *env) {
      url = env;
    }
  }
  if (url.empty()) {
    EmbeddedPostgresOptions pg_options;
    pg_options.root = options.embedded_root;
    if (pg_options.root.empty()) {
      if (const char* env = std::getenv("PCS_EMBEDDED_ROOT"); env && *env) {
        pg_options.root = env;
      }
    }
    auto pg = EmbeddedPostgres::Start(pg_options);
    if (!pg.ok()) return pg.status();
    db->embedded_ = std::move(*pg);
    db->conninfo_ = db->embedded_->ConnInfo();
  } else {
    db->conninfo_ = url;
  }
  auto conn = db->Connect();
  if (!conn.ok()) return conn.status();
  return db;
}

Database::~Database() = default;

std::string Database::Describe() const {
  // Mask "password=..." and "user:password@".
  std::string text = std::regex_replace(conninfo_, std::regex("password=[^ ]*"),
                                        "password=***");
  return std::regex_replace(text, std::regex("(://[^:/@]*):[^@/]*@"),
                            "$1:***@");
}

absl::StatusOr<std::unique_ptr<DbConnection>> Database::ConnectTo(
    const std::string& conninfo) {
  Database described;  // for Describe(): the password masked
  described.conninfo_ = conninfo;
  return described.Connect();
}

absl::StatusOr<std::unique_ptr<DbConnection>> Database::Connect() const {
  try {
    return std::make_unique<pqxx::connection>(conninfo_);
  } catch (const std::exception& e) {
    std::string message = e.what();
    while (!message.empty() &&
           (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    for (char& c : message) {
      if (c == '\n' || c == '\t') c = ' ';
    }
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL (",
                                               Describe(), "): ", message));
  }
}

std::string ConnInfoWithDatabase(const std::string& conninfo,
                                 const std::string& dbname) {
  const size_t scheme = conninfo.find("://");
  if (scheme == std::string::npos) {
    return absl::StrCat(conninfo, " dbname=", dbname);  // last one wins
  }
  const size_t path = conninfo.find('/', scheme + 3);
  const size_t query = conninfo.find('?', scheme + 3);
  std::string rest = query == std::string::npos ? "" : conninfo.substr(query);
  const size_t host_end = std::min(path, query);
  return absl::StrCat(conninfo.substr(0, host_end), "/", dbname, rest);
}

}  // namespace pcs
