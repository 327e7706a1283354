#ifndef PCS_MODEL_MODEL_CARD_H_
#define PCS_MODEL_MODEL_CARD_H_

// The one reader of a model version: its model_card.json (typed, every field
// it reads checked for type and range), its folder (model.json,
// reference_rows.json, checks and warm-up) and the registry's CHAMPION
// pointer. The server (server/model_loader), monitoring
// (monitoring/monitored_model), `pcs evaluate` and training
// (training/model_scoring) all read versions through this file; none of them
// touches the card's JSON with a throwing accessor.
//
// Errors are absl::Status values naming the file and the field
// ("model_card.json: serving.decision_threshold must be a number, got
// string"); no input makes these functions throw or abort.
//
// Threading: free functions without shared state; ModelFolder is immutable
// after ReadModelFolder and its const methods are thread-safe.
//
// Example:
//   absl::StatusOr<ModelFolder> m =
//   ReadModelFolder("models/phase5/20261126T235550Z"); if (!m.ok()) return
//   m.status();            // failed version, with a reason double p =
//   m->Probability(m->ensemble.PredictMargin(row));

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/calibrator.h"
#include "model/decision_policy.h"
#include "model/tree_ensemble.h"
#include "nlohmann/json.hpp"

namespace pcs {

// model_card.json, typed. Fields the card must have are marked "required";
// optional ones keep the default shown when absent (absent and JSON null are
// treated alike). A present field of the wrong type is an error, never a
// default. See docs/MODEL_CARD.md for what each field means.
struct ModelCard {
  std::string version;              // optional
  std::string status;               // optional: champion | rejected_challenger
  std::string model_file;           // required, a plain file name
  std::string model_sha256;         // required
  std::string reference_rows_file;  // required, a plain file name
  std::string reference_rows_sha256;       // optional ("" = not checked)
  std::string feature_schema_version;      // optional
  std::string feature_schema_hash;         // required
  std::vector<std::string> feature_names;  // optional (array of strings)
  nlohmann::json calibration;       // required object (Calibrator::FromJson)
  double decision_threshold = 0.5;  // serving.decision_threshold, in [0, 1]
  double blend_weight = 0.5;        // serving.blend_weight, in [0, 1]
  // policy: the trained decision policy (model/decision_policy.h); nullopt
  // for cards written before it existed. Every field is checked.
  std::optional<DecisionPolicy> policy;
  std::string trained_at;           // optional string
  std::string code_version;         // optional string
  std::optional<bool> gate_passed;  // gate.passed
  std::string gate_reason;          // gate.reason

  // What this version decides by: the policy, or serving.* when absent.
  ServedPolicy Served() const {
    return ServedPolicyOf(policy, blend_weight, decision_threshold);
  }
  // metrics: an object; its top-level finite numbers are copied here (the
  // nested objects stay in `metrics`, read tolerantly by monitoring).
  nlohmann::json metrics = nlohmann::json::object();
  std::map<std::string, double> top_level_metrics;
  std::map<std::string, double> type_base_rates;  // finite numbers
  // feature_reference: an object when present (format in
  // monitoring/feature_reference.h), else null.
  nlohmann::json feature_reference;
  // The whole document, for display (DescribeModel's model_card_json).
  nlohmann::json raw;
};

// Largest model_card.json / reference_rows.json read (a bigger file is
// refused, not read into memory).
inline constexpr uintmax_t kMaxCardBytes = uintmax_t{64} << 20;
// Deepest JSON nesting accepted in those files (the real card needs 5).
inline constexpr int kMaxJsonDepth = 64;

// Parses JSON text of a version-folder file (`what` names it in errors):
// INVALID_ARGUMENT when it is not JSON or nested deeper than kMaxJsonDepth
// (checked before parsing: nlohmann::json copies and destroys recursively).
absl::StatusOr<nlohmann::json> ParseBoundedJson(absl::string_view text,
                                                absl::string_view what);

// Checks and converts a parsed card. Errors are INVALID_ARGUMENT naming the
// field.
absl::StatusOr<ModelCard> ParseModelCard(const nlohmann::json& json);
// Parses text (not JSON, or not an object: INVALID_ARGUMENT) then
// ParseModelCard. Used by the fuzz target.
absl::StatusOr<ModelCard> ParseModelCardText(absl::string_view text);
// Reads a card file: NOT_FOUND when missing, INVALID_ARGUMENT when too big,
// not JSON or badly typed. Messages start with "model_card.json".
absl::StatusOr<ModelCard> ReadModelCard(const std::string& path);

// One row of reference_rows.json: {"features":[number|null...],"margin",
// "probability"} (null = NaN).
struct ReferenceRow {
  std::vector<float> features;
  double margin = 0;
  double probability = 0;
};
// {"rows":[...]}; every row must be an object with `num_features` features
// (numbers or null) and finite margin and probability. At least one row.
absl::StatusOr<std::vector<ReferenceRow>> ParseReferenceRows(
    const nlohmann::json& json, int num_features);

// The calibrated probability of a raw margin: the card's calibrator applied
// to the logistic of the margin (the scale the calibration was fitted on).
// The one probability formula of serving, monitoring and evaluation.
double CalibratedProbability(const Calibrator& calibrator, double margin);

// A loaded and verified model version folder.
struct ModelFolder {
  // Tolerance of the warm-up comparison (absolute).
  static constexpr double kWarmupTolerance = 1e-5;

  std::string dir;
  std::string version;  // the folder's name
  ModelCard card;
  TreeEnsemble ensemble;
  Calibrator calibrator;
  std::vector<ReferenceRow> reference_rows;

  double Probability(double margin) const {
    return CalibratedProbability(calibrator, margin);
  }
};

// Reads and verifies <dir>: the card (ReadModelCard); model_file and
// reference_rows_file exist (a half-copied folder fails here); sha256 of
// model_file == card.model_sha256 (DATA_LOSS otherwise) and, when the card
// has it, of the reference rows; card.feature_schema_hash ==
// `expected_schema_hash` (FAILED_PRECONDITION "feature schema mismatch");
// the XGBoost JSON parses with `expected_num_features` features; the
// calibration parses; warm-up: every reference row reproduces its recorded
// margin and probability within kWarmupTolerance ("warm-up mismatch").
// Errors are prefixed with "model version <name>: ".
absl::StatusOr<ModelFolder> ReadModelFolder(
    const std::string& dir, const std::string& expected_schema_hash,
    int expected_num_features);

// The registry's CHAMPION pointer (<models_dir>/CHAMPION, one line: the
// version folder name). nullopt when there is no CHAMPION file;
// FAILED_PRECONDITION when it is empty, unreadable or names something that
// is not a plain folder name (a path, "..", over 255 bytes).
absl::StatusOr<std::optional<std::string>> ReadChampion(
    const std::string& models_dir);

// True when `name` can be a version folder name: non-empty, at most 255
// bytes, no '/', '\\' or NUL, not "." or "..".
bool IsPlainFileName(absl::string_view name);

}  // namespace pcs

#endif  // PCS_MODEL_MODEL_CARD_H_
