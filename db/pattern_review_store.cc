#include "db/pattern_review_store.h"

#include <exception>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "db/transaction.h"

namespace pcs {
namespace {

constexpr char kColumns[] =
    "id, symbol, pattern_type, direction, "
    "confirmation_date - DATE '1970-01-01', lifecycle_state, rule_confidence, "
    "ml_confidence, blended_confidence, model_version, predicted_at::text, "
    "outcome_label, exit_reason, realized_pnl, "
    "outcome_resolved_at - DATE '1970-01-01', snapshot_url, analyst_decision, "
    "analyst_reason, analyst_identity, analyst_at::text";

template <typename T>
std::optional<T> Opt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

ReviewRow FromRow(const pqxx::row& r) {
  ReviewRow row;
  row.id = r[0].as<std::string>();
  row.symbol = r[1].as<std::string>();
  row.pattern_type = r[2].as<std::string>();
  row.direction = r[3].as<std::string>();
  row.confirmation_day = r[4].as<Day>();
  row.lifecycle_state = r[5].as<std::string>();
  row.rule_confidence = r[6].as<double>();
  row.ml_confidence = Opt<double>(r[7]);
  row.blended_confidence = Opt<double>(r[8]);
  row.model_version = Opt<std::string>(r[9]);
  row.predicted_at = Opt<std::string>(r[10]);
  row.outcome_label = Opt<int>(r[11]);
  row.exit_reason = Opt<std::string>(r[12]);
  row.realized_pnl = Opt<double>(r[13]);
  row.outcome_resolved_day = Opt<Day>(r[14]);
  row.snapshot_url = Opt<std::string>(r[15]);
  row.analyst_decision = Opt<std::string>(r[16]);
  row.analyst_reason = Opt<std::string>(r[17]);
  row.analyst_identity = Opt<std::string>(r[18]);
  row.analyst_at = Opt<std::string>(r[19]);
  return row;
}

struct OrderInfo {
  ReviewOrder order;
  const char* name;
  const char* sql;
};
constexpr OrderInfo kOrders[] = {
    {ReviewOrder::kConfirmedNewest, "confirmed_desc", "confirmation_date DESC"},
    {ReviewOrder::kConfirmedOldest, "confirmed_asc", "confirmation_date ASC"},
    {ReviewOrder::kBlendedHighest, "blended_desc",
     "coalesce(blended_confidence, rule_confidence) DESC"},
    {ReviewOrder::kMlHighest, "ml_desc", "ml_confidence DESC NULLS LAST"},
    {ReviewOrder::kScoredNewest, "scored_desc", "predicted_at DESC NULLS LAST"},
};

const char* OrderBy(ReviewOrder order) {
  for (const OrderInfo& o : kOrders) {
    if (o.order == order) return o.sql;
  }
  return kOrders[0].sql;
}

// The WHERE clause of `f`, values quoted by `tx`.
std::string Where(const ReviewFilter& f, pqxx::transaction_base& tx) {
  std::vector<std::string> c;
  const std::string mt = absl::StrCat(f.model_threshold);
  const std::string rt = absl::StrCat(f.rule_threshold);
  if (f.symbol)
    c.push_back(absl::StrCat("symbol = ", SqlLiteral(tx, *f.symbol)));
  if (f.pattern_type)
    c.push_back(
        absl::StrCat("pattern_type = ", SqlLiteral(tx, *f.pattern_type)));
  if (f.decision) {
    c.push_back(absl::StrCat("coalesce(blended_confidence, rule_confidence) ",
                             *f.decision == "confirm" ? ">=" : "<", " ",
                             SqlLiteral(tx, mt), "::float8"));
  }
  if (f.disagreement) {
    c.push_back(absl::StrCat(
        "ml_confidence IS NOT NULL AND ((ml_confidence >= ", SqlLiteral(tx, mt),
        "::float8) ", *f.disagreement ? "<>" : "=",
        " (rule_confidence >= ", SqlLiteral(tx, rt), "::float8))"));
  }
  if (f.scored) {
    c.push_back(*f.scored ? "ml_confidence IS NOT NULL"
                          : "ml_confidence IS NULL");
  }
  if (f.overridden) {
    c.push_back(*f.overridden ? "analyst_decision IS NOT NULL"
                              : "analyst_decision IS NULL");
  }
  if (f.from)
    c.push_back(
        absl::StrCat("confirmation_date >= DATE '1970-01-01' + ", *f.from));
  if (f.to)
    c.push_back(
        absl::StrCat("confirmation_date <= DATE '1970-01-01' + ", *f.to));
  return c.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(c, " AND "));
}

}  // namespace

const char* ReviewOrderName(ReviewOrder order) {
  for (const OrderInfo& o : kOrders) {
    if (o.order == order) return o.name;
  }
  return kOrders[0].name;
}

bool ParseReviewOrder(const std::string& name, ReviewOrder* order) {
  for (const OrderInfo& o : kOrders) {
    if (name == o.name) {
      *order = o.order;
      return true;
    }
  }
  return false;
}

absl::StatusOr<ReviewPage> PatternReviewStore::List(const ReviewFilter& f) {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, "listing patterns",
      [&](pqxx::read_transaction& tx) -> absl::StatusOr<ReviewPage> {
        const std::string where = Where(f, tx);
        ReviewPage page;
        page.total = tx.exec1(absl::StrCat(
            "SELECT count(*) FROM pattern_events", where))[0]
                         .as<int64_t>();
        for (const auto& r :
             tx.exec(absl::StrCat("SELECT ", kColumns, " FROM pattern_events",
                                  where, " ORDER BY ", OrderBy(f.order),
                                  ", confirmation_date DESC, id LIMIT ",
                                  f.limit, " OFFSET ", f.offset))) {
          page.rows.push_back(FromRow(r));
        }
        return page;
      });
}

absl::StatusOr<ReviewRow> PatternReviewStore::Get(const std::string& id) {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, "loading a pattern",
      [&](pqxx::read_transaction& tx) -> absl::StatusOr<ReviewRow> {
        const pqxx::result r =
            tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                        " FROM pattern_events WHERE id = $1"),
                           id);
        if (r.empty())
          return absl::NotFoundError(
              absl::StrCat("pattern ", id, " not found"));
        return FromRow(r[0]);
      });
}

absl::StatusOr<std::vector<ReviewHistoryRow>> PatternReviewStore::History(
    const std::string& id) {
  return RunInTransaction<pqxx::read_transaction>(
      conn_, "loading a lifecycle history",
      [&](pqxx::read_transaction& tx)
          -> absl::StatusOr<std::vector<ReviewHistoryRow>> {
        std::vector<ReviewHistoryRow> out;
        for (const auto& r : tx.exec_params(
                 "SELECT id, from_state, to_state, event_date::text, "
                 "recorded_at::text, source, rule_confidence, ml_confidence, "
                 "blended_confidence, model_version, reason FROM "
                 "pattern_lifecycle_history WHERE pattern_id = $1 ORDER BY id",
                 id)) {
          ReviewHistoryRow h;
          h.id = r[0].as<int64_t>();
          h.from_state = Opt<std::string>(r[1]);
          h.to_state = r[2].as<std::string>();
          h.event_date = Opt<std::string>(r[3]);
          h.recorded_at = r[4].as<std::string>();
          h.source = r[5].as<std::string>();
          h.rule_confidence = Opt<double>(r[6]);
          h.ml_confidence = Opt<double>(r[7]);
          h.blended_confidence = Opt<double>(r[8]);
          h.model_version = Opt<std::string>(r[9]);
          h.reason = Opt<std::string>(r[10]);
          out.push_back(std::move(h));
        }
        return out;
      });
}

}  // namespace pcs
