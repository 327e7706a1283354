#include "monitoring/monitored_model.h"

#include <cmath>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "features/feature_builder.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;

// The card's feature_reference, guarded: any JSON shape (the card reader
// checks only that it is an object) becomes a Status, never an exception.
absl::StatusOr<FeatureReference> CardReference(
    const nlohmann::json& json, const std::vector<std::string>& names) {
  try {
    return ParseFeatureReference(json, names);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed: ", e.what()));
  }
}

}  // namespace

absl::StatusOr<std::string> ResolveModelDir(const ModelLocation& location) {
  if (!location.model_dir.empty()) {
    if (!fs::is_directory(location.model_dir)) {
      return absl::NotFoundError(
          absl::StrCat("model folder ", location.model_dir, " not found"));
    }
    return location.model_dir;
  }
  if (location.models_dir.empty()) {
    return absl::InvalidArgumentError("give --model DIR or --models-dir DIR");
  }
  absl::StatusOr<std::optional<std::string>> champion =
      ReadChampion(location.models_dir);
  if (!champion.ok()) {
    return absl::Status(
        champion.status().code(),
        absl::StrCat(location.models_dir, "/", champion.status().message()));
  }
  if (!champion->has_value()) {
    return absl::NotFoundError(absl::StrCat(
        location.models_dir, "/CHAMPION does not exist: no champion model"));
  }
  const fs::path dir = fs::path(location.models_dir) / **champion;
  if (!fs::is_directory(dir)) {
    return absl::NotFoundError(
        absl::StrCat("champion ", **champion, " has no folder ", dir.string()));
  }
  return dir.string();
}

absl::StatusOr<std::unique_ptr<MonitoredModel>> MonitoredModel::Load(
    const std::string& version_dir) {
  const FeatureSchema& schema = FeatureBuilder::Schema();
  absl::StatusOr<ModelFolder> folder = ReadModelFolder(
      version_dir, schema.hash, static_cast<int>(schema.names.size()));
  if (!folder.ok()) return folder.status();

  std::unique_ptr<MonitoredModel> m(new MonitoredModel(
      std::move(folder->ensemble), std::move(folder->calibrator)));
  m->dir_ = version_dir;
  m->version_ =
      folder->card.version.empty() ? folder->version : folder->card.version;
  m->feature_names_ = schema.names;
  m->decision_threshold_ = folder->card.Served().threshold;
  m->card_metrics_ = ParseCardMetrics(folder->card.raw);
  std::string why;
  if (!folder->card.feature_reference.is_null()) {
    auto ref = CardReference(folder->card.feature_reference, m->feature_names_);
    if (ref.ok()) {
      m->reference_ = std::move(*ref);
      m->reference_note_ = "model_card.json feature_reference";
    } else {
      why = absl::StrCat("card feature_reference unusable (",
                         ref.status().message(), ")");
    }
  } else {
    why = "card has no feature_reference";
  }
  if (!m->reference_) {
    std::vector<std::vector<float>> rows;
    std::vector<double> scores;
    for (const ReferenceRow& r : folder->reference_rows) {
      rows.push_back(r.features);
      scores.push_back(r.probability);
    }
    auto ref = BuildFeatureReference(m->feature_names_, rows, scores);
    if (ref.ok()) {
      ref->source = "reference_rows.json";
      const int64_t n = static_cast<int64_t>(rows.size());
      m->reference_note_ =
          absl::StrCat(why, "; binned reference_rows.json (", n, " rows",
                       n < 200 ? ", too few for stable deciles" : "", ")");
      m->reference_ = std::move(*ref);
    } else {
      m->reference_note_ = absl::StrCat(why, "; reference_rows.json unusable (",
                                        ref.status().message(), ")");
    }
  }
  m->card_ = std::move(folder->card);
  return m;
}

double MonitoredModel::Probability(const float* row) const {
  return CalibratedProbability(calibrator_, ensemble_.PredictMargin(row));
}

absl::StatusOr<ServedModelChoice> LoadServedModel(
    const ModelLocation& location, const std::string& pin_version) {
  ServedModelChoice out;
  ModelLocation where = location;
  if (where.model_dir.empty() && !pin_version.empty()) {
    where.model_dir = (fs::path(where.models_dir) / pin_version).string();
  }
  if (where.model_dir.empty() && !where.models_dir.empty() &&
      !fs::exists(fs::path(where.models_dir) / "CHAMPION")) {
    out.dir = where.models_dir;
    out.note = absl::StrCat("no CHAMPION in ", where.models_dir,
                            " and no --pin-version: the server answers with "
                            "the rule confidence alone");
    return out;
  }
  absl::StatusOr<std::string> dir = ResolveModelDir(where);
  if (!dir.ok()) return dir.status();
  absl::StatusOr<std::unique_ptr<MonitoredModel>> loaded =
      MonitoredModel::Load(*dir);
  if (!loaded.ok()) return loaded.status();
  out.model = *std::move(loaded);
  out.dir = *dir;
  out.note = out.model->reference_note();
  return out;
}

RollingAccuracyOptions ServedAccuracyOptions(const MonitoredModel* model,
                                             double rule_threshold) {
  RollingAccuracyOptions ro;
  ro.rule_threshold = rule_threshold;
  ro.decision_threshold =
      model != nullptr ? model->decision_threshold() : rule_threshold;
  // The served decision policy (without a card policy: the pre-policy
  // default the server then uses; rule-only without a model).
  ro.policy_blend_weight = 0;
  ro.policy_threshold = rule_threshold;
  if (model != nullptr) {
    const ServedPolicy served = model->card().Served();
    ro.policy_blend_weight = served.blend_weight;
    ro.policy_threshold = served.threshold;
    if (model->card().policy) {
      ro.policy_precision_tolerance = model->card().policy->precision_tolerance;
    }
  }
  return ro;
}

}  // namespace pcs
