#ifndef PCS_TRAINING_MODEL_REGISTRY_H_
#define PCS_TRAINING_MODEL_REGISTRY_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "training/evaluation.h"
#include "training/promotion_gate.h"

namespace pcs {

// The promotion gate and the on-disk model registry (docs/contracts: "Model
// artifact"). Layout under `models_dir` (e.g. models/phase5):
//   <version>/model.json, model_card.json, reference_rows.json
//   CHAMPION                  one line: the champion version
//   champion_history.jsonl    one JSON object per promotion
//
// Publishing is atomic for readers that poll the folder: everything is written
// into .tmp-<version>/ and then renamed to <version>/ (rename(2) within one
// file system), so a reader sees either no version or a complete one. The
// CHAMPION pointer is replaced the same way (write CHAMPION.tmp-<version>,
// rename over CHAMPION), and only after the version folder is in place.
//
// Threading: one publisher at a time per models_dir (not locked); readers may
// run concurrently.

// What the trainer hands to Publish. `card` holds every model_card.json field
// except the ones Publish fills in: version, status, gate, model_file,
// model_sha256, reference_rows_file, reference_rows_sha256.
struct ModelArtifact {
  std::string version;     // "YYYYMMDDTHHMMSSZ"
  std::string model_json;  // XGBoost JSON model text
  nlohmann::json card;
  nlohmann::json reference_rows;  // {"rows":[...]}
};

struct PublishResult {
  std::string dir;     // models_dir/<version>
  std::string status;  // "champion" | "rejected_challenger"
  std::string model_sha256;
  std::optional<std::string> previous_champion;
};

// Writes the version folder atomically; if `gate.promote`, makes it the
// champion and appends to champion_history.jsonl. Fails (and leaves no
// <version>/ behind) if the version already exists or any write fails.
absl::StatusOr<PublishResult> PublishModel(const std::string& models_dir,
                                           const ModelArtifact& artifact,
                                           const GateDecision& gate,
                                           const GateOptions& gate_options);

// CHAMPION is read by ReadChampion (model/model_card.h), the one reader.

// Current UTC time as "YYYYMMDDTHHMMSSZ" / ISO-8601 "YYYY-MM-DDTHH:MM:SSZ".
std::string UtcVersionNow();
std::string UtcIsoNow();

}  // namespace pcs

#endif  // PCS_TRAINING_MODEL_REGISTRY_H_
