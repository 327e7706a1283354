#include "training/trainer_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lifecycle/pattern_lifecycle_manager.h"

namespace pcs {
namespace {

absl::Status Unknown(const std::string& where, const nlohmann::json& obj,
                     const std::set<std::string>& known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!known.count(it.key())) {
      return absl::InvalidArgumentError(
          absl::StrCat("train config: unknown key '", where, it.key(), "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadDay(const nlohmann::json& obj, const char* key, Day& out) {
  if (!obj.contains(key)) return absl::OkStatus();
  absl::StatusOr<Day> d = ParseDay(obj[key].get<std::string>());
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("train config: split.", key, ": ", d.status().message()));
  }
  out = *d;
  return absl::OkStatus();
}

template <typename T>
void Read(const nlohmann::json& obj, const char* key, T& out) {
  if (obj.contains(key)) out = obj[key].get<T>();
}

absl::Status ReadParams(const nlohmann::json& j, TrainParams& p) {
  if (absl::Status s = Unknown("xgboost.", j, {"max_depth", "eta", "num_boost_round",
                                               "early_stopping_rounds", "subsample",
                                               "colsample_bytree", "min_child_weight",
                                               "lambda", "gamma", "seed", "nthread",
                                               "objective", "tree_method"});
      !s.ok()) {
    return s;
  }
  // Recorded in cards for readers; the trainer supports only these two.
  if (j.value("objective", "binary:logistic") != "binary:logistic" ||
      j.value("tree_method", "hist") != "hist") {
    return absl::InvalidArgumentError(
        "train config: only objective binary:logistic with tree_method hist is supported");
  }
  Read(j, "max_depth", p.max_depth);
  Read(j, "eta", p.eta);
  Read(j, "num_boost_round", p.num_boost_round);
  Read(j, "early_stopping_rounds", p.early_stopping_rounds);
  Read(j, "subsample", p.subsample);
  Read(j, "colsample_bytree", p.colsample_bytree);
  Read(j, "min_child_weight", p.min_child_weight);
  Read(j, "lambda", p.lambda);
  Read(j, "gamma", p.gamma);
  Read(j, "seed", p.seed);
  Read(j, "nthread", p.nthread);
  return absl::OkStatus();
}

absl::Status ReadSections(const nlohmann::json& j, TrainerConfig& c) {
  if (j.contains("split")) {
    const nlohmann::json& s = j["split"];
    if (absl::Status st = Unknown("split.", s, {"train_end", "valid_end", "holdout_end",
                                                "embargo_calendar_days"});
        !st.ok()) {
      return st;
    }
    for (auto [key, field] : {std::pair{"train_end", &c.split.train_end},
                              std::pair{"valid_end", &c.split.valid_end},
                              std::pair{"holdout_end", &c.split.holdout_end}}) {
      if (absl::Status st = ReadDay(s, key, *field); !st.ok()) return st;
    }
    Read(s, "embargo_calendar_days", c.split.embargo_calendar_days);
  }
  if (j.contains("xgboost")) {
    if (absl::Status st = ReadParams(j["xgboost"], c.base); !st.ok()) return st;
  }
  if (j.contains("grid")) {
    const nlohmann::json& g = j["grid"];
    if (absl::Status st = Unknown("grid.", g, {"max_depth", "eta", "min_child_weight"});
        !st.ok()) {
      return st;
    }
    Read(g, "max_depth", c.grid.max_depth);
    Read(g, "eta", c.grid.eta);
    Read(g, "min_child_weight", c.grid.min_child_weight);
  }
  if (j.contains("gate")) {
    const nlohmann::json& g = j["gate"];
    if (absl::Status st = Unknown("gate.", g, {"coverage_row", "min_relative_lift", "max_ece"});
        !st.ok()) {
      return st;
    }
    Read(g, "coverage_row", c.gate.coverage_row);
    Read(g, "min_relative_lift", c.gate.min_relative_lift);
    Read(g, "max_ece", c.gate.max_ece);
  }
  return absl::OkStatus();
}

}  // namespace

TrainerConfig DefaultTrainerConfig() {
  TrainerConfig c;
  c.rule_threshold = kDefaultRuleDecisionThreshold;
  return c;
}

absl::StatusOr<TrainerConfig> TrainerConfigFromJson(const nlohmann::json& j) {
  TrainerConfig c = DefaultTrainerConfig();
  try {
    if (absl::Status s = Unknown("", j, {"comment", "split", "xgboost", "grid", "gate",
                                         "blend_weight", "rule_threshold", "coverages",
                                         "bootstrap_resamples", "bootstrap_seed",
                                         "reference_rows", "top_features", "shuffle_check",
                                         "shuffle_seed", "shuffle_labels"});
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ReadSections(j, c); !s.ok()) return s;
    Read(j, "blend_weight", c.blend_weight);
    Read(j, "rule_threshold", c.rule_threshold);
    Read(j, "coverages", c.coverages);
    Read(j, "bootstrap_resamples", c.bootstrap_resamples);
    Read(j, "bootstrap_seed", c.bootstrap_seed);
    Read(j, "reference_rows", c.reference_rows);
    Read(j, "top_features", c.top_features);
    Read(j, "shuffle_check", c.shuffle_check);
    Read(j, "shuffle_seed", c.shuffle_seed);
    Read(j, "shuffle_labels", c.shuffle_labels);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("train config: ", e.what()));
  }
  if (absl::Status s = ValidateSplitOptions(c.split); !s.ok()) return s;
  if (c.grid.max_depth.empty() || c.grid.eta.empty() || c.grid.min_child_weight.empty()) {
    return absl::InvalidArgumentError("train config: every grid axis needs a value");
  }
  if (c.blend_weight < 0 || c.blend_weight > 1) {
    return absl::InvalidArgumentError("train config: blend_weight must be in [0, 1]");
  }
  return c;
}

absl::StatusOr<TrainerConfig> LoadTrainerConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read train config ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  absl::StatusOr<TrainerConfig> c = TrainerConfigFromJson(j);
  if (!c.ok()) return absl::Status(c.status().code(), absl::StrCat(path, ": ", c.status().message()));
  return c;
}

nlohmann::json TrainParamsToJson(const TrainParams& p) {
  return {{"objective", "binary:logistic"}, {"tree_method", "hist"},
          {"max_depth", p.max_depth}, {"eta", p.eta}, {"num_boost_round", p.num_boost_round},
          {"early_stopping_rounds", p.early_stopping_rounds}, {"subsample", p.subsample},
          {"colsample_bytree", p.colsample_bytree}, {"min_child_weight", p.min_child_weight},
          {"lambda", p.lambda}, {"gamma", p.gamma}, {"seed", p.seed}, {"nthread", p.nthread}};
}

nlohmann::json TrainerConfigToJson(const TrainerConfig& c) {
  return {{"split", {{"train_end", FormatDay(c.split.train_end)},
                     {"valid_end", FormatDay(c.split.valid_end)},
                     {"holdout_end", FormatDay(c.split.holdout_end)},
                     {"embargo_calendar_days", c.split.embargo_calendar_days}}},
          {"xgboost", TrainParamsToJson(c.base)},
          {"grid", {{"max_depth", c.grid.max_depth}, {"eta", c.grid.eta},
                    {"min_child_weight", c.grid.min_child_weight}}},
          {"gate", {{"coverage_row", c.gate.coverage_row},
                    {"min_relative_lift", c.gate.min_relative_lift},
                    {"max_ece", c.gate.max_ece}}},
          {"blend_weight", c.blend_weight}, {"rule_threshold", c.rule_threshold},
          {"coverages", c.coverages}, {"bootstrap_resamples", c.bootstrap_resamples},
          {"bootstrap_seed", c.bootstrap_seed}, {"reference_rows", c.reference_rows},
          {"top_features", c.top_features}, {"shuffle_labels", c.shuffle_labels},
          {"shuffle_check", c.shuffle_check}, {"shuffle_seed", c.shuffle_seed}};
}

std::vector<TrainParams> ExpandGrid(const TrainerConfig& c) {
  std::vector<TrainParams> out;
  for (int depth : c.grid.max_depth) {
    for (double eta : c.grid.eta) {
      for (double mcw : c.grid.min_child_weight) {
        TrainParams p = c.base;
        p.max_depth = depth;
        p.eta = eta;
        p.min_child_weight = mcw;
        out.push_back(p);
      }
    }
  }
  return out;
}

}  // namespace pcs
