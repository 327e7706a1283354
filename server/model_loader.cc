#include "server/model_loader.h"

#include <filesystem>

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
  auto model = std::make_shared<ServableModel>(std::move(folder->ensemble),
                                               std::move(folder->calibrator));
  model->version = version_;
  model->dir = dir_;
  model->card_status = folder->card.status;
  model->model_sha256 = folder->card.model_sha256;
  model->feature_schema_hash = folder->card.feature_schema_hash;
  model->feature_names = schema.names;
  model->decision_threshold = folder->card.decision_threshold;
  model->blend_weight = folder->card.blend_weight;
  model->card = std::move(folder->card);
  return std::shared_ptr<const ServableModel>(std::move(model));
}

}  // namespace pcs
