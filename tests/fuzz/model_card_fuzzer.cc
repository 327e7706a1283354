// Fuzz target: the model-card reader (model/model_card.h) on any bytes:
// ParseModelCardText, then the card's calibration through
// Calibrator::FromJson, and the same bytes as reference_rows.json through
// ParseReferenceRows. Checks the reader's promises on what it accepts:
// serving numbers in [0, 1], file names plain, calibrated output in [0, 1].
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "model/calibrator.h"
#include "model/model_card.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<pcs::ModelCard> card = pcs::ParseModelCardText(text);
  if (card.ok()) {
    if (!(card->decision_threshold >= 0 && card->decision_threshold <= 1))
      std::abort();
    if (!(card->blend_weight >= 0 && card->blend_weight <= 1)) std::abort();
    if (!pcs::IsPlainFileName(card->model_file)) std::abort();
    if (!pcs::IsPlainFileName(card->reference_rows_file)) std::abort();
    absl::StatusOr<pcs::Calibrator> calibrator =
        pcs::Calibrator::FromJson(card->calibration);
    if (calibrator.ok()) {
      for (double margin : {-50.0, -1.0, 0.0, 0.5, 3.0, 50.0}) {
        const double p = pcs::CalibratedProbability(*calibrator, margin);
        if (!(p >= 0 && p <= 1)) std::abort();
      }
    }
  }
  absl::StatusOr<nlohmann::json> json =
      pcs::ParseBoundedJson(text, "reference_rows.json");
  if (json.ok()) {
    {
      absl::StatusOr<std::vector<pcs::ReferenceRow>> rows =
          pcs::ParseReferenceRows(*json, 3);
      if (rows.ok()) {
        for (const pcs::ReferenceRow& r : *rows) {
          if (r.features.size() != 3 || !std::isfinite(r.margin)) std::abort();
        }
      }
    }
  }
  return 0;
}
