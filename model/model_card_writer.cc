#include "model/model_card_writer.h"

namespace pcs {

nlohmann::json ModelCardJson(const ModelCardDraft& d) {
  nlohmann::json calibration = d.calibration;
  calibration["fitted_on"] = d.calibration_fitted_on;
  nlohmann::json card = {{"feature_schema",
                          {{"version", d.feature_schema_version},
                           {"hash", d.feature_schema_hash},
                           {"names", d.feature_names}}},
                         {"calibration", calibration},
                         {"serving",
                          {{"decision_threshold", d.decision_threshold},
                           {"blend_weight", d.blend_weight}}},
                         {"data_vintage", d.data_vintage},
                         {"hyperparameters", d.hyperparameters},
                         {"metrics", d.metrics},
                         {"type_base_rates", d.type_base_rates},
                         {"feature_reference", d.feature_reference},
                         {"feature_reference_note", d.feature_reference_note},
                         {"code_version", d.code_version},
                         {"trained_at", d.trained_at},
                         {"config", d.config},
                         {"reproduce", d.reproduce}};
  if (d.policy.has_value()) card["policy"] = DecisionPolicyToJson(*d.policy);
  return card;
}

void AddPublication(const CardPublication& p, nlohmann::json& card) {
  card["version"] = p.version;
  card["status"] = p.status;
  card["gate"] = p.gate;
  card["model_file"] = p.model_file;
  card["model_sha256"] = p.model_sha256;
  card["reference_rows_file"] = p.reference_rows_file;
  card["reference_rows_sha256"] = p.reference_rows_sha256;
}

}  // namespace pcs
