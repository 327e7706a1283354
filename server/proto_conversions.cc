#include "server/proto_conversions.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "db/database.h"
#include "features/feature_builder.h"
#include "features/feature_reasons.h"

namespace pcs {

void ScoreResultToProto(const ScoreResult& r, v1::ScoreResponse* out) {
  out->set_pattern_id(r.pattern_id);
  out->set_rule_confidence(r.rule_confidence);
  out->set_has_ml_confidence(r.ml_confidence.has_value());
  out->set_ml_confidence(r.ml_confidence.value_or(0));
  out->set_blended_confidence(r.blended_confidence);
  out->set_ml_weight_used(r.ml_weight_used);
  out->set_decision(std::string(LifecycleDecisionName(r.decision)));
  out->set_decision_threshold(r.decision_threshold);
  out->set_model_version(r.model_version);
  out->set_fallback_reason(std::string(FallbackReasonName(r.fallback_reason)));
  out->set_margin(r.margin);
  out->set_bias(r.bias);
  for (const Contribution& c : r.top_contributions) {
    v1::FeatureContribution* fc = out->add_top_contributions();
    fc->set_feature(c.feature);
    fc->set_value(c.value);
    fc->set_contribution(c.contribution);
    fc->set_reason(FeatureReasonByName(c.feature, c.value, c.contribution,
                                       r.pattern.type));
  }
  v1::TimingBreakdown* t = out->mutable_timing();
  t->set_database_us(r.timing.database_us);
  t->set_features_us(r.timing.features_us);
  t->set_predict_us(r.timing.predict_us);
  t->set_contributions_us(r.timing.contributions_us);
  t->set_total_us(r.timing.total_us);
  out->set_cache_hit(r.cache_hit);
  out->set_symbol(r.pattern.symbol);
  out->set_pattern_type(std::string(PatternTypeName(r.pattern.type)));
}

void ModelToProto(const ServableModel& model, bool phase5_enabled,
                  std::optional<double> blend_weight_override,
                  v1::DescribeModelResponse* out) {
  const ModelCard& card = model.card;
  out->set_version(model.version);
  out->set_status(model.card_status);
  out->set_trained_at(card.trained_at);
  out->set_code_version(card.code_version);
  out->set_model_sha256(model.model_sha256);
  v1::FeatureSchemaInfo* schema = out->mutable_feature_schema();
  schema->set_version(FeatureBuilder::Schema().version);
  schema->set_hash(model.feature_schema_hash);
  for (const std::string& name : model.feature_names) schema->add_names(name);
  for (const auto& [name, value] : card.top_level_metrics) {
    (*out->mutable_metrics())[name] = value;
  }
  out->set_decision_threshold(model.decision_threshold);
  out->set_blend_weight(blend_weight_override.value_or(model.blend_weight));
  out->set_num_trees(model.ensemble.num_trees());
  out->set_phase5_enabled(phase5_enabled);
  out->set_gate_reason(card.gate_reason);
  // Anyone who may read may call DescribeModel: cards written before the
  // trainer recorded only PublicDatabaseName may hold a conninfo (host,
  // port, user, socket path) in data_vintage.source; serve its dbname only.
  nlohmann::json raw = card.raw;
  if (raw.is_object() && raw.contains("data_vintage") &&
      raw["data_vintage"].is_object() &&
      raw["data_vintage"].contains("source") &&
      raw["data_vintage"]["source"].is_string()) {
    nlohmann::json& source = raw["data_vintage"]["source"];
    const std::string text = source.get<std::string>();
    if (text != "postgresql" && text.rfind("postgresql database '", 0) != 0) {
      source = PublicDatabaseName(text);
    }
  }
  // dump() replaces invalid UTF-8 instead of throwing (protobuf strings
  // must be UTF-8 too).
  out->set_model_card_json(
      raw.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and grpc share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      ClientMessage(status));
}

}  // namespace pcs
