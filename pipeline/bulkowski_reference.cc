#include "pipeline/bulkowski_reference.h"

namespace pcs {

BulkowskiReference BulkowskiReferenceFor(PatternType type,
                                         Direction direction) {
  const bool bull = direction == Direction::kBullish;
  switch (type) {
    case PatternType::kDoubleBottom:
      if (bull) return {0.66, 0.66, "66%", "double bottoms (up breakouts)"};
      break;
    case PatternType::kDoubleTop:
      if (!bull) return {0.64, 0.72, "64-72%", "double tops (down breakouts)"};
      break;
    case PatternType::kHeadAndShouldersTop:
      if (!bull) return {0.51, 0.55, "51-55%", "head-and-shoulders tops"};
      break;
    case PatternType::kInverseHeadAndShoulders:
      if (bull) return {0.71, 0.71, "71%", "head-and-shoulders bottoms"};
      break;
    case PatternType::kBullFlag:
      if (bull) return {0.34, 0.64, "34-64%", "flags (upward)"};
      break;
    case PatternType::kRectangle:
      return {0.63, 0.80, "63-80%", "rectangle tops and bottoms"};
    default:
      break;
  }
  return {std::nullopt, std::nullopt, "n/a", ""};
}

BulkowskiOutcome MeasureBulkowski(const BarSeries& bars, const Pattern& p,
                                  const BulkowskiOptions& options) {
  BulkowskiOutcome out;
  const int c = bars.IndexOf(p.confirmation_day);
  if (c < 0 || p.breakout_level <= 0) return out;
  out.valid = true;
  const double sign = Sign(p.direction);
  const int n = static_cast<int>(bars.bars.size());
  // Work in "favourable" units: for bearish patterns negate prices so that
  // higher is always better.
  auto fav_high = [&](const Bar& b) { return sign > 0 ? b.high : -b.low; };
  const double target = sign * p.target;
  const double stop = sign * p.stop;
  double best = sign * bars.bars[c].close;
  int best_index = c;
  out.trend_open = true;
  for (int i = c + 1; i < n; ++i) {
    const Bar& b = bars.bars[i];
    if (fav_high(b) >= target) out.target_any_time = true;
    if (!out.trend_open) continue;
    // Reversal: 20% off the best price (in real price terms), or a close
    // back through the stop.
    const double real_best = sign * best;
    const double real_adverse = sign > 0 ? b.low : b.high;
    const bool reversed =
        sign > 0 ? real_adverse <= real_best * (1 - options.reversal)
                 : real_adverse >= real_best * (1 + options.reversal);
    if (reversed || (options.reverse_on_stop_close && sign * b.close < stop)) {
      out.trend_open = false;
      continue;
    }
    if (fav_high(b) > best) {
      best = fav_high(b);
      best_index = i;
    }
  }
  const double ultimate = sign * best;
  out.ultimate_move = sign * (ultimate - p.breakout_level) / p.breakout_level;
  out.target_before_reversal = best >= target;
  out.failure = out.ultimate_move < options.failure_move;
  out.bars_to_ultimate = best_index - c;
  return out;
}

}  // namespace pcs
