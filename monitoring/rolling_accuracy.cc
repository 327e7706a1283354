#include "monitoring/rolling_accuracy.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lifecycle/confidence_blender.h"
#include "model/metrics.h"

namespace pcs {
namespace {

// model/metrics.h returns NaN where a metric does not exist; the report
// carries that as "no value".
std::optional<double> Value(double v) {
  if (std::isnan(v)) return std::nullopt;
  return v;
}

}  // namespace

namespace {

void Count(PrecisionAt& p, bool confirmed, int label) {
  if (!confirmed) return;
  ++p.confirmed;
  p.true_positives += label;
}

void Finish(PrecisionAt& p) {
  if (p.confirmed > 0)
    p.precision = static_cast<double>(p.true_positives) / p.confirmed;
}

std::optional<double> FindNumber(const nlohmann::json& object,
                                 std::initializer_list<const char*> keys) {
  if (!object.is_object()) return std::nullopt;
  for (const char* key : keys) {
    auto it = object.find(key);
    if (it != object.end() && it->is_number()) return it->get<double>();
  }
  return std::nullopt;
}

const nlohmann::json* FindScorer(const nlohmann::json& metrics,
                                 const std::string& name) {
  auto it = metrics.find("scorers");
  if (it == metrics.end() || !it->is_array()) return nullptr;
  for (const nlohmann::json& s : *it) {
    if (!s.is_object()) continue;
    auto n = s.find("name");  // value("name", "") would throw on a non-string
    if (n != s.end() && n->is_string() && n->get<std::string>() == name)
      return &s;
  }
  return nullptr;
}

void Fill(std::optional<double>& out, std::optional<double> value) {
  if (!out && value) out = value;
}

}  // namespace

CardMetrics ParseCardMetrics(const nlohmann::json& card) {
  CardMetrics m;
  if (!card.is_object() || !card.contains("metrics")) return m;
  const nlohmann::json& metrics = card.at("metrics");
  if (!metrics.is_object()) return m;
  std::vector<const nlohmann::json*> places;
  for (const char* key : {"walk_forward", "holdout", "test"}) {
    if (metrics.contains(key) && metrics.at(key).is_object())
      places.push_back(&metrics.at(key));
  }
  places.push_back(&metrics);
  for (const nlohmann::json* place : places) {
    Fill(m.roc_auc, FindNumber(*place, {"roc_auc", "auc", "model_roc_auc"}));
    Fill(m.brier, FindNumber(*place, {"brier", "model_brier"}));
    Fill(m.ece, FindNumber(*place, {"ece", "model_ece"}));
    Fill(m.precision, FindNumber(*place, {"precision", "precision_at_threshold",
                                          "model_precision"}));
    Fill(m.rule_precision, FindNumber(*place, {"rule_precision"}));
    if (const nlohmann::json* model = FindScorer(*place, "model")) {
      Fill(m.roc_auc, FindNumber(*model, {"roc_auc", "auc"}));
      Fill(m.brier, FindNumber(*model, {"brier"}));
      Fill(m.ece, FindNumber(*model, {"ece"}));
    }
  }
  return m;
}

WindowAccuracy ComputeWindowAccuracy(const std::string& window,
                                     const std::vector<ScoredOutcome>& rows,
                                     const RollingAccuracyOptions& options) {
  WindowAccuracy w;
  w.window = window;
  std::vector<double> scores;
  std::vector<int> labels;
  for (const ScoredOutcome& r : rows) {
    ++w.rows;
    w.positives += r.label;
    const bool rule_confirms = r.rule_confidence >= options.rule_threshold;
    Count(w.rule, rule_confirms, r.label);
    const bool has_ml = r.ml_confidence && std::isfinite(*r.ml_confidence);
    Count(w.policy,
          has_ml ? BlendConfidence(r.rule_confidence, *r.ml_confidence,
                                   {.enabled = true,
                                    .ml_weight = options.policy_blend_weight})
                           .blended >= options.policy_threshold
                 : rule_confirms,
          r.label);
    if (r.blended_confidence) {
      Count(w.blended, *r.blended_confidence >= options.decision_threshold,
            r.label);
    }
    if (!r.ml_confidence || !std::isfinite(*r.ml_confidence)) {
      ++w.fallback_rows;
      continue;
    }
    ++w.scored_rows;
    Count(w.ml, *r.ml_confidence >= options.decision_threshold, r.label);
    scores.push_back(*r.ml_confidence);
    labels.push_back(r.label);
  }
  Finish(w.ml);
  Finish(w.rule);
  Finish(w.blended);
  Finish(w.policy);
  if (w.rows > 0) {
    w.policy_confirmation_rate =
        static_cast<double>(w.policy.confirmed) / w.rows;
    w.rule_confirmation_rate = static_cast<double>(w.rule.confirmed) / w.rows;
  }
  if (w.positives > 0) {
    w.policy_tp_rate =
        static_cast<double>(w.policy.true_positives) / w.positives;
    w.rule_tp_rate = static_cast<double>(w.rule.true_positives) / w.positives;
  }
  if (!scores.empty()) {
    w.roc_auc = Value(metrics::RocAuc(scores, labels));
    w.brier = Value(metrics::BrierScore(scores, labels));
    w.ece = Value(metrics::ExpectedCalibrationError(scores, labels,
                                                    options.calibration_bins));
  }
  return w;
}

namespace {

void ComparePolicy(const WindowAccuracy& w, double tolerance,
                   std::vector<AccuracyFinding>& out) {
  if (w.policy.precision && w.rule.precision &&
      *w.policy.precision < *w.rule.precision - tolerance) {
    out.push_back(
        {w.window, kPolicyPrecisionFinding, *w.policy.precision,
         *w.rule.precision,
         absl::StrCat("policy precision ", *w.policy.precision, " (",
                      w.policy.confirmed, " confirmed) below rule-only ",
                      *w.rule.precision, " (", w.rule.confirmed,
                      " confirmed) by more than the card's tolerance ",
                      tolerance)});
  }
}

void Compare(const WindowAccuracy& w, const CardMetrics& card,
             const AccuracyTolerances& t, std::vector<AccuracyFinding>& out) {
  if (w.ml.precision && w.rule.precision &&
      *w.ml.precision < *w.rule.precision) {
    out.push_back(
        {w.window, "precision_vs_rule", *w.ml.precision, *w.rule.precision,
         absl::StrCat("ML-confirmed precision ", *w.ml.precision, " (",
                      w.ml.confirmed, " confirmed) below rule-confirmed ",
                      *w.rule.precision, " (", w.rule.confirmed,
                      " confirmed)")});
  }
  if (w.roc_auc && card.roc_auc && *w.roc_auc < *card.roc_auc - t.auc_drop) {
    out.push_back(
        {w.window, "roc_auc", *w.roc_auc, *card.roc_auc,
         absl::StrCat("ROC-AUC ", *w.roc_auc, " vs card ", *card.roc_auc)});
  }
  if (w.brier && card.brier && *w.brier > *card.brier + t.brier_rise) {
    out.push_back({w.window, "brier", *w.brier, *card.brier,
                   absl::StrCat("Brier ", *w.brier, " vs card ", *card.brier)});
  }
  if (w.ece && card.ece && *w.ece > *card.ece + t.ece_rise) {
    out.push_back({w.window, "ece", *w.ece, *card.ece,
                   absl::StrCat("ECE ", *w.ece, " vs card ", *card.ece)});
  }
}

}  // namespace

RollingAccuracyReport ComputeRollingAccuracy(
    std::vector<ScoredOutcome> rows, const RollingAccuracyOptions& options,
    const CardMetrics& card, const AccuracyTolerances& tolerances) {
  // Most recently resolved first; id breaks ties so the window is stable.
  std::sort(rows.begin(), rows.end(),
            [](const ScoredOutcome& a, const ScoredOutcome& b) {
              if (a.resolved_day != b.resolved_day)
                return a.resolved_day > b.resolved_day;
              return a.pattern_id < b.pattern_id;
            });
  std::vector<ScoredOutcome> last_n;
  for (const ScoredOutcome& r : rows) {
    if (static_cast<int>(last_n.size()) >= options.last_n) break;
    // N *scored* patterns resolved by as_of.
    if (r.ml_confidence && r.resolved_day <= options.as_of) last_n.push_back(r);
  }
  std::vector<ScoredOutcome> recent;
  for (const ScoredOutcome& r : rows) {
    if (r.resolved_day <= options.as_of &&
        r.resolved_day > options.as_of - options.window_days) {
      recent.push_back(r);
    }
  }
  RollingAccuracyReport report;
  report.card = card;
  report.windows.push_back(ComputeWindowAccuracy(
      absl::StrCat("last_", options.last_n), last_n, options));
  report.windows.push_back(ComputeWindowAccuracy(
      absl::StrCat(options.window_days, "d"), recent, options));
  for (const WindowAccuracy& w : report.windows) {
    if (w.scored_rows >= options.min_rows_for_verdict) {
      Compare(w, card, tolerances, report.degraded);
    }
    if (w.rows >= options.min_rows_for_verdict) {
      ComparePolicy(w, options.policy_precision_tolerance, report.degraded);
    }
  }
  return report;
}

namespace {

nlohmann::json Optional(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json PrecisionJson(const PrecisionAt& p) {
  return {{"confirmed", p.confirmed},
          {"true_positives", p.true_positives},
          {"precision", Optional(p.precision)}};
}

}  // namespace

nlohmann::json WindowAccuracyToJson(const WindowAccuracy& w) {
  return {{"window", w.window},
          {"rows", w.rows},
          {"scored_rows", w.scored_rows},
          {"fallback_rows", w.fallback_rows},
          {"positives", w.positives},
          {"ml", PrecisionJson(w.ml)},
          {"rule", PrecisionJson(w.rule)},
          {"blended", PrecisionJson(w.blended)},
          {"policy", PrecisionJson(w.policy)},
          {"policy_confirmation_rate", Optional(w.policy_confirmation_rate)},
          {"rule_confirmation_rate", Optional(w.rule_confirmation_rate)},
          {"policy_tp_rate", Optional(w.policy_tp_rate)},
          {"rule_tp_rate", Optional(w.rule_tp_rate)},
          {"roc_auc", Optional(w.roc_auc)},
          {"brier", Optional(w.brier)},
          {"ece", Optional(w.ece)}};
}

nlohmann::json RollingAccuracyReportToJson(
    const RollingAccuracyReport& report) {
  nlohmann::json windows = nlohmann::json::array();
  for (const WindowAccuracy& w : report.windows)
    windows.push_back(WindowAccuracyToJson(w));
  nlohmann::json degraded = nlohmann::json::array();
  for (const AccuracyFinding& f : report.degraded) {
    degraded.push_back({{"window", f.window},
                        {"metric", f.metric},
                        {"value", f.value},
                        {"reference", f.reference},
                        {"detail", f.detail}});
  }
  return {{"windows", windows},
          {"card",
           {{"roc_auc", Optional(report.card.roc_auc)},
            {"brier", Optional(report.card.brier)},
            {"ece", Optional(report.card.ece)},
            {"precision", Optional(report.card.precision)},
            {"rule_precision", Optional(report.card.rule_precision)}}},
          {"degraded", degraded}};
}

}  // namespace pcs

namespace pcs {
namespace {

// Reads the fields RollingAccuracyReportToJson writes; each error names the
// field (e.g. "windows[1].policy.confirmed: not a number").
class JsonReader {
 public:
  absl::Status status() const { return status_; }

  const nlohmann::json* Field(const nlohmann::json& object,
                              const std::string& path, const char* key) {
    if (!object.is_object() || !object.contains(key)) {
      Fail(path, key, "missing");
      return nullptr;
    }
    return &object.at(key);
  }
  int Int(const nlohmann::json& object, const std::string& path,
          const char* key) {
    const nlohmann::json* v = Field(object, path, key);
    if (v == nullptr) return 0;
    if (!v->is_number_integer()) Fail(path, key, "not an integer");
    return v->is_number_integer() ? v->get<int>() : 0;
  }
  // Optional values: missing (a run stored before the field existed) or null
  // is "no value".
  std::optional<double> Number(const nlohmann::json& object,
                               const std::string& path, const char* key) {
    if (!object.is_object() || !object.contains(key)) return std::nullopt;
    const nlohmann::json* v = &object.at(key);
    if (v->is_null()) return std::nullopt;
    if (!v->is_number()) {
      Fail(path, key, "not a number or null");
      return std::nullopt;
    }
    return v->get<double>();
  }
  std::string String(const nlohmann::json& object, const std::string& path,
                     const char* key) {
    const nlohmann::json* v = Field(object, path, key);
    if (v == nullptr) return "";
    if (!v->is_string()) Fail(path, key, "not a string");
    return v->is_string() ? v->get<std::string>() : "";
  }
  PrecisionAt Precision(const nlohmann::json& object, const std::string& path,
                        const char* key) {
    PrecisionAt p;
    const nlohmann::json* v = Field(object, path, key);
    if (v == nullptr) return p;
    const std::string at = absl::StrCat(path, ".", key);
    p.confirmed = Int(*v, at, "confirmed");
    p.true_positives = Int(*v, at, "true_positives");
    p.precision = Number(*v, at, "precision");
    return p;
  }

 private:
  void Fail(const std::string& path, const char* key, const char* what) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(
          absl::StrCat("rolling accuracy JSON: ", path, ".", key, ": ", what));
    }
  }
  absl::Status status_;
};

WindowAccuracy ReadWindow(JsonReader& in, const nlohmann::json& w,
                          const std::string& at) {
  WindowAccuracy a;
  a.window = in.String(w, at, "window");
  a.rows = in.Int(w, at, "rows");
  a.scored_rows = in.Int(w, at, "scored_rows");
  a.fallback_rows = in.Int(w, at, "fallback_rows");
  a.positives = in.Int(w, at, "positives");
  a.ml = in.Precision(w, at, "ml");
  a.rule = in.Precision(w, at, "rule");
  a.blended = in.Precision(w, at, "blended");
  a.policy = in.Precision(w, at, "policy");
  a.policy_confirmation_rate = in.Number(w, at, "policy_confirmation_rate");
  a.rule_confirmation_rate = in.Number(w, at, "rule_confirmation_rate");
  a.policy_tp_rate = in.Number(w, at, "policy_tp_rate");
  a.rule_tp_rate = in.Number(w, at, "rule_tp_rate");
  a.roc_auc = in.Number(w, at, "roc_auc");
  a.brier = in.Number(w, at, "brier");
  a.ece = in.Number(w, at, "ece");
  return a;
}

}  // namespace

absl::StatusOr<RollingAccuracyReport> RollingAccuracyReportFromJson(
    const nlohmann::json& json) {
  JsonReader in;
  RollingAccuracyReport report;
  const nlohmann::json* windows = in.Field(json, "report", "windows");
  if (windows != nullptr && !windows->is_array()) {
    return absl::InvalidArgumentError(
        "rolling accuracy JSON: report.windows: not an array");
  }
  for (size_t i = 0; windows != nullptr && i < windows->size(); ++i) {
    report.windows.push_back(
        ReadWindow(in, (*windows)[i], absl::StrCat("windows[", i, "]")));
  }
  if (const nlohmann::json* card = in.Field(json, "report", "card")) {
    report.card.roc_auc = in.Number(*card, "card", "roc_auc");
    report.card.brier = in.Number(*card, "card", "brier");
    report.card.ece = in.Number(*card, "card", "ece");
    report.card.precision = in.Number(*card, "card", "precision");
    report.card.rule_precision = in.Number(*card, "card", "rule_precision");
  }
  const nlohmann::json* degraded = in.Field(json, "report", "degraded");
  for (size_t i = 0;
       degraded != nullptr && degraded->is_array() && i < degraded->size();
       ++i) {
    const nlohmann::json& f = (*degraded)[i];
    const std::string at = absl::StrCat("degraded[", i, "]");
    report.degraded.push_back({in.String(f, at, "window"),
                               in.String(f, at, "metric"),
                               in.Number(f, at, "value").value_or(0),
                               in.Number(f, at, "reference").value_or(0),
                               in.String(f, at, "detail")});
  }
  if (!in.status().ok()) return in.status();
  return report;
}

}  // namespace pcs
