#include "server/model_loader.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "features/feature_builder.h"
#include "features/sha256.h"

namespace pcs {
namespace fs = std::filesystem;

namespace {

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path.string(), " is missing"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<nlohmann::json> ReadJson(const fs::path& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  nlohmann::json json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), " is not valid JSON"));
  }
  return json;
}

std::string CardString(const nlohmann::json& card, const char* key) {
  auto it = card.find(key);
  return it != card.end() && it->is_string() ? it->get<std::string>() : "";
}

absl::Status CheckSha(const fs::path& file, const std::string& expected,
                      const char* card_field) {
  auto actual = Sha256HexOfFile(file.string());
  if (!actual.ok()) return actual.status();
  if (*actual != expected) {
    return absl::DataLossError(absl::StrCat(
        "sha256 of ", file.string(), " is ", *actual, " but model_card.json ",
        card_field, " says '", expected, "'"));
  }
  return absl::OkStatus();
}

absl::Status CheckSchema(const nlohmann::json& card, ServableModel* model) {
  const FeatureSchema& ours = FeatureBuilder::Schema();
  auto it = card.find("feature_schema");
  if (it == card.end() || !it->is_object()) {
    return absl::InvalidArgumentError("model_card.json has no feature_schema");
  }
  model->feature_schema_hash = CardString(*it, "hash");
  if (model->feature_schema_hash != ours.hash) {
    return absl::FailedPreconditionError(absl::StrCat(
        "feature schema mismatch: model_card.json feature_schema.hash '",
        model->feature_schema_hash, "' != server schema ", ours.version, " '",
        ours.hash, "'"));
  }
  model->feature_names = ours.names;
  return absl::OkStatus();
}

absl::Status Warmup(const nlohmann::json& rows_doc,
                    const ServableModel& model) {
  auto rows = rows_doc.find("rows");
  if (rows == rows_doc.end() || !rows->is_array() || rows->empty()) {
    return absl::InvalidArgumentError("reference_rows.json has no rows");
  }
  const int n = model.ensemble.num_features();
  std::vector<float> x(n);
  for (size_t r = 0; r < rows->size(); ++r) {
    const nlohmann::json& row = (*rows)[r];
    const nlohmann::json& features = row.value("features", nlohmann::json());
    if (!features.is_array() || static_cast<int>(features.size()) != n ||
        !row.contains("margin") || !row.contains("probability")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "reference_rows.json row ", r, " needs ", n,
          " features, a margin and a probability"));
    }
    for (int i = 0; i < n; ++i) {
      x[i] = features[i].is_number() ? features[i].get<float>() : NAN;
    }
    double margin = model.ensemble.PredictMargin(x.data());
    double probability = model.Probability(margin);
    double want_margin = row["margin"].get<double>();
    double want_probability = row["probability"].get<double>();
    if (std::abs(margin - want_margin) > ModelLoader::kWarmupTolerance ||
        std::abs(probability - want_probability) >
            ModelLoader::kWarmupTolerance) {
      return absl::FailedPreconditionError(absl::StrCat(
          "warm-up mismatch on reference row ", r, ": margin ", margin,
          " vs recorded ", want_margin, ", probability ", probability,
          " vs recorded ", want_probability));
    }
  }
  return absl::OkStatus();
}

absl::Status WithContext(const absl::Status& status,
                         const std::string& version) {
  return absl::Status(status.code(), absl::StrCat("model version ", version,
                                                  ": ", status.message()));
}

}  // namespace

ModelLoader::ModelLoader(std::string dir)
    : dir_(std::move(dir)),
      version_(fs::path(dir_).lexically_normal().filename().string()) {
  if (version_.empty()) {
    version_ = fs::path(dir_).lexically_normal().parent_path().filename();
  }
}

absl::StatusOr<std::shared_ptr<const ServableModel>> ModelLoader::Load()
    const {
  const fs::path dir(dir_);
  auto card = ReadJson(dir / "model_card.json");
  if (!card.ok()) return WithContext(card.status(), version_);
  std::string model_file = CardString(*card, "model_file");
  std::string rows_file = CardString(*card, "reference_rows_file");
  std::string model_sha = CardString(*card, "model_sha256");
  if (model_file.empty() || rows_file.empty() || model_sha.empty()) {
    return WithContext(absl::InvalidArgumentError(
                           "model_card.json lacks model_file, "
                           "reference_rows_file or model_sha256"),
                       version_);
  }
  for (const std::string& f : {model_file, rows_file}) {
    if (!fs::is_regular_file(dir / f)) {
      return WithContext(
          absl::NotFoundError(absl::StrCat(
              (dir / f).string(), " is missing (incomplete copy?)")),
          version_);
    }
  }
  if (absl::Status s = CheckSha(dir / model_file, model_sha, "model_sha256");
      !s.ok()) {
    return WithContext(s, version_);
  }
  std::string rows_sha = CardString(*card, "reference_rows_sha256");
  if (!rows_sha.empty()) {
    if (absl::Status s =
            CheckSha(dir / rows_file, rows_sha, "reference_rows_sha256");
        !s.ok()) {
      return WithContext(s, version_);
    }
  }
  auto ensemble = TreeEnsemble::FromXGBoostJsonFile((dir / model_file).string());
  if (!ensemble.ok()) return WithContext(ensemble.status(), version_);
  auto calibration = card->find("calibration");
  if (calibration == card->end()) {
    return WithContext(
        absl::InvalidArgumentError("model_card.json has no calibration"),
        version_);
  }
  auto calibrator = Calibrator::FromJson(*calibration);
  if (!calibrator.ok()) return WithContext(calibrator.status(), version_);

  auto model = std::make_shared<ServableModel>(std::move(*ensemble),
                                               std::move(*calibrator));
  model->version = version_;
  model->dir = dir_;
  model->card = *card;
  model->card_status = CardString(*card, "status");
  model->model_sha256 = model_sha;
  if (absl::Status s = CheckSchema(*card, model.get()); !s.ok()) {
    return WithContext(s, version_);
  }
  if (model->ensemble.num_features() !=
      static_cast<int>(model->feature_names.size())) {
    return WithContext(
        absl::FailedPreconditionError(absl::StrCat(
            "model has ", model->ensemble.num_features(),
            " features but the schema has ", model->feature_names.size())),
        version_);
  }
  const nlohmann::json serving = card->value("serving", nlohmann::json());
  if (serving.is_object()) {
    model->decision_threshold = serving.value("decision_threshold", 0.5);
    model->blend_weight = serving.value("blend_weight", 0.5);
  }
  auto rows = ReadJson(dir / rows_file);
  if (!rows.ok()) return WithContext(rows.status(), version_);
  if (absl::Status s = Warmup(*rows, *model); !s.ok()) {
    return WithContext(s, version_);
  }
  return std::shared_ptr<const ServableModel>(std::move(model));
}

}  // namespace pcs
