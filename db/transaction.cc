#include "db/transaction.h"

#include <cctype>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

// libpq text on one line, without the trailing newline.
std::string OneLine(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c));
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

struct Mapped {
  absl::StatusCode code;
  const char* what;
};

Mapped MapSqlState(const std::string& state) {
  using C = absl::StatusCode;
  const absl::string_view cls = absl::string_view(state).substr(0, 2);
  if (state == "57014") return {C::kUnavailable, "statement timeout or cancel"};
  if (state == "55P03") return {C::kUnavailable, "lock timeout"};
  if (state == "57P01" || state == "57P02" || state == "57P03") {
    return {C::kUnavailable, "database server terminated the session"};
  }
  if (cls == "08") return {C::kUnavailable, "database connection error"};
  if (cls == "53") return {C::kUnavailable, "database out of resources"};
  if (state == "40001" || state == "40P01") {
    return {C::kAborted, "transaction rolled back by a conflict, retry"};
  }
  if (state == "40003") return {C::kUnknown, "statement completion unknown"};
  if (state == "23505") return {C::kAlreadyExists, "unique violation"};
  if (state == "23503")
    return {C::kFailedPrecondition, "foreign key violation"};
  if (state == "23001") return {C::kFailedPrecondition, "restrict violation"};
  if (cls == "23") return {C::kInvalidArgument, "constraint violation"};
  if (cls == "22") return {C::kInvalidArgument, "invalid data"};
  return {C::kInternal, "database error"};
}

}  // namespace

absl::Status DatabaseErrorStatus(const std::exception& e,
                                 absl::string_view context,
                                 const pqxx::connection_base* conn) {
  Mapped m{absl::StatusCode::kInternal, "unexpected error"};
  std::string tag = "exception";
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    m = {absl::StatusCode::kUnavailable, "database connection lost"};
    tag = "connection";
  } else if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    m = {absl::StatusCode::kUnknown, "connection lost during commit"};
    tag = "in_doubt";
  } else if (dynamic_cast<const pqxx::statement_completion_unknown*>(&e) !=
             nullptr) {
    m = MapSqlState("40003");
    tag = "40003";
  } else if (dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr) {
    m = MapSqlState("40P01");
    tag = "40P01";
  } else if (dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr) {
    m = MapSqlState("40001");
    tag = "40001";
  } else if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    tag = sql->sqlstate();
    m = MapSqlState(tag);
  }
  if (conn != nullptr && !conn->is_open() &&
      m.code != absl::StatusCode::kUnknown) {
    m = {absl::StatusCode::kUnavailable, "database connection lost"};
    tag = "connection";
  }
  absl::Status status(
      m.code, absl::StrCat(context, " (", m.what, "): ", OneLine(e.what())));
  status.SetPayload(kDatabaseErrorPayload, absl::Cord(tag));
  return status;
}

std::string SqlLiteral(pqxx::transaction_base& tx, const std::string& text) {
  return absl::StrCat("'", tx.esc(text), "'");
}

}  // namespace pcs
