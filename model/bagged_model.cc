#include "model/bagged_model.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {

absl::StatusOr<std::string> AverageXGBoostModels(
    const std::vector<std::string>& members) {
  using Json = nlohmann::json;
  if (members.empty())
    return absl::InvalidArgumentError("no models to average");
  const double scale = 1.0 / static_cast<double>(members.size());
  Json out;
  Json trees = Json::array();
  try {
    for (size_t m = 0; m < members.size(); ++m) {
      Json doc = Json::parse(members[m], nullptr, /*allow_exceptions=*/false);
      if (doc.is_discarded()) {
        return absl::InvalidArgumentError(
            absl::StrCat("member ", m, " is not valid JSON"));
      }
      const Json& learner = doc.at("learner");
      if (m == 0) {
        out = doc;
      } else {
        const Json& first = out.at("learner");
        for (const char* key : {"base_score", "num_feature"}) {
          if (learner.at("learner_model_param").at(key) !=
              first.at("learner_model_param").at(key)) {
            return absl::InvalidArgumentError(
                absl::StrCat("member ", m, " differs from member 0 in ", key));
          }
        }
        if (learner.at("objective").at("name") !=
            first.at("objective").at("name")) {
          return absl::InvalidArgumentError(absl::StrCat(
              "member ", m, " differs from member 0 in objective"));
        }
      }
      for (Json tree : learner.at("gradient_booster").at("model").at("trees")) {
        const auto left = tree.at("left_children").get<std::vector<int64_t>>();
        Json& split = tree.at("split_conditions");
        for (size_t i = 0; i < left.size(); ++i) {
          if (left[i] == -1) split[i] = split[i].get<double>() * scale;
        }
        for (Json& w : tree.at("base_weights")) w = w.get<double>() * scale;
        tree["id"] = static_cast<int64_t>(trees.size());
        trees.push_back(std::move(tree));
      }
    }
    Json& model = out.at("learner").at("gradient_booster").at("model");
    model["tree_info"] = std::vector<int>(trees.size(), 0);
    model.at("gbtree_model_param")["num_trees"] = std::to_string(trees.size());
    model["trees"] = std::move(trees);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed XGBoost model JSON: ", e.what()));
  }
  return out.dump();
}

}  // namespace pcs
