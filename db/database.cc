#include "db/database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

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

std::string Database::Describe() const { return MaskConninfo(conninfo_); }

namespace {

// Calls fn(keyword, value) for every option `conninfo` sets; false when
// libpq cannot parse it.
template <typename Fn>
bool ForEachConninfoOption(const std::string& conninfo, Fn fn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    if (error != nullptr) PQfreemem(error);
    return false;
  }
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr)
      fn(absl::string_view(o->keyword), o->val, o->dispchar);
  }
  PQconninfoFree(options);
  return true;
}

}  // namespace

std::string MaskConninfo(const std::string& conninfo) {
  std::vector<std::string> parts;
  const bool parsed = ForEachConninfoOption(
      conninfo, [&](absl::string_view key, absl::string_view value,
                    const char* dispchar) {
        // libpq marks secrets with dispchar "*" (password, sslpassword).
        const bool secret = dispchar != nullptr && dispchar[0] == '*';
        std::string shown = secret ? "***" : std::string(value);
        if (!secret && (shown.empty() ||
                        shown.find_first_of(" '\\") != std::string::npos)) {
          std::string quoted = "'";
          for (char c : shown) {
            if (c == '\'' || c == '\\') quoted += '\\';
            quoted += c;
          }
          shown = quoted + "'";
        }
        parts.push_back(absl::StrCat(key, "=", shown));
      });
  if (!parsed) return "<conninfo libpq cannot parse>";
  return absl::StrJoin(parts, " ");
}

std::string PublicDatabaseName(const std::string& conninfo) {
  std::string dbname;
  ForEachConninfoOption(conninfo, [&](absl::string_view key,
                                      absl::string_view value, const char*) {
    if (key == "dbname") dbname = std::string(value);
  });
  if (dbname.empty() || dbname.find('=') != std::string::npos) {
    return "postgresql";
  }
  return absl::StrCat("postgresql database '", dbname, "'");
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
