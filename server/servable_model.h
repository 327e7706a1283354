#ifndef PCS_SERVER_SERVABLE_MODEL_H_
#define PCS_SERVER_SERVABLE_MODEL_H_

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "model/calibrator.h"
#include "model/model_card.h"
#include "model/tree_ensemble.h"

namespace pcs {

// One loaded, validated and warmed-up model version: everything a request
// needs to turn a feature row into a calibrated probability and its
// explanation. Built by ModelLoader::Load(), published by ModelManager as a
// std::shared_ptr<const ServableModel>; immutable afterwards, so any number of
// request threads may use one concurrently (TreeEnsemble and Calibrator are
// const-thread-safe).
struct ServableModel {
  ServableModel(TreeEnsemble e, Calibrator c)
      : ensemble(std::move(e)), calibrator(std::move(c)) {}

  std::string version;      // folder name, "YYYYMMDDTHHMMSSZ"
  std::string dir;          // absolute or as configured
  ModelCard card;           // model_card.json, typed (model/model_card.h)
  std::string card_status;  // "champion" | "rejected_challenger" | ...
  std::string model_sha256;
  std::string feature_schema_hash;
  std::vector<std::string> feature_names;
  // The decision policy (ModelCard::Served): the card's trained policy, or
  // serving.decision_threshold / serving.blend_weight when it has none
  // (policy_from_card false: answers carry fallback reason "no_policy").
  double decision_threshold = 0.5;
  double blend_weight = 0.5;
  bool policy_from_card = false;
  TreeEnsemble ensemble;
  Calibrator calibrator;  // model/calibrator.h, the same code training uses

  // Calibrated probability for a raw margin: isotonic map applied to the
  // logistic of the margin (the card's calibration was fit on that scale).
  double Probability(double margin) const {
    return CalibratedProbability(calibrator, margin);
  }
};

}  // namespace pcs

#endif  // PCS_SERVER_SERVABLE_MODEL_H_
