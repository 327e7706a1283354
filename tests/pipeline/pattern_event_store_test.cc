// Tests of db/pattern_event_store against a real (embedded) PostgreSQL.
// They live under tests/pipeline/ because the backfill owns the store.
#include "db/pattern_event_store.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lifecycle/pattern_lifecycle_manager.h"
#include "pqxx/pqxx"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

Day D(const char* text) { return *ParseDay(text); }

Pattern MakePattern(const std::string& symbol, Day confirmation) {
  Pattern p;
  p.symbol = symbol;
  p.type = PatternType::kDoubleBottom;
  p.direction = Direction::kBullish;
  p.formation_start = confirmation - 40;
  p.formation_end = confirmation - 5;
  p.confirmation_day = confirmation;
  p.key_points = {{"trough1", confirmation - 40, 10.123456789012345},
                  {"peak", confirmation - 20, 12.5},
                  {"trough2", confirmation - 5, 10.2}};
  p.breakout_level = 12.5;
  p.target = 14.876543210987654;
  p.stop = 9.9;
  p.rule_confidence = 0.7312;
  p.rule_criteria = {
      {"symmetry", 0.81}, {"breakout_volume", 1.0 / 3.0}, {"prior_trend", 0.0}};
  return p;
}

PatternRecord MakeRecord(const Pattern& p, const Outcome& o) {
  static const PatternLifecycleManager kManager;
  PatternRecord r;
  r.pattern = p;
  r.outcome = o;
  r.outcome_horizon_bars = 40;
  r.detector_version = "test-1";
  r.transitions = kManager.StateSequence(p, o);
  r.lifecycle_state = r.transitions.back().to;
  return r;
}

Outcome Resolved(Day day) {
  Outcome o;
  o.label = 1;
  o.exit_reason = "target";
  o.realized_pnl = 0.19012345678901234;
  o.max_drawdown = 0.021;
  o.bars_to_outcome = 12;
  o.resolved_day = day;
  return o;
}

class PatternEventStoreTest : public ::testing::Test {
 protected:
  PatternEventStoreTest()
      : conn_(testing::TestDatabase::FreshDatabase()), store_(conn_) {}

  int64_t Count(const std::string& sql) {
    pqxx::work tx(conn_);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  pqxx::connection conn_;
  PatternEventStore store_;
};

TEST_F(PatternEventStoreTest, RoundTripKeepsEveryField) {
  const Pattern p = MakePattern("ABC", D("2010-03-15"));
  const Outcome o = Resolved(D("2010-04-01"));
  absl::StatusOr<UpsertCounts> counts = store_.Upsert({MakeRecord(p, o)});
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->inserted, 1);
  EXPECT_EQ(counts->history_rows, 3);  // null->detected->confirmed->target_hit

  absl::StatusOr<StoredPattern> s = store_.Load(p.Id());
  ASSERT_TRUE(s.ok()) << s.status();
  const Pattern& q = s->pattern;
  EXPECT_EQ(q.Id(), p.Id());
  EXPECT_EQ(q.symbol, "ABC");
  EXPECT_EQ(q.type, PatternType::kDoubleBottom);
  EXPECT_EQ(q.direction, Direction::kBullish);
  EXPECT_EQ(q.formation_start, p.formation_start);
  EXPECT_EQ(q.formation_end, p.formation_end);
  EXPECT_EQ(q.confirmation_day, p.confirmation_day);
  ASSERT_EQ(q.key_points.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(q.key_points[i].role, p.key_points[i].role);
    EXPECT_EQ(q.key_points[i].day, p.key_points[i].day);
    EXPECT_EQ(q.key_points[i].price, p.key_points[i].price);  // bit-exact
  }
  EXPECT_EQ(q.breakout_level, p.breakout_level);
  EXPECT_EQ(q.target, p.target);
  EXPECT_EQ(q.stop, p.stop);
  EXPECT_EQ(q.rule_confidence, p.rule_confidence);
  EXPECT_THAT(q.rule_criteria,
              ElementsAre(Pair("breakout_volume", 1.0 / 3.0),
                          Pair("prior_trend", 0.0), Pair("symmetry", 0.81)));
  EXPECT_EQ(s->outcome.label, 1);
  EXPECT_EQ(s->outcome.exit_reason, "target");
  EXPECT_EQ(s->outcome.realized_pnl, o.realized_pnl);
  EXPECT_EQ(s->outcome.max_drawdown, o.max_drawdown);
  EXPECT_EQ(s->outcome.bars_to_outcome, 12);
  EXPECT_EQ(s->outcome.resolved_day, o.resolved_day);
  EXPECT_EQ(s->outcome_horizon_bars, 40);
  EXPECT_EQ(s->lifecycle_state, LifecycleState::kTargetHit);
  EXPECT_EQ(s->detector_version, "test-1");
  EXPECT_FALSE(s->ml_confidence.has_value());

  // The jsonb has the documented shape.
  pqxx::work tx(conn_);
  const pqxx::result rows = tx.exec_params(
      "SELECT key_points->1->>'role', key_points->1->>'day', "
      "(key_points->1->>'price')::float8, (rule_criteria->>'symmetry')::float8 "
      "FROM pattern_events WHERE id = $1",
      p.Id());
  ASSERT_EQ(rows.size(), 1u);
  const pqxx::row row = rows[0];
  EXPECT_EQ(row[0].as<std::string>(), "peak");
  EXPECT_EQ(row[1].as<std::string>(), FormatDay(p.key_points[1].day));
  EXPECT_EQ(row[2].as<double>(), 12.5);
  EXPECT_EQ(row[3].as<double>(), 0.81);
}

TEST_F(PatternEventStoreTest, UpsertIsIdempotentAndResolvesOnce) {
  const Pattern p = MakePattern("ABC", D("2010-03-15"));
  Outcome open;  // unresolved
  open.realized_pnl = 0.01;
  open.bars_to_outcome = 3;
  ASSERT_TRUE(store_.Upsert({MakeRecord(p, open)}).ok());
  absl::StatusOr<UpsertCounts> again = store_.Upsert({MakeRecord(p, open)});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->inserted, 0);
  EXPECT_EQ(again->updated, 0);
  EXPECT_EQ(again->unchanged, 1);
  EXPECT_EQ(again->history_rows, 0);

  absl::StatusOr<UnresolvedPatterns> unresolved = store_.LoadUnresolved();
  ASSERT_TRUE(unresolved.ok()) << unresolved.status();
  EXPECT_THAT(unresolved->ids, ::testing::ElementsAre(p.Id()));
  EXPECT_EQ(unresolved->earliest_confirmation, D("2010-03-15"));
  EXPECT_EQ(unresolved->latest_confirmation, D("2010-03-15"));
  absl::StatusOr<StoredPattern> open_row = store_.Load(p.Id());
  ASSERT_TRUE(open_row.ok()) << open_row.status();
  EXPECT_EQ(open_row->lifecycle_state, LifecycleState::kConfirmed);
  EXPECT_FALSE(open_row->outcome.label.has_value());
  EXPECT_EQ(open_row->outcome.realized_pnl, 0);  // not persisted while open

  const Outcome done = Resolved(D("2010-04-01"));
  absl::StatusOr<UpsertCounts> resolve = store_.Upsert({MakeRecord(p, done)});
  ASSERT_TRUE(resolve.ok()) << resolve.status();
  EXPECT_EQ(resolve->updated, 1);
  EXPECT_EQ(resolve->history_rows, 1);
  ASSERT_TRUE(store_.Upsert({MakeRecord(p, done)}).ok());
  absl::StatusOr<UnresolvedPatterns> none = store_.LoadUnresolved();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->ids.empty());
  EXPECT_FALSE(none->earliest_confirmation.has_value());
  EXPECT_EQ(none->latest_confirmation, D("2010-03-15"));

  absl::StatusOr<std::vector<StoredTransition>> history =
      store_.LoadHistory(p.Id());
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 3u);
  EXPECT_FALSE((*history)[0].transition.from.has_value());
  EXPECT_EQ((*history)[0].transition.to, LifecycleState::kDetected);
  EXPECT_EQ((*history)[1].transition.to, LifecycleState::kConfirmed);
  EXPECT_EQ((*history)[1].transition.event_day, p.confirmation_day);
  EXPECT_EQ((*history)[2].transition.from, LifecycleState::kConfirmed);
  EXPECT_EQ((*history)[2].transition.to, LifecycleState::kTargetHit);
  EXPECT_EQ((*history)[2].transition.event_day, D("2010-04-01"));
  EXPECT_EQ((*history)[2].transition.actual_outcome, 1);
  EXPECT_EQ((*history)[2].source, "backfill");
  EXPECT_EQ(Count("SELECT count(*) FROM pattern_lifecycle_history"), 3);
}

TEST_F(PatternEventStoreTest, FiltersAndNotFound) {
  std::vector<PatternRecord> records = {
      MakeRecord(MakePattern("AAA", D("2005-06-01")),
                 Resolved(D("2005-07-01"))),
      MakeRecord(MakePattern("BBB", D("2008-06-02")),
                 Resolved(D("2008-07-01"))),
      MakeRecord(MakePattern("AAA", D("2012-06-01")), Outcome{})};
  ASSERT_TRUE(store_.Upsert(records).ok());
  PatternFilter f;
  f.symbols = {"AAA"};
  EXPECT_EQ(store_.LoadPatterns(f)->size(), 2u);
  f.resolved_only = true;
  EXPECT_EQ(store_.LoadPatterns(f)->size(), 1u);
  PatternFilter range;
  range.from = D("2008-06-02");
  range.to = D("2012-06-01");
  absl::StatusOr<std::vector<StoredPattern>> in_range =
      store_.LoadPatterns(range);
  ASSERT_TRUE(in_range.ok()) << in_range.status();
  ASSERT_EQ(in_range->size(), 2u);
  EXPECT_EQ((*in_range)[0].pattern.symbol, "BBB");  // ordered by confirmation
  EXPECT_EQ(store_.Load("0000000000000000").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PatternEventStoreTest, RejectsBadRecordsWithoutWriting) {
  Pattern bad = MakePattern("ABC", D("2010-03-15"));
  bad.rule_confidence = 1.5;
  absl::StatusOr<UpsertCounts> r =
      store_.Upsert({MakeRecord(MakePattern("OK", D("2010-01-04")), Outcome{}),
                     MakeRecord(bad, Outcome{})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(bad.Id()), std::string::npos)
      << r.status();
  const Pattern p = MakePattern("DUP", D("2010-03-15"));
  EXPECT_FALSE(
      store_.Upsert({MakeRecord(p, Outcome{}), MakeRecord(p, Outcome{})}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM pattern_events"), 0);
}

}  // namespace
}  // namespace pcs
