#include "monitoring/monitored_model.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "features/feature_builder.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<nlohmann::json> ReadJson(const fs::path& path) {
  auto text = ReadText(path);
  if (!text.ok()) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path.string(), ": not JSON"));
  return j;
}

absl::Status CheckSchema(const nlohmann::json& card, std::vector<std::string>& names) {
  const FeatureSchema& ours = FeatureBuilder::Schema();
  auto it = card.find("feature_schema");
  if (it == card.end() || !it->is_object()) {
    return absl::InvalidArgumentError("model_card.json has no feature_schema");
  }
  const std::string hash = it->value("hash", "");
  if (hash != ours.hash) {
    return absl::FailedPreconditionError(
        absl::StrCat("feature schema mismatch: card hash '", hash, "' != this build's ",
                     ours.version, " '", ours.hash, "'"));
  }
  names = ours.names;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ResolveModelDir(const ModelLocation& location) {
  if (!location.model_dir.empty()) {
    if (!fs::is_directory(location.model_dir)) {
      return absl::NotFoundError(absl::StrCat("model folder ", location.model_dir, " not found"));
    }
    return location.model_dir;
  }
  if (location.models_dir.empty()) {
    return absl::InvalidArgumentError("give --model DIR or --models-dir DIR");
  }
  auto champion = ReadText(fs::path(location.models_dir) / "CHAMPION");
  if (!champion.ok()) return champion.status();
  const std::string version(absl::StripAsciiWhitespace(*champion));
  if (version.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(location.models_dir, "/CHAMPION is empty: no champion model"));
  }
  const fs::path dir = fs::path(location.models_dir) / version;
  if (!fs::is_directory(dir)) {
    return absl::NotFoundError(absl::StrCat("champion ", version, " has no folder ", dir.string()));
  }
  return dir.string();
}

absl::StatusOr<std::unique_ptr<MonitoredModel>> MonitoredModel::Load(
    const std::string& version_dir) {
  const fs::path dir(version_dir);
  auto card = ReadJson(dir / "model_card.json");
  if (!card.ok()) return card.status();
  std::vector<std::string> names;
  if (absl::Status s = CheckSchema(*card, names); !s.ok()) return s;
  auto ensemble =
      TreeEnsemble::FromXGBoostJsonFile((dir / card->value("model_file", "model.json")).string());
  if (!ensemble.ok()) return ensemble.status();
  if (ensemble->num_features() != static_cast<int>(names.size())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model has ", ensemble->num_features(), " features, schema has ", names.size()));
  }
  if (!card->contains("calibration")) {
    return absl::InvalidArgumentError("model_card.json has no calibration");
  }
  auto calibrator = Calibrator::FromJson(card->at("calibration"));
  if (!calibrator.ok()) return calibrator.status();

  std::unique_ptr<MonitoredModel> m(
      new MonitoredModel(std::move(*ensemble), std::move(*calibrator)));
  m->dir_ = dir.string();
  m->version_ = card->value("version", dir.filename().string());
  m->feature_names_ = std::move(names);
  if (card->contains("serving") && card->at("serving").is_object()) {
    m->decision_threshold_ = card->at("serving").value("decision_threshold", 0.5);
  }
  m->card_metrics_ = ParseCardMetrics(*card);
  std::string why;
  if (card->contains("feature_reference")) {
    auto ref = ParseFeatureReference(card->at("feature_reference"), m->feature_names_);
    if (ref.ok()) {
      m->reference_ = std::move(*ref);
      m->reference_note_ = "model_card.json feature_reference";
    } else {
      why = absl::StrCat("card feature_reference unusable (", ref.status().message(), ")");
    }
  } else {
    why = "card has no feature_reference";
  }
  if (!m->reference_) {
    auto rows = ReadJson(dir / card->value("reference_rows_file", "reference_rows.json"));
    auto ref = rows.ok() ? FeatureReferenceFromRows(*rows, m->feature_names_)
                         : absl::StatusOr<FeatureReference>(rows.status());
    if (ref.ok()) {
      const int64_t n = ref->score ? ref->score->count
                                   : (ref->features.empty() ? 0 : ref->features[0].count);
      m->reference_note_ = absl::StrCat(why, "; binned reference_rows.json (", n, " rows",
                                        n < 200 ? ", too few for stable deciles" : "", ")");
      m->reference_ = std::move(*ref);
    } else {
      m->reference_note_ = absl::StrCat(why, "; reference_rows.json unusable (",
                                        ref.status().message(), ")");
    }
  }
  m->card_ = std::move(*card);
  return m;
}

double MonitoredModel::Probability(const float* row) const {
  const double margin = ensemble_.PredictMargin(row);
  return calibrator_.Apply(1.0 / (1.0 + std::exp(-margin)));
}

}  // namespace pcs
