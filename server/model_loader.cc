#include "server/model_loader.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "features/feature_builder.h"
#include "model/model_card.h"

namespace pcs {
namespace fs = std::filesystem;

ModelLoader::ModelLoader(std::string dir)
    : dir_(std::move(dir)),
      version_(fs::path(dir_).lexically_normal().filename().string()) {
  if (version_.empty()) {
    version_ = fs::path(dir_).lexically_normal().parent_path().filename();
  }
}

absl::StatusOr<std::shared_ptr<const ServableModel>> ModelLoader::Load() const {
  const FeatureSchema& schema = FeatureBuilder::Schema();
  absl::StatusOr<ModelFolder> folder =
      ReadModelFolder(dir_, schema.hash, static_cast<int>(schema.names.size()));
  if (!folder.ok()) return folder.status();
  // The hash says which schema the model was trained on; the names, when the
  // card lists them, must be that schema's, in order (a card edited by hand
  // or written by another build would otherwise describe other features).
  const std::vector<std::string>& names = folder->card.feature_names;
  if (!names.empty() && names != schema.names) {
    size_t i = 0;
    while (i < names.size() && i < schema.names.size() &&
           names[i] == schema.names[i]) {
      ++i;
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "model version ", version_,
        ": model_card.json feature_schema.names disagrees with the feature "
        "schema at index ",
        i, " (",
        i < names.size() ? absl::StrCat("'", names[i].substr(0, 64), "'")
                         : "end",
        " != ",
        i < schema.names.size() ? absl::StrCat("'", schema.names[i], "'")
                                : "end",
        ")"));
  }
  auto model = std::make_shared<ServableModel>(std::move(folder->ensemble),
                                               std::move(folder->calibrator));
  model->version = version_;
  model->dir = dir_;
  model->card_status = folder->card.status;
  model->model_sha256 = folder->card.model_sha256;
  model->feature_schema_hash = folder->card.feature_schema_hash;
  model->feature_names = schema.names;
  const ServedPolicy policy = folder->card.Served();
  model->decision_threshold = policy.threshold;
  model->blend_weight = policy.blend_weight;
  model->policy_from_card = policy.from_card;
  model->card = std::move(folder->card);
  return std::shared_ptr<const ServableModel>(std::move(model));
}

}  // namespace pcs
