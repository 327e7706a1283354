#ifndef PCS_MONITORING_MONITORED_MODEL_H_
#define PCS_MONITORING_MONITORED_MODEL_H_

// The model version a monitoring run checks: its card, its scorer
// (TreeEnsemble + calibrator, exactly as the server scores: calibrated
// logistic of the margin) and its drift reference.
//
// Loading reads the folder with the one model-folder reader,
// ReadModelFolder (model/model_card.h), with every check the server makes
// (typed card, sha256s, schema hash == the running FeatureBuilder::Schema(),
// warm-up on reference_rows.json), so monitoring checks exactly a model the
// server would serve. The drift reference comes from the card's
// "feature_reference" when present and valid, otherwise from
// reference_rows.json (see monitoring/feature_reference.h); reference_note
// says which and why.
//
// Threading: immutable after loading; Probability() is thread-safe.
//
// Example:
//   auto dir = ResolveModelDir({.models_dir = "models/phase5"});
//   auto model = MonitoredModel::Load(*dir);
//   double p = (*model)->Probability(row.data());

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/calibrator.h"
#include "model/model_card.h"
#include "model/tree_ensemble.h"
#include "monitoring/feature_reference.h"
#include "monitoring/rolling_accuracy.h"
#include "nlohmann/json.hpp"

namespace pcs {

struct ModelLocation {
  std::string model_dir;   // a version folder; wins when set
  std::string models_dir;  // registry root: its CHAMPION file names the version
};

// The version folder to monitor. Errors: neither given, no CHAMPION (or one
// ReadChampion refuses), folder missing.
absl::StatusOr<std::string> ResolveModelDir(const ModelLocation& location);

class MonitoredModel {
 public:
  static absl::StatusOr<std::unique_ptr<MonitoredModel>> Load(
      const std::string& version_dir);

  const std::string& version() const { return version_; }
  const std::string& dir() const { return dir_; }
  const ModelCard& card() const { return card_; }
  const std::vector<std::string>& feature_names() const {
    return feature_names_;
  }
  // The served decision policy's threshold (ModelCard::Served(): the card's
  // policy, else serving.decision_threshold); its blend weight is
  // card().Served().blend_weight.
  double decision_threshold() const { return decision_threshold_; }
  const CardMetrics& card_metrics() const { return card_metrics_; }
  // Empty when neither the card nor reference_rows.json gave one.
  const std::optional<FeatureReference>& reference() const {
    return reference_;
  }
  const std::string& reference_note() const { return reference_note_; }

  // Calibrated probability of one feature row (feature_names().size() values).
  double Probability(const float* row) const;

 private:
  MonitoredModel(TreeEnsemble ensemble, Calibrator calibrator)
      : ensemble_(std::move(ensemble)), calibrator_(std::move(calibrator)) {}

  std::string version_;
  std::string dir_;
  ModelCard card_;
  std::vector<std::string> feature_names_;
  double decision_threshold_ = 0.5;
  CardMetrics card_metrics_;
  std::optional<FeatureReference> reference_;
  std::string reference_note_;
  TreeEnsemble ensemble_;
  Calibrator calibrator_;
};

// What the server serves at `location`: --model DIR, else the pinned
// version (`pin_version`) of --models-dir, else its CHAMPION. With
// --models-dir, no pin and no CHAMPION file the server answers with the rule
// confidence alone: `model` is null and `note` says so.
struct ServedModelChoice {
  std::unique_ptr<MonitoredModel> model;  // null: rule confidence alone
  std::string dir;
  std::string note;  // the model's reference_note, or why there is none
};
absl::StatusOr<ServedModelChoice> LoadServedModel(
    const ModelLocation& location, const std::string& pin_version);

// Rolling-accuracy options that judge what `model` serves: its decision
// threshold and its card's policy (ModelCard::Served(), with the policy's
// precision tolerance); without a model, rule-only at `rule_threshold`.
RollingAccuracyOptions ServedAccuracyOptions(const MonitoredModel* model,
                                             double rule_threshold);

}  // namespace pcs

#endif  // PCS_MONITORING_MONITORED_MODEL_H_
