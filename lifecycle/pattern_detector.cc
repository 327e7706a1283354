#include "lifecycle/pattern_detector.h"

namespace pcs {

std::vector<Pattern> DetectPatterns(const BarSeries& bars,
                                    const DetectorOptions& options) {
  return DetectPatterns(bars, options, nullptr);
}

std::vector<Pattern> DetectPatterns(const BarSeries& bars,
                                    const DetectorOptions& options,
                                    DetectionStats* stats) {
  (void)options;
  if (stats != nullptr) {
    *stats = DetectionStats{};
    stats->bars = static_cast<int>(bars.bars.size());
  }
  return {};  // detectors land in the next commit
}

}  // namespace pcs
