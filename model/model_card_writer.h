#ifndef PCS_MODEL_MODEL_CARD_WRITER_H_
#define PCS_MODEL_MODEL_CARD_WRITER_H_

// The one writer of model_card.json, beside its reader (model/model_card.h).
// Training fills a ModelCardDraft (training/trainer.cc); the registry adds
// the publication fields when it writes the version folder
// (training/model_registry.cc). The fields the reader reads are typed here;
// the training record (metrics, data vintage, hyperparameters, config) is
// JSON written as given. docs/MODEL_CARD.md describes every field.
//
// Pure functions, thread-safe.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/decision_policy.h"
#include "nlohmann/json.hpp"

namespace pcs {

struct ModelCardDraft {
  // feature_schema.{version, hash, names}
  std::string feature_schema_version;
  std::string feature_schema_hash;
  std::vector<std::string> feature_names;
  // calibration: Calibrator::ToJson() plus "fitted_on".
  nlohmann::json calibration;
  std::string calibration_fitted_on;
  // serving.{decision_threshold, blend_weight}: the pre-policy constants.
  double decision_threshold = 0.5;
  double blend_weight = 0.5;
  std::optional<DecisionPolicy> policy;  // "policy", absent when none found
  std::map<std::string, double> type_base_rates;
  nlohmann::json feature_reference;  // monitoring/feature_reference.h format
  std::string feature_reference_note;
  std::string code_version;
  std::string trained_at;
  std::string reproduce;  // the command that trained it
  // The training record, written as given.
  nlohmann::json metrics;
  nlohmann::json data_vintage;
  nlohmann::json hyperparameters;
  nlohmann::json config;
};

// The card of a draft, without the publication fields.
nlohmann::json ModelCardJson(const ModelCardDraft& draft);

// What the registry knows when it publishes a version folder.
struct CardPublication {
  std::string version;
  std::string status;  // champion | rejected_challenger
  nlohmann::json gate;
  std::string model_file;  // plain file names in the folder
  std::string model_sha256;
  std::string reference_rows_file;
  std::string reference_rows_sha256;
};

// Sets the publication fields of `card`.
void AddPublication(const CardPublication& publication, nlohmann::json& card);

}  // namespace pcs

#endif  // PCS_MODEL_MODEL_CARD_WRITER_H_
