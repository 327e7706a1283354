#include "training/trainer_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

template <typename T>
void Read(const nlohmann::json& obj, const char* key, T& out) {
  if (obj.contains(key)) out = obj[key].get<T>();
}

// One key of a config section and the field it sets.
template <typename T>
struct Key {
  const char* name;
  T* out;
};
template <typename T>
Key(const char*, T*) -> Key<T>;

// Reads section `where` (e.g. "gate.") of the config: a key not listed is an
// error naming it, a missing key keeps its field's default.
template <typename... T>
absl::Status ReadKeys(const std::string& where, const nlohmann::json& section,
                      Key<T>... keys) {
  if (absl::Status st = Unknown(where, section, {keys.name...}); !st.ok())
    return st;
  (Read(section, keys.name, *keys.out), ...);
  return absl::OkStatus();
}

absl::StatusOr<Day> ParseConfigDay(const std::string& where,
                                   const nlohmann::json& v) {
  absl::StatusOr<Day> d = ParseDay(v.get<std::string>());
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("train config: ", where, ": ", d.status().message()));
  }
  return *d;
}

absl::Status ReadWalkForward(const nlohmann::json& w, WalkForwardOptions& o) {
  if (absl::Status st = Unknown("walk_forward.", w,
                                {"test_starts", "test_end", "validation_years",
                                 "embargo_calendar_days"});
      !st.ok()) {
    return st;
  }
  if (w.contains("test_starts")) {
    o.test_starts.clear();
    for (const nlohmann::json& v : w["test_starts"]) {
      absl::StatusOr<Day> d = ParseConfigDay("walk_forward.test_starts", v);
      if (!d.ok()) return d.status();
      o.test_starts.push_back(*d);
    }
  }
  if (w.contains("test_end")) {
    absl::StatusOr<Day> d =
        ParseConfigDay("walk_forward.test_end", w["test_end"]);
    if (!d.ok()) return d.status();
    o.test_end = *d;
  }
  Read(w, "validation_years", o.validation_years);
  Read(w, "embargo_calendar_days", o.embargo_calendar_days);
  return absl::OkStatus();
}

absl::Status ReadCandidates(const nlohmann::json& list,
                            std::vector<ModelCandidate>& out) {
  out.clear();
  for (const nlohmann::json& c : list) {
    if (absl::Status st =
            Unknown("candidates[].", c, {"name", "objective", "monotone"});
        !st.ok()) {
      return st;
    }
    ModelCandidate m;
    Read(c, "name", m.name);
    Read(c, "objective", m.objective);
    Read(c, "monotone", m.monotone);
    if (m.objective != "binary:logistic" && m.objective != "rank:pairwise") {
      return absl::InvalidArgumentError(
          absl::StrCat("train config: candidate '", m.name,
                       "': objective must be binary:logistic or "
                       "rank:pairwise, got '",
                       m.objective, "'"));
    }
    out.push_back(m);
  }
  if (out.empty() || out[0].objective != "binary:logistic") {
    return absl::InvalidArgumentError(
        "train config: candidates[0] must exist and be binary:logistic (the "
        "grid runs on it)");
  }
  return absl::OkStatus();
}

absl::Status ReadParams(const nlohmann::json& j, TrainParams& p) {
  if (absl::Status s =
          Unknown("xgboost.", j,
                  {"max_depth", "eta", "num_boost_round",
                   "early_stopping_rounds", "subsample", "colsample_bytree",
                   "min_child_weight", "lambda", "gamma", "seed", "nthread",
                   "objective", "tree_method", "monotone_constraints"});
      !s.ok()) {
    return s;
  }
  // Recorded in cards for readers; the trainer supports only these two.
  if (j.value("objective", "binary:logistic") != "binary:logistic" ||
      j.value("tree_method", "hist") != "hist") {
    return absl::InvalidArgumentError(
        "train config: only objective binary:logistic with tree_method hist is "
        "supported");
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
  if (j.contains("monotone_constraints") &&
      !j["monotone_constraints"].empty()) {
    return absl::InvalidArgumentError(
        "train config: xgboost.monotone_constraints must be empty "
        "(candidates[].monotone "
        "sets them)");
  }
  return absl::OkStatus();
}

absl::Status ReadSections(const nlohmann::json& j, TrainerConfig& c) {
  if (j.contains("walk_forward")) {
    if (absl::Status st = ReadWalkForward(j["walk_forward"], c.walk_forward);
        !st.ok())
      return st;
  }
  if (j.contains("candidates")) {
    if (absl::Status st = ReadCandidates(j["candidates"], c.candidates);
        !st.ok())
      return st;
  }
  if (j.contains("xgboost")) {
    if (absl::Status st = ReadParams(j["xgboost"], c.base); !st.ok()) return st;
  }
  if (j.contains("grid")) {
    HyperparameterGrid& g = c.grid;
    if (absl::Status st = ReadKeys(
            "grid.", j["grid"], Key{"max_depth", &g.max_depth},
            Key{"eta", &g.eta}, Key{"min_child_weight", &g.min_child_weight});
        !st.ok())
      return st;
  }
  if (j.contains("policy")) {
    PolicyOptions& p = c.policy;
    if (absl::Status st = ReadKeys(
            "policy.", j["policy"], Key{"blend_weights", &p.blend_weights},
            Key{"threshold_step", &p.threshold_step},
            Key{"stable_width", &p.stable_width},
            Key{"precision_tolerance", &p.precision_tolerance},
            Key{"min_precision_diff_ci_low", &p.min_precision_diff_ci_low});
        !st.ok())
      return st;
  }
  if (j.contains("gate")) {
    GateOptions& g = c.gate;
    if (absl::Status st = ReadKeys(
            "gate.", j["gate"], Key{"coverage_row", &g.coverage_row},
            Key{"min_tp_lift", &g.min_tp_lift},
            Key{"min_tp_lift_ci_low", &g.min_tp_lift_ci_low},
            Key{"min_precision_diff", &g.min_precision_diff},
            Key{"min_precision_diff_ci_low", &g.min_precision_diff_ci_low},
            Key{"max_ece", &g.max_ece},
            Key{"min_coverage_lift_ci_low", &g.min_coverage_lift_ci_low},
            Key{"min_tp_vs_analytic_ci_low", &g.min_tp_vs_analytic_ci_low},
            Key{"coverage_lift_goal", &g.coverage_lift_goal});
        !st.ok())
      return st;
  }
  if (j.contains("experiment")) {
    ExperimentColumns& e = c.experiment;
    if (absl::Status st =
            ReadKeys("experiment.", j["experiment"],
                     Key{"analytic_feature", &e.analytic_feature},
                     Key{"analytic_base_margin", &e.analytic_base_margin},
                     Key{"relative_strength", &e.relative_strength});
        !st.ok())
      return st;
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
    if (absl::Status s = Unknown(
            "", j,
            {"comment", "walk_forward", "candidates", "bagging_seeds",
             "xgboost", "grid", "gate", "policy", "blend_weight",
             "rule_threshold", "coverages", "bootstrap_resamples",
             "bootstrap_seed", "reference_rows", "top_features",
             "shuffle_check", "shuffle_seed", "shuffle_labels", "experiment"});
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ReadSections(j, c); !s.ok()) return s;
    Read(j, "bagging_seeds", c.bagging_seeds);
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
  if (absl::Status s = ValidateWalkForwardOptions(c.walk_forward); !s.ok())
    return s;
  if (c.bagging_seeds < 1 || c.bagging_seeds > 32) {
    return absl::InvalidArgumentError(
        "train config: bagging_seeds must be in 1..32");
  }
  if (c.grid.max_depth.empty() || c.grid.eta.empty() ||
      c.grid.min_child_weight.empty()) {
    return absl::InvalidArgumentError(
        "train config: every grid axis needs a value");
  }
  if (c.blend_weight < 0 || c.blend_weight > 1) {
    return absl::InvalidArgumentError(
        "train config: blend_weight must be in [0, 1]");
  }
  return c;
}

absl::StatusOr<TrainerConfig> LoadTrainerConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read train config ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j =
      nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  absl::StatusOr<TrainerConfig> c = TrainerConfigFromJson(j);
  if (!c.ok())
    return absl::Status(c.status().code(),
                        absl::StrCat(path, ": ", c.status().message()));
  return c;
}

nlohmann::json TrainParamsToJson(const TrainParams& p) {
  return {{"objective", p.objective},
          {"tree_method", "hist"},
          {"monotone_constraints", p.monotone_constraints},
          {"max_depth", p.max_depth},
          {"eta", p.eta},
          {"num_boost_round", p.num_boost_round},
          {"early_stopping_rounds", p.early_stopping_rounds},
          {"subsample", p.subsample},
          {"colsample_bytree", p.colsample_bytree},
          {"min_child_weight", p.min_child_weight},
          {"lambda", p.lambda},
          {"gamma", p.gamma},
          {"seed", p.seed},
          {"nthread", p.nthread}};
}

namespace {

nlohmann::json TrainerConfigCoreJson(const TrainerConfig& c) {
  std::vector<std::string> starts;
  for (Day d : c.walk_forward.test_starts) starts.push_back(FormatDay(d));
  nlohmann::json candidates = nlohmann::json::array();
  for (const ModelCandidate& m : c.candidates) {
    candidates.push_back({{"name", m.name},
                          {"objective", m.objective},
                          {"monotone", m.monotone}});
  }
  return {{"walk_forward",
           {{"test_starts", starts},
            {"test_end", FormatDay(c.walk_forward.test_end)},
            {"validation_years", c.walk_forward.validation_years},
            {"embargo_calendar_days", c.walk_forward.embargo_calendar_days}}},
          {"candidates", candidates},
          {"bagging_seeds", c.bagging_seeds},
          {"xgboost", TrainParamsToJson(c.base)},
          {"grid",
           {{"max_depth", c.grid.max_depth},
            {"eta", c.grid.eta},
            {"min_child_weight", c.grid.min_child_weight}}},
          {"gate",
           {{"coverage_row", c.gate.coverage_row},
            {"min_tp_lift", c.gate.min_tp_lift},
            {"min_tp_lift_ci_low", c.gate.min_tp_lift_ci_low},
            {"min_precision_diff", c.gate.min_precision_diff},
            {"min_precision_diff_ci_low", c.gate.min_precision_diff_ci_low},
            {"max_ece", c.gate.max_ece},
            {"min_coverage_lift_ci_low", c.gate.min_coverage_lift_ci_low},
            {"min_tp_vs_analytic_ci_low", c.gate.min_tp_vs_analytic_ci_low},
            {"coverage_lift_goal", c.gate.coverage_lift_goal}}},
          {"policy",
           {{"blend_weights", c.policy.blend_weights},
            {"threshold_step", c.policy.threshold_step},
            {"stable_width", c.policy.stable_width},
            {"precision_tolerance", c.policy.precision_tolerance},
            {"min_precision_diff_ci_low", c.policy.min_precision_diff_ci_low}}},
          {"blend_weight", c.blend_weight},
          {"rule_threshold", c.rule_threshold},
          {"coverages", c.coverages},
          {"bootstrap_resamples", c.bootstrap_resamples},
          {"bootstrap_seed", c.bootstrap_seed},
          {"reference_rows", c.reference_rows},
          {"top_features", c.top_features},
          {"shuffle_labels", c.shuffle_labels},
          {"shuffle_check", c.shuffle_check},
          {"shuffle_seed", c.shuffle_seed}};
}

}  // namespace

nlohmann::json TrainerConfigToJson(const TrainerConfig& c) {
  nlohmann::json j = TrainerConfigCoreJson(c);
  // Only experiment runs carry the key, so a default run's card is unchanged.
  if (c.experiment.Any()) {
    j["experiment"] = {
        {"analytic_feature", c.experiment.analytic_feature},
        {"analytic_base_margin", c.experiment.analytic_base_margin},
        {"relative_strength", c.experiment.relative_strength}};
  }
  return j;
}

absl::Status ParseExperimentColumns(const std::string& text,
                                    ExperimentColumns& e) {
  e = ExperimentColumns{};
  for (absl::string_view name : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    if (name == "none") continue;
    if (name == "analytic_feature") {
      e.analytic_feature = true;
    } else if (name == "analytic_base_margin") {
      e.analytic_base_margin = true;
    } else if (name == "relative_strength") {
      e.relative_strength = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown experiment '", name,
                       "' (known: analytic_feature, analytic_base_margin, "
                       "relative_strength, none)"));
    }
  }
  return absl::OkStatus();
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
