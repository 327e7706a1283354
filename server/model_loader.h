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
// Load() reads the folder through the one model-folder reader,
// ReadModelFolder (model/model_card.h), against this build's feature schema
// (FeatureBuilder::Schema()), and refuses the version (an error naming the
// file, field and check) unless every check there passes: a typed card,
// files present (a half-copied folder fails), sha256s, schema hash and
// feature count, the XGBoost JSON and the calibration parse, and the warm-up
// on reference_rows.json. No card content makes it throw or abort.
//
// Threading: Load() is const and may run concurrently for different folders.
//
// Example:
//   ModelLoader loader("models/phase5/20261126T230000Z");
//   absl::StatusOr<std::shared_ptr<const ServableModel>> m = loader.Load();
class ModelLoader {
 public:
  // Tolerance of the warm-up comparison (absolute).
  static constexpr double kWarmupTolerance = ModelFolder::kWarmupTolerance;

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
