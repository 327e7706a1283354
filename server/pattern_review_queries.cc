#include "server/pattern_review_queries.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/bar.h"
#include "db/analyst_override_store.h"
#include "db/chart_snapshot_catalog.h"
#include "db/pattern_event_store.h"
#include "db/pattern_review_store.h"
#include "db/price_bar_store.h"
#include "lifecycle/pattern.h"
#include "lifecycle/pattern_lifecycle_manager.h"
#include "server/request_validation.h"

namespace pcs {
namespace {

// The largest page_size of ListPatterns, and the default.
constexpr int kMaxPageSize = 200;
constexpr int kDefaultPageSize = 50;

absl::Status BadField(const std::string& name, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", why));
}

absl::Status CheckSymbol(const std::string& symbol) {
  bool ok = !symbol.empty() && symbol.size() <= 16;
  for (char c : symbol) {
    ok = ok && (absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '.' ||
                c == '-' || c == '^');
  }
  return ok ? absl::OkStatus()
            : BadField("symbol", "must be 1-16 of A-Z 0-9 . - ^");
}

absl::StatusOr<ReviewFilter> FilterOf(const v1::ListPatternsRequest& r) {
  ReviewFilter f;
  if (!r.symbol().empty()) {
    if (absl::Status s = CheckSymbol(r.symbol()); !s.ok()) return s;
    f.symbol = r.symbol();
  }
  if (!r.type().empty()) {
    if (!ParsePatternType(r.type()).ok()) {
      return BadField("type", "is not a pattern type (e.g. double_top)");
    }
    f.pattern_type = r.type();
  }
  if (!r.decision().empty()) {
    if (r.decision() != "confirm" && r.decision() != "reject") {
      return BadField("decision", "must be confirm or reject");
    }
    f.decision = r.decision();
  }
  if (r.has_disagreement()) f.disagreement = r.disagreement();
  if (r.has_scored()) f.scored = r.scored();
  if (r.has_overridden()) f.overridden = r.overridden();
  for (const auto& [name, text, out] :
       {std::tuple{"from", &r.from(), &f.from}, {"to", &r.to(), &f.to}}) {
    if (text->empty()) continue;
    auto day = ParseDay(*text);
    if (!day.ok()) return BadField(name, "must be YYYY-MM-DD");
    *out = *day;
  }
  if (!r.order().empty() && !ParseReviewOrder(r.order(), &f.order)) {
    return BadField("order",
                    "must be confirmed_desc, confirmed_asc, blended_desc, "
                    "ml_desc or scored_desc");
  }
  if (r.page_size() < 0 || r.page_size() > kMaxPageSize) {
    return BadField("page_size",
                    absl::StrCat("must be in [1, ", kMaxPageSize, "]"));
  }
  f.limit = r.page_size() == 0 ? kDefaultPageSize : r.page_size();
  if (!r.page_token().empty() &&
      (!absl::SimpleAtoi(r.page_token(), &f.offset) || f.offset < 0 ||
       f.offset > 100000000)) {
    return BadField("page_token", "is not a token of a previous page");
  }
  return f;
}

void RowToProto(const ReviewRow& r, v1::ReviewPattern* out) {
  out->set_id(r.id);
  out->set_symbol(r.symbol);
  out->set_pattern_type(r.pattern_type);
  out->set_direction(r.direction);
  out->set_confirmation_date(FormatDay(r.confirmation_day));
  out->set_lifecycle_state(r.lifecycle_state);
  out->set_rule_confidence(r.rule_confidence);
  if (r.ml_confidence) out->set_ml_confidence(*r.ml_confidence);
  if (r.blended_confidence) out->set_blended_confidence(*r.blended_confidence);
  if (r.model_version) out->set_model_version(*r.model_version);
  if (r.predicted_at) {
    out->set_predicted_at(Rfc3339FromPostgres(*r.predicted_at));
  }
  if (r.outcome_label) out->set_outcome_label(*r.outcome_label);
  if (r.exit_reason) out->set_exit_reason(*r.exit_reason);
  if (r.realized_pnl) out->set_realized_pnl(*r.realized_pnl);
  if (r.outcome_resolved_day) {
    out->set_outcome_resolved_at(FormatDay(*r.outcome_resolved_day));
  }
  if (r.snapshot_url) out->set_snapshot_url(*r.snapshot_url);
  if (r.analyst_decision) out->set_analyst_decision(*r.analyst_decision);
  if (r.analyst_reason) out->set_analyst_reason(*r.analyst_reason);
  if (r.analyst_identity) out->set_analyst_identity(*r.analyst_identity);
  if (r.analyst_at) out->set_analyst_at(Rfc3339FromPostgres(*r.analyst_at));
}

void HistoryToProto(const ReviewHistoryRow& r, v1::LifecycleTransition* out) {
  out->set_id(r.id);
  if (r.from_state) out->set_from_state(*r.from_state);
  out->set_to_state(r.to_state);
  if (r.event_date) out->set_event_date(*r.event_date);
  out->set_recorded_at(Rfc3339FromPostgres(r.recorded_at));
  out->set_source(r.source);
  if (r.rule_confidence) out->set_rule_confidence(*r.rule_confidence);
  if (r.ml_confidence) out->set_ml_confidence(*r.ml_confidence);
  if (r.blended_confidence) out->set_blended_confidence(*r.blended_confidence);
  if (r.model_version) out->set_model_version(*r.model_version);
  if (r.reason) out->set_reason(*r.reason);
}

void SnapshotToProto(const ChartSnapshotEntry& e, v1::ChartSnapshot* out) {
  out->set_kind(std::string(SnapshotKindName(e.kind)));
  out->set_sha256(e.sha256);
  out->set_url("/api/v1/snapshots/" + e.sha256);
  out->set_size_bytes(e.size_bytes);
  out->set_first_bar(FormatDay(e.first_bar));
  out->set_last_bar(FormatDay(e.last_bar));
  out->set_bar_count(e.bar_count);
  out->set_renderer_version(e.renderer_version);
  out->set_created_at(Rfc3339FromPostgres(e.created_at));
}

// A lease whose connection is marked broken when `status` says the
// database went away, so the next lease reconnects.
absl::Status Checked(ConnectionPool::Lease& lease, absl::Status status) {
  if (absl::IsUnavailable(status)) lease.MarkBroken();
  return status;
}

}  // namespace

std::string Rfc3339FromPostgres(const std::string& text) {
  // PostgreSQL prints "YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM]".
  std::string rfc = text;
  if (rfc.size() > 10 && rfc[10] == ' ') rfc[10] = 'T';
  const size_t sign = rfc.find_last_of("+-");
  if (sign != std::string::npos && sign > 10 && rfc.size() - sign == 3) {
    rfc += ":00";
  }
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, rfc, &t, &error)) return text;
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<std::unique_ptr<PatternReviewQueries>>
PatternReviewQueries::Create(Options options) {
  auto pool = ConnectionPool::Create(
      {.conninfo = options.conninfo, .size = options.pool_size});
  if (!pool.ok()) return pool.status();
  return std::unique_ptr<PatternReviewQueries>(
      new PatternReviewQueries(std::move(*pool)));
}

absl::Status PatternReviewQueries::List(const v1::ListPatternsRequest& request,
                                        double model_threshold,
                                        absl::Time deadline,
                                        v1::ListPatternsResponse* response) {
  auto filter = FilterOf(request);
  if (!filter.ok()) return filter.status();
  filter->model_threshold = model_threshold;
  filter->rule_threshold = kDefaultRuleDecisionThreshold;
  auto lease = pool_->Acquire(deadline);
  if (!lease.ok()) return lease.status();
  auto page = PatternReviewStore(lease->conn()).List(*filter);
  if (!page.ok()) return Checked(*lease, page.status());
  for (const ReviewRow& r : page->rows) RowToProto(r, response->add_patterns());
  const int next = filter->offset + static_cast<int>(page->rows.size());
  response->set_total(static_cast<int32_t>(page->total));
  response->set_next_page_token(next < page->total ? std::to_string(next) : "");
  response->set_model_threshold(filter->model_threshold);
  response->set_rule_threshold(filter->rule_threshold);
  response->set_order(ReviewOrderName(filter->order));
  return absl::OkStatus();
}

absl::Status PatternReviewQueries::Get(const v1::GetPatternRequest& request,
                                       absl::Time deadline,
                                       v1::GetPatternResponse* response) {
  const std::string& id = request.pattern_id();
  if (absl::Status s = ValidatePatternId(id, "pattern_id"); !s.ok()) return s;
  auto lease = pool_->Acquire(deadline);
  if (!lease.ok()) return lease.status();
  PatternReviewStore store(lease->conn());
  auto row = store.Get(id);
  if (!row.ok()) return Checked(*lease, row.status());
  auto history = store.History(id);
  if (!history.ok()) return Checked(*lease, history.status());
  auto snapshots = ChartSnapshotCatalog(lease->conn()).ForPattern(id);
  if (!snapshots.ok()) return Checked(*lease, snapshots.status());
  RowToProto(*row, response->mutable_pattern());
  for (const ReviewHistoryRow& r : *history) {
    HistoryToProto(r, response->add_history());
  }
  for (const ChartSnapshotEntry& e : *snapshots) {
    SnapshotToProto(e, response->add_snapshots());
  }
  return absl::OkStatus();
}

absl::Status PatternReviewQueries::Bars(
    const v1::GetPatternBarsRequest& request, absl::Time deadline,
    v1::GetPatternBarsResponse* response) {
  const std::string& id = request.pattern_id();
  if (absl::Status s = ValidatePatternId(id, "pattern_id"); !s.ok()) return s;
  auto lease = pool_->Acquire(deadline);
  if (!lease.ok()) return lease.status();
  auto stored = PatternEventStore(lease->conn()).Load(id);
  if (!stored.ok()) return Checked(*lease, stored.status());
  const Pattern& p = stored->pattern;
  Day first = p.formation_start;
  for (const KeyPoint& k : p.key_points) first = std::min(first, k.day);
  // About 20 trading bars of context, as in the snapshot charts.
  first -= 30;
  const Day last = stored->outcome.resolved_day.value_or(p.confirmation_day);
  auto bars = LoadBarSeries(lease->conn(), p.symbol, first, last);
  if (!bars.ok()) return Checked(*lease, bars.status());
  response->set_pattern_id(id);
  response->set_symbol(p.symbol);
  response->set_confirmation_date(FormatDay(p.confirmation_day));
  response->set_through(FormatDay(last));
  response->set_breakout_level(p.breakout_level);
  response->set_target_price(p.target);
  response->set_stop_price(p.stop);
  for (const KeyPoint& k : p.key_points) {
    v1::KeyPoint* point = response->add_key_points();
    point->set_role(k.role);
    point->set_day(FormatDay(k.day));
    point->set_price(k.price);
  }
  for (const Bar& b : bars->bars) {
    v1::ChartBar* bar = response->add_bars();
    bar->set_day(FormatDay(b.day));
    bar->set_open(b.open);
    bar->set_high(b.high);
    bar->set_low(b.low);
    bar->set_close(b.close);
    bar->set_volume(b.volume);
  }
  return absl::OkStatus();
}

absl::Status PatternReviewQueries::Override(
    const v1::OverridePatternRequest& request, const std::string& principal,
    absl::Time deadline, v1::OverridePatternResponse* response) {
  const std::string& id = request.pattern_id();
  if (absl::Status s = ValidatePatternId(id, "pattern_id"); !s.ok()) return s;
  auto decision = ParseAnalystDecision(request.decision());
  if (!decision.ok()) return decision.status();
  AnalystOverride o{.pattern_id = id,
                    .decision = *decision,
                    .reason = request.reason(),
                    .identity = principal};
  auto lease = pool_->Acquire(deadline);
  if (!lease.ok()) return lease.status();
  auto applied = AnalystOverrideStore(lease->conn()).Apply(o);
  if (!applied.ok()) return Checked(*lease, applied.status());
  response->set_pattern_id(id);
  response->set_decision(std::string(AnalystDecisionName(o.decision)));
  response->set_reason(o.reason);
  response->set_analyst(principal);
  response->set_from_state(std::string(LifecycleStateName(applied->from)));
  response->set_to_state(std::string(LifecycleStateName(applied->to)));
  response->set_history_id(applied->history_id);
  response->set_recorded_at(Rfc3339FromPostgres(applied->recorded_at));
  return absl::OkStatus();
}

absl::Status PatternReviewQueries::Agreement(double model_threshold,
                                             absl::Time deadline,
                                             v1::AnalystAgreement* response) {
  auto lease = pool_->Acquire(deadline);
  if (!lease.ok()) return lease.status();
  auto agreement =
      AnalystOverrideStore(lease->conn())
          .Agreement(model_threshold, kDefaultRuleDecisionThreshold);
  if (!agreement.ok()) return Checked(*lease, agreement.status());
  const AnalystAgreement& a = *agreement;
  response->set_overrides(static_cast<int32_t>(a.overrides));
  response->set_confirmed(static_cast<int32_t>(a.confirmed));
  response->set_rejected(static_cast<int32_t>(a.overrides - a.confirmed));
  response->set_scored_by_model(static_cast<int32_t>(a.with_model));
  response->set_agree_with_model(static_cast<int32_t>(a.agree_with_model));
  response->set_agree_with_rule(static_cast<int32_t>(a.agree_with_rule));
  if (a.with_model > 0) {
    response->set_model_agreement_rate(static_cast<double>(a.agree_with_model) /
                                       a.with_model);
  }
  if (a.overrides > 0) {
    response->set_rule_agreement_rate(static_cast<double>(a.agree_with_rule) /
                                      a.overrides);
  }
  response->set_model_threshold(a.model_threshold);
  response->set_rule_threshold(a.rule_threshold);
  return absl::OkStatus();
}

}  // namespace pcs
