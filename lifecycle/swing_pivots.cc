#include "lifecycle/swing_pivots.h"

#include <cmath>

namespace pcs::rules {
namespace {

// Online zigzag state; Step() consumes one bar.
class Zigzag {
 public:
  Zigzag(const std::vector<Bar>& bars, double multiple)
      : bars_(bars), multiple_(multiple) {}

  void Step(int t, double atr, std::vector<Pivot>& out) {
    const Bar& b = bars_[t];
    if (t == 0) {
      hi_ = lo_ = 0;
      return;
    }
    const double thr = multiple_ * atr;
    const bool ready = std::isfinite(thr) && thr > 0;
    if (mode_ == 0) {
      if (b.high > bars_[hi_].high) hi_ = t;
      if (b.low < bars_[lo_].low) lo_ = t;
      if (!ready || bars_[hi_].high - bars_[lo_].low < thr || hi_ == lo_)
        return;
      if (hi_ < lo_) {
        out.push_back({hi_, t, bars_[hi_].high, true});
        mode_ = -1;  // now tracking a low: candidate lo_
      } else {
        out.push_back({lo_, t, bars_[lo_].low, false});
        mode_ = 1;
      }
      after_ = -1;
      return;
    }
    if (mode_ == 1) {  // open up-leg, candidate high hi_
      if (b.high > bars_[hi_].high) {
        hi_ = t;
        after_ = -1;
        return;
      }
      if (after_ < 0 || b.low < bars_[after_].low) after_ = t;
      if (ready && bars_[hi_].high - b.low >= thr) {
        out.push_back({hi_, t, bars_[hi_].high, true});
        mode_ = -1;
        lo_ = after_;
        after_ = -1;
      }
      return;
    }
    // open down-leg, candidate low lo_
    if (b.low < bars_[lo_].low) {
      lo_ = t;
      after_ = -1;
      return;
    }
    if (after_ < 0 || b.high > bars_[after_].high) after_ = t;
    if (ready && b.high - bars_[lo_].low >= thr) {
      out.push_back({lo_, t, bars_[lo_].low, false});
      mode_ = 1;
      hi_ = after_;
      after_ = -1;
    }
  }

 private:
  const std::vector<Bar>& bars_;
  const double multiple_;
  int mode_ = 0;    // 0 unknown, +1 up-leg open, -1 down-leg open
  int hi_ = 0;      // candidate high (mode 0 or +1)
  int lo_ = 0;      // candidate low (mode 0 or -1)
  int after_ = -1;  // opposite extreme since the candidate
};

}  // namespace

std::vector<Pivot> ZigzagPivots(const std::vector<Bar>& bars,
                                const std::vector<double>& atr,
                                double atr_multiple) {
  std::vector<Pivot> out;
  Zigzag zz(bars, atr_multiple);
  for (int t = 0; t < static_cast<int>(bars.size()); ++t) {
    zz.Step(t, t < static_cast<int>(atr.size()) ? atr[t] : NAN, out);
  }
  return out;
}

std::vector<Pivot> MirrorPivots(const std::vector<Pivot>& pivots) {
  std::vector<Pivot> out = pivots;
  for (Pivot& p : out) {
    p.price = -p.price;
    p.is_high = !p.is_high;
  }
  return out;
}

std::vector<Bar> MirrorBars(const std::vector<Bar>& bars) {
  std::vector<Bar> out = bars;
  for (Bar& b : out) {
    b.open = -b.open;
    b.close = -b.close;
    b.adj_close = -b.adj_close;
    const double h = b.high;
    b.high = -b.low;
    b.low = -h;
  }
  return out;
}

}  // namespace pcs::rules
