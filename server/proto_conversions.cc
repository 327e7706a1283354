#include "server/proto_conversions.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "features/feature_builder.h"

namespace pcs {
namespace {

absl::Status Invalid(const std::string& field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::StatusOr<Day> ParseDayField(const std::string& text,
                                  const std::string& field, bool required) {
  if (text.empty()) {
    if (required) return Invalid(field, "is required (YYYY-MM-DD)");
    return Day{0};
  }
  auto day = ParseDay(text);
  if (!day.ok()) return Invalid(field, absl::StrCat("'", text, "' is not YYYY-MM-DD"));
  return *day;
}

}  // namespace

absl::Status ValidatePatternId(const std::string& id,
                               const std::string& field) {
  if (id.empty()) return Invalid(field, "is required");
  bool hex = id.size() == 16;
  for (char c : id) {
    hex = hex && (absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'));
  }
  if (!hex) {
    return Invalid(field, absl::StrCat("'", id,
                                       "' is not 16 lowercase hex characters"));
  }
  return absl::OkStatus();
}

absl::Status ValidateTopK(int top_k, const std::string& field) {
  if (top_k < 0 || top_k > 64) {
    return Invalid(field, absl::StrCat(top_k, " is outside [0, 64]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Pattern> PatternFromProto(const v1::PatternSpec& spec) {
  Pattern p;
  if (spec.symbol().empty()) return Invalid("pattern.symbol", "is required");
  p.symbol = spec.symbol();
  auto type = ParsePatternType(spec.pattern_type());
  if (!type.ok()) {
    return Invalid("pattern.pattern_type",
                   absl::StrCat("'", spec.pattern_type(), "' is not a pattern type"));
  }
  p.type = *type;
  auto direction = ParseDirection(spec.direction());
  if (!direction.ok()) {
    return Invalid("pattern.direction", "must be 'bullish' or 'bearish'");
  }
  p.direction = *direction;
  auto start = ParseDayField(spec.formation_start(), "pattern.formation_start", false);
  if (!start.ok()) return start.status();
  auto end = ParseDayField(spec.formation_end(), "pattern.formation_end", false);
  if (!end.ok()) return end.status();
  auto confirm =
      ParseDayField(spec.confirmation_date(), "pattern.confirmation_date", true);
  if (!confirm.ok()) return confirm.status();
  p.formation_start = spec.formation_start().empty() ? *confirm : *start;
  p.formation_end = spec.formation_end().empty() ? *confirm : *end;
  p.confirmation_day = *confirm;
  for (int i = 0; i < spec.key_points_size(); ++i) {
    const v1::KeyPoint& k = spec.key_points(i);
    std::string field = absl::StrCat("pattern.key_points[", i, "].day");
    auto day = ParseDayField(k.day(), field, true);
    if (!day.ok()) return day.status();
    p.key_points.push_back({k.role(), *day, k.price()});
  }
  p.breakout_level = spec.breakout_level();
  p.target = spec.target_price();
  p.stop = spec.stop_price();
  if (!(spec.rule_confidence() >= 0 && spec.rule_confidence() <= 1)) {
    return Invalid("pattern.rule_confidence",
                   absl::StrCat(spec.rule_confidence(), " is outside [0, 1]"));
  }
  p.rule_confidence = spec.rule_confidence();
  for (const auto& [name, value] : spec.rule_criteria()) {
    p.rule_criteria.emplace_back(name, value);
  }
  std::sort(p.rule_criteria.begin(), p.rule_criteria.end());
  return p;
}

absl::StatusOr<BarSeries> BarsFromProto(
    const google::protobuf::RepeatedPtrField<v1::Bar>& bars,
    const std::string& symbol, const std::string& field) {
  BarSeries series;
  series.symbol = symbol;
  for (int i = 0; i < bars.size(); ++i) {
    const v1::Bar& b = bars[i];
    std::string at = absl::StrCat(field, "[", i, "]");
    auto day = ParseDayField(b.day(), at + ".day", true);
    if (!day.ok()) return day.status();
    if (!series.bars.empty() && *day <= series.bars.back().day) {
      return Invalid(at + ".day", absl::StrCat("'", b.day(),
                                               "' is not after the previous bar"));
    }
    for (double v : {b.open(), b.high(), b.low(), b.close()}) {
      if (!(v > 0) || !std::isfinite(v)) {
        return Invalid(at, "prices must be finite and > 0");
      }
    }
    if (b.high() < b.low()) return Invalid(at, "high < low");
    if (!(b.volume() >= 0)) return Invalid(at + ".volume", "must be >= 0");
    series.bars.push_back({*day, b.open(), b.high(), b.low(), b.close(),
                           b.adj_close() > 0 ? b.adj_close() : b.close(),
                           b.volume()});
  }
  return series;
}

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
  // dump() replaces invalid UTF-8 instead of throwing (protobuf strings
  // must be UTF-8 too).
  out->set_model_card_json(
      card.raw.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and grpc share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

}  // namespace pcs
