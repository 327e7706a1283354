#include "training/model_selection.h"

#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "features/feature_builder.h"
#include "model/bagged_model.h"
#include "model/metrics.h"

namespace pcs {
namespace {

double ValidAuc(const FittedModel& f, const SplitData& valid) {
  std::vector<int> y;
  for (const LabeledExample* r : valid.rows) y.push_back(r->label);
  return metrics::RocAuc(f.valid_raw, y);
}

void Say(const ProgressFn& progress, const std::string& text) {
  if (progress) progress(text);
}

TrainParams ForCandidate(TrainParams p, const ModelCandidate& c) {
  p.objective = c.objective;
  p.monotone_constraints.clear();
  if (c.monotone) {
    p.monotone_constraints =
        BarrierGeometryMonotoneConstraints(FeatureBuilder::Schema().names);
  }
  return p;
}

nlohmann::json FitLog(const std::string& name, const FittedModel& f,
                      double auc) {
  return {{"name", name},
          {"objective", f.params.objective},
          {"monotone", !f.params.monotone_constraints.empty()},
          {"best_iteration", f.log.best_iteration},
          {"rounds_run", f.log.rounds_run},
          {"early_stopping_metric", f.log.metric},
          {"best_valid_metric", f.log.best_valid_metric},
          {"valid_roc_auc", auc}};
}

}  // namespace

std::vector<int> BarrierGeometryMonotoneConstraints(
    const std::vector<std::string>& names) {
  // Driftless two-barrier geometry: P(target before stop) falls as the target
  // moves away and rises as the stop moves away (gambler's ruin d/(u+d)).
  static const std::map<std::string, int>* kDirections =
      new std::map<std::string, int>{
          {"pat_target_dist_atr", -1}, {"pat_target_dist_pct", -1},
          {"pat_stop_dist_atr", +1},   {"pat_stop_dist_pct", +1},
          {"pat_reward_risk", -1},     {"rule_target_reach", +1},
          {"rule_barrier_odds", +1}};
  std::vector<int> out;
  for (const std::string& n : names) {
    const auto it = kDirections->find(n);
    out.push_back(it == kDirections->end() ? 0 : it->second);
  }
  return out;
}

absl::StatusOr<SelectionResult> SelectOnValidation(
    const SplitData& train, const std::vector<float>& y_train,
    const SplitData& valid, const TrainerConfig& config,
    const ProgressFn& progress) {
  if (config.candidates.empty() ||
      config.candidates[0].objective != "binary:logistic") {
    return absl::InvalidArgumentError(
        "the first candidate must be binary:logistic");
  }
  SelectionResult out;
  // 1. Grid on the first candidate.
  nlohmann::json grid_log = nlohmann::json::array();
  std::optional<FittedModel> best;
  const std::vector<TrainParams> grid = ExpandGrid(config);
  for (size_t g = 0; g < grid.size(); ++g) {
    Say(progress, absl::StrCat("grid ", g + 1, "/", grid.size()));
    absl::StatusOr<FittedModel> f = FitOne(
        train, y_train, valid, ForCandidate(grid[g], config.candidates[0]));
    if (!f.ok()) return f.status();
    grid_log.push_back({{"max_depth", grid[g].max_depth},
                        {"eta", grid[g].eta},
                        {"min_child_weight", grid[g].min_child_weight},
                        {"best_iteration", f->log.best_iteration},
                        {"rounds_run", f->log.rounds_run},
                        {"best_valid_logloss", f->log.best_valid_logloss}});
    if (!best || f->log.best_valid_logloss < best->log.best_valid_logloss)
      best = *std::move(f);
  }
  if (!best) return absl::InvalidArgumentError("empty hyperparameter grid");
  const TrainParams point = best->params;
  out.levers.push_back({config.candidates[0].name, *std::move(best), 0, {}});
  // 2. The other candidates at the winning grid point.
  for (size_t c = 1; c < config.candidates.size(); ++c) {
    Say(progress, absl::StrCat("candidate ", config.candidates[c].name));
    absl::StatusOr<FittedModel> f = FitOne(
        train, y_train, valid, ForCandidate(point, config.candidates[c]));
    if (!f.ok()) return f.status();
    out.levers.push_back({config.candidates[c].name, *std::move(f), 0, {}});
  }
  // 3. Highest validation ROC-AUC of the raw score.
  nlohmann::json cand_log = nlohmann::json::array();
  int winner = 0;
  for (size_t i = 0; i < out.levers.size(); ++i) {
    LeverModel& l = out.levers[i];
    l.valid_auc = ValidAuc(l.model, valid);
    l.member_rounds = {l.model.log.best_iteration + 1};
    cand_log.push_back(FitLog(l.name, l.model, l.valid_auc));
    if (l.valid_auc > out.levers[winner].valid_auc)
      winner = static_cast<int>(i);
  }
  out.chosen = winner;
  // 4. Bagging of the winner.
  nlohmann::json bag_log = nullptr;
  if (config.bagging_seeds > 1) {
    const FittedModel& w = out.levers[winner].model;
    std::vector<std::string> members = {w.model_json};
    std::vector<int> rounds = {w.log.best_iteration + 1};
    nlohmann::json member_log = nlohmann::json::array();
    member_log.push_back(
        {{"seed", w.params.seed}, {"best_iteration", w.log.best_iteration}});
    for (int k = 1; k < config.bagging_seeds; ++k) {
      Say(progress,
          absl::StrCat("bagging member ", k + 1, "/", config.bagging_seeds));
      TrainParams p = w.params;
      p.seed = w.params.seed + k;
      absl::StatusOr<FittedModel> f = FitOne(train, y_train, valid, p);
      if (!f.ok()) return f.status();
      members.push_back(f->model_json);
      rounds.push_back(f->log.best_iteration + 1);
      member_log.push_back(
          {{"seed", p.seed}, {"best_iteration", f->log.best_iteration}});
    }
    absl::StatusOr<std::string> merged = AverageXGBoostModels(members);
    if (!merged.ok()) return merged.status();
    TrainLog log = w.log;
    absl::StatusOr<FittedModel> bagged =
        FinishModel(*std::move(merged), nullptr, valid, w.params, log);
    if (!bagged.ok()) return bagged.status();
    LeverModel l{"bagged", *std::move(bagged), 0, rounds};
    l.valid_auc = ValidAuc(l.model, valid);
    bag_log = {{"of", out.levers[winner].name},
               {"seeds", config.bagging_seeds},
               {"members", member_log},
               {"valid_roc_auc", l.valid_auc},
               {"adopted", l.valid_auc > out.levers[winner].valid_auc}};
    if (l.valid_auc > out.levers[winner].valid_auc)
      out.chosen = static_cast<int>(out.levers.size());
    out.levers.push_back(std::move(l));
  }
  const LeverModel& chosen = out.levers[out.chosen];
  out.log = {
      {"grid", grid_log},
      {"grid_selection", "lowest best validation logloss (first candidate)"},
      {"candidates", cand_log},
      {"candidate_selection", "highest validation ROC-AUC of the raw score"},
      {"bagging", bag_log},
      {"chosen", chosen.name},
      {"chosen_candidate", out.levers[winner].name},
      {"chosen_params", TrainParamsToJson(chosen.model.params)},
      {"member_rounds", chosen.member_rounds},
      {"valid_roc_auc", chosen.valid_auc},
      {"valid_rows", valid.rows.size()},
      {"train_rows", train.rows.size()}};
  return out;
}

absl::StatusOr<FittedModel> RefitChosen(const SelectionResult& selection,
                                        const SplitData& all,
                                        const ProgressFn& progress) {
  const LeverModel& chosen = selection.levers[selection.chosen];
  std::vector<std::string> members;
  TrainLog last_log;
  for (size_t k = 0; k < chosen.member_rounds.size(); ++k) {
    Say(progress,
        absl::StrCat("refit member ", k + 1, "/", chosen.member_rounds.size()));
    TrainParams p = chosen.model.params;
    p.seed = chosen.model.params.seed + static_cast<int>(k);
    p.num_boost_round = chosen.member_rounds[k];
    absl::StatusOr<std::unique_ptr<XGBoostBooster>> b =
        XGBoostBooster::Train(all.x, all.y, nullptr, nullptr, p, &last_log);
    if (!b.ok()) return b.status();
    absl::StatusOr<std::string> json = (*b)->SaveModelToJson();
    if (!json.ok()) return json.status();
    members.push_back(*std::move(json));
  }
  absl::StatusOr<std::string> merged =
      members.size() == 1 ? absl::StatusOr<std::string>(members[0])
                          : AverageXGBoostModels(members);
  if (!merged.ok()) return merged.status();
  absl::StatusOr<std::unique_ptr<XGBoostBooster>> booster =
      XGBoostBooster::LoadFromJson(*merged);
  if (!booster.ok()) return booster.status();
  FittedModel f;
  f.params = chosen.model.params;
  f.log = chosen.model.log;
  f.booster = *std::move(booster);
  f.model_json = *std::move(merged);
  absl::StatusOr<TreeEnsemble> e = TreeEnsemble::FromXGBoostJson(f.model_json);
  if (!e.ok()) return e.status();
  f.ensemble.emplace(*std::move(e));
  f.calibrator = chosen.model.calibrator;
  f.valid_raw = chosen.model.valid_raw;
  return f;
}

}  // namespace pcs
