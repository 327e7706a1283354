#include "training/model_scoring.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "features/feature_builder.h"

namespace pcs {

absl::StatusOr<LoadedModel> LoadModelDir(const std::string& dir) {
  const FeatureSchema& schema = FeatureBuilder::Schema();
  absl::StatusOr<ModelFolder> folder =
      ReadModelFolder(dir, schema.hash, static_cast<int>(schema.names.size()));
  if (!folder.ok()) return folder.status();
  LoadedModel m;
  m.dir = dir;
  m.card = std::move(folder->card);
  m.ensemble.emplace(std::move(folder->ensemble));
  m.calibrator.emplace(std::move(folder->calibrator));
  return m;
}

double RowMargin(const TreeEnsemble& ensemble, const LabeledExample& row) {
  const double m = ensemble.PredictMargin(row.features.data());
  if (std::isnan(row.margin_offset)) return m;
  return m - ensemble.base_margin() + row.margin_offset;
}

ScoredRows ScoreRows(const TreeEnsemble& ensemble, const Calibrator& calibrator,
                     const std::vector<const LabeledExample*>& rows) {
  ScoredRows out;
  out.margins.reserve(rows.size());
  out.probabilities.reserve(rows.size());
  for (const LabeledExample* r : rows) {
    const double m = RowMargin(ensemble, *r);
    out.margins.push_back(m);
    out.probabilities.push_back(CalibratedProbability(calibrator, m));
  }
  return out;
}

std::map<std::string, double> TypeBaseRates(
    const std::vector<const LabeledExample*>& rows) {
  std::map<std::string, std::pair<double, double>> acc;
  double pos = 0;
  for (const LabeledExample* r : rows) {
    acc[r->pattern_type].first += r->label;
    acc[r->pattern_type].second += 1;
    pos += r->label;
  }
  std::map<std::string, double> out;
  for (const auto& [type, pn] : acc) out[type] = pn.first / pn.second;
  out["__all__"] = rows.empty() ? 0 : pos / rows.size();
  return out;
}

EvaluationInput BuildEvaluationInput(
    const std::vector<const LabeledExample*>& rows,
    const std::vector<double>& probabilities,
    const std::map<std::string, double>& base_rates,
    const EvaluationSettings& s) {
  EvaluationInput in;
  const auto all = base_rates.find("__all__");
  const double fallback = all == base_rates.end() ? 0.0 : all->second;
  for (size_t i = 0; i < rows.size(); ++i) {
    const LabeledExample& r = *rows[i];
    in.ids.push_back(r.id);
    in.symbols.push_back(r.symbol);
    in.pattern_types.push_back(r.pattern_type);
    in.labels.push_back(r.label);
    in.model.push_back(probabilities[i]);
    in.rule.push_back(r.rule_confidence);
    const auto it = base_rates.find(r.pattern_type);
    in.type_base_rate.push_back(it == base_rates.end() ? fallback : it->second);
    in.analytic.push_back(r.analytic_probability);
  }
  in.blend_weight = s.blend_weight;
  in.rule_threshold = s.rule_threshold;
  in.coverages = s.coverages;
  in.resamples = s.resamples;
  in.seed = s.seed;
  return in;
}

absl::StatusOr<EvaluationInput> LoadedModelInput(const LoadedModel& model,
                                                 const LabeledDataset& dataset,
                                                 int resamples) {
  std::vector<const LabeledExample*> rows;
  for (const LabeledExample& e : dataset.examples) rows.push_back(&e);
  if (rows.empty())
    return absl::FailedPreconditionError("no resolved patterns to evaluate");
  if (model.card.type_base_rates.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(model.dir,
                     "/model_card.json: type_base_rates is missing (pcs "
                     "evaluate needs it)"));
  }
  EvaluationSettings s;
  s.blend_weight = model.card.blend_weight;
  s.rule_threshold = model.card.policy.has_value()
                         ? model.card.policy->rule_threshold
                         : model.card.decision_threshold;
  s.resamples = resamples;
  const ScoredRows scored = ScoreRows(*model.ensemble, *model.calibrator, rows);
  return BuildEvaluationInput(rows, scored.probabilities,
                              model.card.type_base_rates, s);
}

absl::StatusOr<EvaluationReport> EvaluateLoadedModel(
    const LoadedModel& model, const LabeledDataset& dataset, int resamples) {
  absl::StatusOr<EvaluationInput> in =
      LoadedModelInput(model, dataset, resamples);
  if (!in.ok()) return in.status();
  return Evaluate(*in);
}

}  // namespace pcs
