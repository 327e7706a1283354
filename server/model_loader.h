#ifndef PCS_SERVER_MODEL_LOADER_H_
#define PCS_SERVER_MODEL_LOADER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/servable_model.h"

namespace pcs {

// Loads and validates one model version folder (TF Serving's Loader shape):
// the constructor only records where to look; Load() does the expensive,
// fallible work and is never run on a request thread.
//
// Load() refuses the version (returns an error naming the file and check)
// unless every check passes:
//   1. model_card.json parses and names model_file and reference_rows_file,
//      and both files exist (a half-copied folder fails here);
//   2. sha256(model_file) == card.model_sha256 (and the reference rows file
//      matches card.reference_rows_sha256 when the card has it);
//   3. card.feature_schema.hash == FeatureBuilder::Schema().hash, and the
//      model's feature count equals the schema's;
//   4. the XGBoost JSON parses into a TreeEnsemble;
//   5. the calibrator parses from card.calibration;
//   6. warm-up: every row of reference_rows.json (at least one) reproduces
//      its recorded margin and calibrated probability within 1e-5.
//
// Threading: Load() is const and may run concurrently for different folders.
//
// Example:
//   ModelLoader loader("models/phase5/20261126T230000Z");
//   absl::StatusOr<std::shared_ptr<const ServableModel>> m = loader.Load();
class ModelLoader {
 public:
  // Tolerance of the warm-up comparison (absolute).
  static constexpr double kWarmupTolerance = 1e-5;

  // `dir` is the version folder; the version is its last path component.
  explicit ModelLoader(std::string dir);

  const std::string& version() const { return version_; }
  const std::string& dir() const { return dir_; }

  absl::StatusOr<std::shared_ptr<const ServableModel>> Load() const;

 private:
  std::string dir_;
  std::string version_;
};

}  // namespace pcs

#endif  // PCS_SERVER_MODEL_LOADER_H_
