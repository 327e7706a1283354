#include "lifecycle/outcome_labeler.h"

#include <vector>

#include "gtest/gtest.h"

namespace pcs {
namespace {

constexpr Day kDay0 = 14613;

struct Ohlc {
  double open, high, low, close;
};

// Bar 0 is the confirmation bar (close 100); later bars as given.
BarSeries Series(const std::vector<Ohlc>& after) {
  BarSeries s;
  s.symbol = "LBL";
  s.bars.push_back({kDay0, 99, 101, 98, 100, 100, 1e6});
  Day d = kDay0;
  for (const Ohlc& o : after) {
    s.bars.push_back({++d, o.open, o.high, o.low, o.close, o.close, 1e6});
  }
  return s;
}

Pattern Long(double target, double stop) {
  Pattern p;
  p.symbol = "LBL";
  p.type = PatternType::kDoubleBottom;
  p.direction = Direction::kBullish;
  p.confirmation_day = kDay0;
  p.target = target;
  p.stop = stop;
  return p;
}

Pattern Short(double target, double stop) {
  Pattern p = Long(target, stop);
  p.type = PatternType::kDoubleTop;
  p.direction = Direction::kBearish;
  return p;
}

TEST(OutcomeLabelerTest, TargetFirst) {
  const BarSeries s = Series({{100, 102, 99, 101}, {101, 111, 100, 110}});
  const Outcome o = LabelOutcome(s, Long(110, 95));
  ASSERT_TRUE(o.label.has_value());
  EXPECT_EQ(*o.label, 1);
  EXPECT_EQ(o.exit_reason, "target");
  EXPECT_DOUBLE_EQ(o.realized_pnl, 0.10);
  EXPECT_DOUBLE_EQ(o.max_drawdown, 0.01);  // low of 99 on bar 1
  EXPECT_EQ(o.bars_to_outcome, 2);
  EXPECT_EQ(o.resolved_day, kDay0 + 2);
}

TEST(OutcomeLabelerTest, StopFirst) {
  const BarSeries s = Series({{100, 101, 94, 95}, {95, 120, 95, 119}});
  const Outcome o = LabelOutcome(s, Long(110, 95));
  EXPECT_EQ(o.label, 0);
  EXPECT_EQ(o.exit_reason, "stop");
  EXPECT_DOUBLE_EQ(o.realized_pnl, -0.05);
  EXPECT_DOUBLE_EQ(o.max_drawdown, 0.05);  // capped at the stop
  EXPECT_EQ(o.bars_to_outcome, 1);
}

TEST(OutcomeLabelerTest, SameBarTouchOfBothIsAStop) {
  const BarSeries s = Series({{100, 112, 94, 105}});
  const Outcome o = LabelOutcome(s, Long(110, 95));
  EXPECT_EQ(o.label, 0);
  EXPECT_EQ(o.exit_reason, "stop");
  EXPECT_DOUBLE_EQ(o.realized_pnl, -0.05);
}

TEST(OutcomeLabelerTest, GapThroughStopExitsAtTheOpen) {
  const BarSeries s = Series({{90, 92, 88, 91}});
  const Outcome o = LabelOutcome(s, Long(110, 95));
  EXPECT_EQ(o.label, 0);
  EXPECT_EQ(o.exit_reason, "stop");
  EXPECT_DOUBLE_EQ(o.realized_pnl, -0.10);  // open 90, worse than the stop
  EXPECT_DOUBLE_EQ(o.max_drawdown, 0.10);
}

TEST(OutcomeLabelerTest, GapThroughTargetExitsAtTheOpen) {
  const BarSeries s = Series({{113, 115, 112, 114}});
  const Outcome o = LabelOutcome(s, Long(110, 95));
  EXPECT_EQ(o.label, 1);
  EXPECT_EQ(o.exit_reason, "target");
  EXPECT_DOUBLE_EQ(o.realized_pnl, 0.13);
  EXPECT_DOUBLE_EQ(o.max_drawdown, 0);
}

TEST(OutcomeLabelerTest, BearishMirror) {
  // Short from 100, stop 105, target 90; bar 1 rallies to 103, bar 2 hits 90.
  const BarSeries s = Series({{100, 103, 99, 102}, {98, 99, 89, 90}});
  const Outcome o = LabelOutcome(s, Short(90, 105));
  EXPECT_EQ(o.label, 1);
  EXPECT_DOUBLE_EQ(o.realized_pnl, 0.10);
  EXPECT_DOUBLE_EQ(o.max_drawdown, 0.03);
  // Gap up through the stop.
  const BarSeries g = Series({{107, 108, 106, 107}});
  const Outcome og = LabelOutcome(g, Short(90, 105));
  EXPECT_EQ(og.label, 0);
  EXPECT_DOUBLE_EQ(og.realized_pnl, -0.07);
}

TEST(OutcomeLabelerTest, HorizonEndExitsAtTheLastClose) {
  std::vector<Ohlc> bars(5, {100, 101, 99, 100});
  bars.back().close = 102;
  const BarSeries s = Series(bars);
  const Outcome o = LabelOutcome(s, Long(110, 95), {.horizon_bars = 5});
  EXPECT_EQ(o.label, 0);
  EXPECT_EQ(o.exit_reason, "horizon");
  EXPECT_DOUBLE_EQ(o.realized_pnl, 0.02);
  EXPECT_DOUBLE_EQ(o.max_drawdown, 0.01);
  EXPECT_EQ(o.bars_to_outcome, 5);
  EXPECT_EQ(o.resolved_day, kDay0 + 5);
}

TEST(OutcomeLabelerTest, UnresolvedAtDataEnd) {
  const BarSeries s = Series(std::vector<Ohlc>(3, {100, 101, 99, 101}));
  const Outcome o = LabelOutcome(s, Long(110, 95), {.horizon_bars = 5});
  EXPECT_FALSE(o.label.has_value());
  EXPECT_EQ(o.exit_reason, "");
  EXPECT_FALSE(o.resolved_day.has_value());
  EXPECT_EQ(o.bars_to_outcome, 3);
  EXPECT_DOUBLE_EQ(o.realized_pnl, 0.01);  // marked at the last close
  // ... but a barrier hit before the data end resolves it.
  const BarSeries hit = Series({{100, 101, 99, 100}, {100, 111, 100, 110}});
  EXPECT_EQ(LabelOutcome(hit, Long(110, 95), {.horizon_bars = 5}).label, 1);
}

TEST(OutcomeLabelerTest, ConfirmationDayMissingIsUnresolved) {
  const BarSeries s = Series({{100, 111, 100, 110}});
  Pattern p = Long(110, 95);
  p.confirmation_day = kDay0 + 100;
  const Outcome o = LabelOutcome(s, p);
  EXPECT_FALSE(o.label.has_value());
  EXPECT_EQ(o.exit_reason, "");
}

}  // namespace
}  // namespace pcs
