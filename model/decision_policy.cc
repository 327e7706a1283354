#include "model/decision_policy.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

using Json = nlohmann::json;

Json Num(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

Json PointJson(const OperatingPointFigures& p) {
  return {{"threshold", Num(p.threshold)},
          {"confirmed", p.confirmed},
          {"true_positives", p.true_positives},
          {"precision", Num(p.precision)}};
}

absl::Status Bad(const std::string& path, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("model_card.json: ", path, " must be ", want));
}

// The field `key` of `object` at `path`: required, a number (null allowed
// when `nullable`: read as NaN), within [lo, hi].
absl::Status Number(const Json& object, const char* key,
                    const std::string& path, double lo, double hi,
                    bool nullable, double* out) {
  const std::string field = absl::StrCat(path, ".", key);
  auto it = object.find(key);
  if (it == object.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("model_card.json: ", field, " is missing"));
  }
  if (it->is_null() && nullable) {
    *out = NAN;
    return absl::OkStatus();
  }
  if (!it->is_number()) return Bad(field, "a number");
  const double v = it->get<double>();
  if (!(v >= lo && v <= hi)) {
    return Bad(field, absl::StrCat("a number in [", lo, ", ", hi, "]"));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status Count(const Json& object, const char* key, const std::string& path,
                   int* out) {
  double v = 0;
  if (absl::Status s = Number(object, key, path, 0, 1e9, false, &v); !s.ok())
    return s;
  if (v != std::floor(v))
    return Bad(absl::StrCat(path, ".", key), "an integer");
  *out = static_cast<int>(v);
  return absl::OkStatus();
}

absl::StatusOr<const Json*> Object(const Json& parent, const char* key,
                                   const std::string& path) {
  auto it = parent.find(key);
  const std::string field = absl::StrCat(path, ".", key);
  if (it == parent.end() || it->is_null()) {
    return absl::InvalidArgumentError(
        absl::StrCat("model_card.json: ", field, " is missing"));
  }
  if (!it->is_object()) return Bad(field, "an object");
  return &*it;
}

absl::Status ParsePoint(const Json& j, const std::string& path,
                        OperatingPointFigures* p) {
  if (!j.is_object()) return Bad(path, "an object");
  if (absl::Status s = Number(j, "threshold", path, 0, 1, false, &p->threshold);
      !s.ok())
    return s;
  if (absl::Status s = Count(j, "confirmed", path, &p->confirmed); !s.ok())
    return s;
  if (absl::Status s = Count(j, "true_positives", path, &p->true_positives);
      !s.ok())
    return s;
  if (p->true_positives > p->confirmed) {
    return Bad(path + ".true_positives", "at most confirmed");
  }
  return Number(j, "precision", path, 0, 1, /*nullable=*/true, &p->precision);
}

absl::Status ParseInterval(const Json& j, const char* key,
                           const std::string& path, double* low, double* high) {
  const std::string field = absl::StrCat(path, ".", key);
  auto it = j.find(key);
  if (it == j.end() || !it->is_array() || it->size() != 2) {
    return Bad(field, "an array of two numbers (or nulls)");
  }
  double* outs[2] = {low, high};
  for (int i = 0; i < 2; ++i) {
    const Json& v = (*it)[i];
    if (v.is_null()) {
      *outs[i] = NAN;
    } else if (v.is_number()) {
      *outs[i] = v.get<double>();
    } else {
      return Bad(field, "an array of two numbers (or nulls)");
    }
  }
  return absl::OkStatus();
}

absl::Status ParseEvidence(const Json& j, const std::string& path,
                           PolicyEvidence* e) {
  if (absl::Status s = Count(j, "rows", path, &e->rows); !s.ok()) return s;
  for (auto [key, out] :
       {std::pair{"rule", &e->rule}, std::pair{"policy", &e->policy}}) {
    absl::StatusOr<const Json*> o = Object(j, key, path);
    if (!o.ok()) return o.status();
    if (absl::Status s = ParsePoint(**o, absl::StrCat(path, ".", key), out);
        !s.ok())
      return s;
  }
  if (absl::Status s = Number(j, "tp_lift", path, -1, 1e9, true, &e->tp_lift);
      !s.ok())
    return s;
  if (absl::Status s =
          Number(j, "precision_diff", path, -1, 1, true, &e->precision_diff);
      !s.ok())
    return s;
  if (absl::Status s = ParseInterval(j, "tp_lift_ci95", path,
                                     &e->tp_lift_ci_low, &e->tp_lift_ci_high);
      !s.ok())
    return s;
  if (absl::Status s =
          ParseInterval(j, "precision_diff_ci95", path,
                        &e->precision_diff_ci_low, &e->precision_diff_ci_high);
      !s.ok())
    return s;
  auto sens = j.find("sensitivity");
  const std::string spath = path + ".sensitivity";
  if (sens == j.end() || !sens->is_array()) return Bad(spath, "an array");
  for (size_t i = 0; i < sens->size(); ++i) {
    const std::string ipath = absl::StrCat(spath, "[", i, "]");
    OperatingPointFigures p;
    if (absl::Status s = ParsePoint((*sens)[i], ipath, &p); !s.ok()) return s;
    double low = 0;
    if (absl::Status s = Number((*sens)[i], "precision_diff_ci95_low", ipath,
                                -1, 1, true, &low);
        !s.ok())
      return s;
    e->sensitivity.push_back(p);
    e->sensitivity_precision_diff_ci_low.push_back(low);
  }
  return absl::OkStatus();
}

absl::Status Text(const Json& j, const char* key, const std::string& path,
                  std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return Bad(absl::StrCat(path, ".", key), "a string");
  }
  *out = it->get<std::string>();
  return absl::OkStatus();
}

}  // namespace

Json DecisionPolicyToJson(const DecisionPolicy& p) {
  const PolicyEvidence& e = p.evidence;
  Json sensitivity = Json::array();
  for (size_t i = 0; i < e.sensitivity.size(); ++i) {
    Json s = PointJson(e.sensitivity[i]);
    s["precision_diff_ci95_low"] =
        Num(i < e.sensitivity_precision_diff_ci_low.size()
                ? e.sensitivity_precision_diff_ci_low[i]
                : NAN);
    sensitivity.push_back(s);
  }
  return {{"blend_weight", p.blend_weight},
          {"threshold", p.threshold},
          {"rule_threshold", p.rule_threshold},
          {"precision_tolerance", p.precision_tolerance},
          {"analytic_baseline",
           p.has_analytic ? Json{{"blend_weight", p.analytic_blend_weight},
                                 {"threshold", p.analytic_threshold}}
                          : Json(nullptr)},
          {"chosen_on", p.chosen_on},
          {"procedure", p.procedure},
          {"out_of_sample",
           {{"rows", e.rows},
            {"rule", PointJson(e.rule)},
            {"policy", PointJson(e.policy)},
            {"tp_lift", Num(e.tp_lift)},
            {"tp_lift_ci95", {Num(e.tp_lift_ci_low), Num(e.tp_lift_ci_high)}},
            {"precision_diff", Num(e.precision_diff)},
            {"precision_diff_ci95",
             {Num(e.precision_diff_ci_low), Num(e.precision_diff_ci_high)}},
            {"sensitivity", sensitivity}}}};
}

absl::StatusOr<std::optional<DecisionPolicy>> ParseDecisionPolicy(
    const Json& card) {
  if (!card.is_object()) return std::nullopt;
  auto it = card.find("policy");
  if (it == card.end() || it->is_null()) return std::nullopt;
  const Json& j = *it;
  const std::string path = "policy";
  if (!j.is_object()) return Bad(path, "an object");
  DecisionPolicy p;
  for (auto [key, out] :
       {std::pair{"blend_weight", &p.blend_weight},
        std::pair{"threshold", &p.threshold},
        std::pair{"rule_threshold", &p.rule_threshold},
        std::pair{"precision_tolerance", &p.precision_tolerance}}) {
    if (absl::Status s = Number(j, key, path, 0, 1, false, out); !s.ok())
      return s;
  }
  if (auto a = j.find("analytic_baseline"); a != j.end() && !a->is_null()) {
    if (!a->is_object()) return Bad(path + ".analytic_baseline", "an object");
    const std::string apath = path + ".analytic_baseline";
    if (absl::Status s = Number(*a, "blend_weight", apath, 0, 1, false,
                                &p.analytic_blend_weight);
        !s.ok())
      return s;
    if (absl::Status s =
            Number(*a, "threshold", apath, 0, 1, false, &p.analytic_threshold);
        !s.ok())
      return s;
    p.has_analytic = true;
  }
  if (absl::Status s = Text(j, "chosen_on", path, &p.chosen_on); !s.ok())
    return s;
  if (absl::Status s = Text(j, "procedure", path, &p.procedure); !s.ok())
    return s;
  absl::StatusOr<const Json*> evidence = Object(j, "out_of_sample", path);
  if (!evidence.ok()) return evidence.status();
  if (absl::Status s =
          ParseEvidence(**evidence, path + ".out_of_sample", &p.evidence);
      !s.ok())
    return s;
  return p;
}

ServedPolicy ServedPolicyOf(const std::optional<DecisionPolicy>& policy,
                            double serving_blend_weight,
                            double serving_decision_threshold) {
  if (policy.has_value()) {
    return {policy->blend_weight, policy->threshold, true};
  }
  return {serving_blend_weight, serving_decision_threshold, false};
}

}  // namespace pcs
