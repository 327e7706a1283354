#include "training/model_scoring.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "features/feature_builder.h"
#include "features/sha256.h"

namespace pcs {

double Logistic(double margin) { return 1.0 / (1.0 + std::exp(-margin)); }

absl::StatusOr<LoadedModel> LoadModelDir(const std::string& dir) {
  LoadedModel m;
  m.dir = dir;
  std::ifstream in(dir + "/model_card.json");
  if (!in) return absl::NotFoundError(absl::StrCat("no model_card.json in ", dir));
  std::stringstream ss;
  ss << in.rdbuf();
  m.card = nlohmann::json::parse(ss.str(), nullptr, false);
  if (m.card.is_discarded() || !m.card.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/model_card.json: not a JSON object"));
  }
  try {
    const std::string model_path = dir + "/" + m.card.at("model_file").get<std::string>();
    absl::StatusOr<std::string> sha = Sha256HexOfFile(model_path);
    if (!sha.ok()) return sha.status();
    if (*sha != m.card.at("model_sha256").get<std::string>()) {
      return absl::DataLossError(absl::StrCat(model_path, ": sha256 ", *sha,
                                              " differs from the card's model_sha256"));
    }
    const std::string hash = m.card.at("feature_schema").at("hash").get<std::string>();
    if (hash != FeatureBuilder::Schema().hash) {
      return absl::FailedPreconditionError(absl::StrCat(
          "model feature schema hash ", hash, " != this build's ", FeatureBuilder::Schema().hash));
    }
    absl::StatusOr<TreeEnsemble> e = TreeEnsemble::FromXGBoostJsonFile(model_path);
    if (!e.ok()) return e.status();
    absl::StatusOr<Calibrator> c = Calibrator::FromJson(m.card.at("calibration"));
    if (!c.ok()) return c.status();
    m.ensemble.emplace(*std::move(e));
    m.calibrator.emplace(*std::move(c));
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/model_card.json: ", e.what()));
  }
  return m;
}

ScoredRows ScoreRows(const TreeEnsemble& ensemble, const Calibrator& calibrator,
                     const std::vector<const LabeledExample*>& rows) {
  ScoredRows out;
  out.margins.reserve(rows.size());
  out.probabilities.reserve(rows.size());
  for (const LabeledExample* r : rows) {
    const double m = ensemble.PredictMargin(r->features.data());
    out.margins.push_back(m);
    out.probabilities.push_back(calibrator.Apply(Logistic(m)));
  }
  return out;
}

std::map<std::string, double> TypeBaseRates(const std::vector<const LabeledExample*>& rows) {
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

EvaluationInput BuildEvaluationInput(const std::vector<const LabeledExample*>& rows,
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

absl::StatusOr<EvaluationReport> EvaluateLoadedModel(const LoadedModel& model,
                                                     const LabeledDataset& dataset,
                                                     int resamples) {
  std::vector<const LabeledExample*> rows;
  for (const LabeledExample& e : dataset.examples) rows.push_back(&e);
  if (rows.empty()) return absl::FailedPreconditionError("no resolved patterns to evaluate");
  EvaluationSettings s;
  std::map<std::string, double> rates;
  try {
    s.blend_weight = model.card.at("serving").at("blend_weight").get<double>();
    s.rule_threshold = model.card.at("serving").at("decision_threshold").get<double>();
    rates = model.card.at("type_base_rates").get<std::map<std::string, double>>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(model.dir, "/model_card.json: ", e.what()));
  }
  s.resamples = resamples;
  const ScoredRows scored = ScoreRows(*model.ensemble, *model.calibrator, rows);
  return Evaluate(BuildEvaluationInput(rows, scored.probabilities, rates, s));
}

}  // namespace pcs
