#include "client/pcs_client_output.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"

namespace pcs::client {

std::string FormatScore(const v1::ScoreResponse& r) {
  std::string out = absl::StrFormat(
      "pattern %s  %s %s\n"
      "  rule confidence     %.4f\n"
      "  ml confidence       %s\n"
      "  blended confidence  %.4f  (ml weight %.2f)\n"
      "  decision            %s  (threshold %.3f)\n"
      "  model version       %s\n",
      r.pattern_id(), r.symbol(), r.pattern_type(), r.rule_confidence(),
      r.has_ml_confidence() ? absl::StrFormat("%.4f", r.ml_confidence())
                            : std::string("-"),
      r.blended_confidence(), r.ml_weight_used(), r.decision(),
      r.decision_threshold(),
      r.model_version().empty() ? "-" : r.model_version());
  if (!r.fallback_reason().empty()) {
    absl::StrAppend(&out, "  fallback            ", r.fallback_reason(), "\n");
  }
  if (r.top_contributions_size() > 0) {
    absl::StrAppendFormat(&out, "  margin %.4f = bias %.4f + contributions\n",
                          r.margin(), r.bias());
    for (const auto& c : r.top_contributions()) {
      absl::StrAppendFormat(&out, "    %-36s value %10.4g  %+.4f\n",
                            c.feature(), c.value(), c.contribution());
      if (!c.reason().empty()) {
        absl::StrAppend(&out, "      ", c.reason(), "\n");
      }
    }
  }
  const auto& t = r.timing();
  absl::StrAppendFormat(
      &out, "  timing us: db %d features %d predict %d shap %d total %d%s\n",
      t.database_us(), t.features_us(), t.predict_us(), t.contributions_us(),
      t.total_us(), r.cache_hit() ? " (cache hit)" : "");
  return out;
}

std::string FormatDescribe(const v1::DescribeModelResponse& d) {
  if (d.version().empty()) {
    return absl::StrCat("no model serving (phase5 ",
                        d.phase5_enabled() ? "enabled" : "disabled",
                        "): responses use the rule confidence\n");
  }
  std::string out = absl::StrFormat(
      "model %s (%s)\n  trained at %s, code %s\n  trees %d, sha256 %s\n"
      "  features %d (schema %s %s)\n  threshold %.3f, blend weight %.2f, "
      "phase5 %s\n",
      d.version(), d.status(), d.trained_at(), d.code_version(), d.num_trees(),
      d.model_sha256(), d.feature_schema().names_size(),
      d.feature_schema().version(), d.feature_schema().hash().substr(0, 12),
      d.decision_threshold(), d.blend_weight(),
      d.phase5_enabled() ? "enabled" : "disabled");
  if (!d.gate_reason().empty()) {
    absl::StrAppend(&out, "  gate: ", d.gate_reason(), "\n");
  }
  for (const auto& [name, value] : d.metrics()) {
    absl::StrAppendFormat(&out, "  %-20s %.4f\n", name, value);
  }
  return out;
}

std::string FormatServingStatus(const v1::GetServingStatusResponse& s) {
  return absl::StrFormat(
      "database %s\nserving version %s\nphase5 %s\nreloads ok %d failed %d%s\n"
      "trace queue %d written %d dropped %d\nuptime %ds\n",
      s.database_reachable() ? "reachable" : "UNREACHABLE",
      s.serving_version().empty() ? "none (rule fallback)"
                                  : s.serving_version(),
      s.phase5_enabled() ? "enabled" : "disabled", s.reloads_succeeded(),
      s.reloads_failed(),
      s.last_reload_error().empty()
          ? ""
          : "\nlast reload error: " + s.last_reload_error(),
      s.trace_queue_depth(), s.trace_written(), s.trace_dropped(),
      s.uptime_seconds());
}

std::string FormatVersions(const v1::ListModelVersionsResponse& v) {
  std::string out = absl::StrFormat("aspired %s%s\n", v.aspired_version(),
                                    v.pinned() ? " (pinned)" : "");
  for (const auto& m : v.versions()) {
    absl::StrAppendFormat(&out, "%s %-18s %-9s %s\n", m.serving() ? "*" : " ",
                          m.version(), m.state(), m.reason());
  }
  return out;
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) return "{\"error\":\"json conversion failed\"}";
  return out;
}

}  // namespace pcs::client
