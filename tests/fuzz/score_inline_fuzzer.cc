// Fuzz target: ScoreInline request validation and conversion
// (server/request_validation.h) on any bytes parsed as a
// pcs.v1.ScoreInlineRequest: PatternFromProto, BarsFromProto for bars and
// market_bars, and the client message of each error. Checks the promises:
// accepted bars are finite, positive, bounded and strictly increasing by
// day; accepted target/stop are finite; no client message exceeds
// kMaxClientMessageBytes (+ the truncation note).
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "server/request_validation.h"

namespace {

void CheckMessage(const absl::Status& s) {
  if (pcs::ClientMessage(s).size() > pcs::kMaxClientMessageBytes + 20)
    std::abort();
}

void CheckBars(const pcs::BarSeries& series) {
  for (size_t i = 0; i < series.bars.size(); ++i) {
    const pcs::Bar& b = series.bars[i];
    if (i > 0 && b.day <= series.bars[i - 1].day) std::abort();
    for (double v : {b.open, b.high, b.low, b.close, b.adj_close}) {
      if (!(v > 0 && v <= pcs::kMaxRequestPrice)) std::abort();
    }
    if (!(b.volume >= 0 && b.volume <= pcs::kMaxRequestVolume)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pcs::v1::ScoreInlineRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  CheckMessage(pcs::ValidateTopK(request.top_k(), "top_k"));
  absl::StatusOr<pcs::Pattern> pattern =
      pcs::PatternFromProto(request.pattern());
  if (pattern.ok()) {
    if (!std::isfinite(pattern->target) || !std::isfinite(pattern->stop) ||
        !std::isfinite(pattern->breakout_level)) {
      std::abort();
    }
  } else {
    CheckMessage(pattern.status());
  }
  for (const auto* bars : {&request.bars(), &request.market_bars()}) {
    absl::StatusOr<pcs::BarSeries> series =
        pcs::BarsFromProto(*bars, "FUZZ", "bars");
    if (series.ok()) {
      CheckBars(*series);
    } else {
      CheckMessage(series.status());
    }
  }
  return 0;
}
