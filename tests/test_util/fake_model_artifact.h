#ifndef PCS_TESTS_TEST_UTIL_FAKE_MODEL_ARTIFACT_H_
#define PCS_TESTS_TEST_UTIL_FAKE_MODEL_ARTIFACT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pcs::testing {

// What to write, and which defect to plant (for refusal tests).
struct FakeModelOptions {
  std::string version = "20260101T000000Z";  // folder name
  int rounds = 20;                           // boosting rounds (= trees)
  int seed = 1;                              // training data and XGBoost seed
  int rows = 400;                            // synthetic training rows
  double decision_threshold = 0.5;
  double blend_weight = 0.5;
  // Write a `policy` section deciding by blend_weight and
  // decision_threshold; false: a pre-policy card (answers "no_policy").
  bool with_policy = true;
  // Defects:
  bool corrupt_sha = false;    // card model_sha256 != sha256(model.json)
  bool wrong_schema = false;   // card feature_schema.hash differs
  bool omit_card = false;      // half-copied: no model_card.json
  bool bad_reference = false;  // reference probabilities off by 0.01
};

// Trains a tiny real XGBoost model (binary:logistic) on synthetic rows with
// FeatureBuilder::Schema()'s feature count, and publishes a complete model
// artifact as the training pipeline does (training/model_registry.h,
// docs/MODEL_CARD.md): written into <models_dir>/.tmp-<version>/ and renamed to
// <models_dir>/<version>/. The card has an isotonic calibration with a few
// knots; reference_rows.json holds 20 rows with XGBoost's margins and the
// calibrated probabilities. Returns the version folder path.
// Does not touch CHAMPION (see WriteChampion).
absl::StatusOr<std::string> WriteFakeModelArtifact(
    const std::string& models_dir, const FakeModelOptions& options);

// Points <models_dir>/CHAMPION at `version` (write to a temp file + rename).
absl::Status WriteChampion(const std::string& models_dir,
                           const std::string& version);

}  // namespace pcs::testing

#endif  // PCS_TESTS_TEST_UTIL_FAKE_MODEL_ARTIFACT_H_
