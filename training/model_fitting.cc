#include "training/model_fitting.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/sha256.h"
#include "training/model_scoring.h"

namespace pcs {

SplitData MakeSplitData(std::vector<const LabeledExample*> rows, int cols) {
  SplitData d;
  d.rows = std::move(rows);
  d.x.rows = static_cast<int>(d.rows.size());
  d.x.cols = cols;
  d.x.values.reserve(d.rows.size() * cols);
  for (const LabeledExample* r : d.rows) {
    d.x.values.insert(d.x.values.end(), r->features.begin(), r->features.end());
    d.y.push_back(static_cast<float>(r->label));
  }
  if (!d.rows.empty() && !std::isnan(d.rows.front()->margin_offset)) {
    for (const LabeledExample* r : d.rows)
      d.x.base_margin.push_back(static_cast<float>(r->margin_offset));
  }
  return d;
}

absl::StatusOr<FittedModel> FinishModel(std::string model_json,
                                        std::unique_ptr<XGBoostBooster> booster,
                                        const SplitData& valid,
                                        const TrainParams& params,
                                        const TrainLog& log) {
  FittedModel f;
  f.params = params;
  f.log = log;
  f.booster = std::move(booster);
  f.model_json = std::move(model_json);
  absl::StatusOr<TreeEnsemble> e = TreeEnsemble::FromXGBoostJson(f.model_json);
  if (!e.ok()) return e.status();
  f.ensemble.emplace(*std::move(e));
  std::vector<int> labels;
  for (const LabeledExample* r : valid.rows) {
    f.valid_raw.push_back(Logistic(RowMargin(*f.ensemble, *r)));
    labels.push_back(r->label);
  }
  absl::StatusOr<Calibrator> c = Calibrator::FitIsotonic(f.valid_raw, labels);
  if (!c.ok()) return c.status();
  f.calibrator.emplace(*std::move(c));
  return f;
}

absl::StatusOr<FittedModel> FitOne(const SplitData& train,
                                   const std::vector<float>& y_train,
                                   const SplitData& valid,
                                   const TrainParams& params) {
  TrainLog log;
  absl::StatusOr<std::unique_ptr<XGBoostBooster>> b =
      XGBoostBooster::Train(train.x, y_train, &valid.x, &valid.y, params, &log);
  if (!b.ok()) return b.status();
  absl::StatusOr<std::string> json = (*b)->SaveModelToJson();
  if (!json.ok()) return json.status();
  return FinishModel(*std::move(json), *std::move(b), valid, params, log);
}

absl::StatusOr<std::vector<FeatureImportance>> TopFeatures(
    XGBoostBooster& booster, const SplitData& train,
    const std::vector<std::string>& names, int k, int max_rows) {
  absl::StatusOr<std::vector<double>> gain = booster.TotalGainImportance();
  if (!gain.ok()) return gain.status();
  const int cols = train.x.cols;
  const int n = std::min(train.x.rows, max_rows);
  DenseMatrix sample;
  sample.rows = n;
  sample.cols = cols;
  for (int i = 0; i < n; ++i) {
    const int src =
        static_cast<int>(static_cast<int64_t>(i) * train.x.rows / n);
    sample.values.insert(sample.values.end(), train.x.Row(src),
                         train.x.Row(src) + cols);
  }
  std::vector<double> mean_abs(cols, 0.0);
  if (n > 0) {
    absl::StatusOr<std::vector<float>> contrib =
        booster.PredictContributions(sample);
    if (!contrib.ok()) return contrib.status();
    for (int i = 0; i < n; ++i) {
      for (int c = 0; c < cols; ++c) {
        mean_abs[c] +=
            std::fabs((*contrib)[static_cast<size_t>(i) * (cols + 1) + c]) / n;
      }
    }
  }
  std::vector<int> order(cols);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return (*gain)[a] > (*gain)[b]; });
  std::vector<FeatureImportance> out;
  for (int i = 0; i < std::min(k, cols); ++i) {
    const int c = order[i];
    out.push_back(
        {c < static_cast<int>(names.size()) ? names[c] : absl::StrCat("f", c),
         (*gain)[c], mean_abs[c]});
  }
  return out;
}

std::string RowsSha256(const std::vector<const LabeledExample*>& rows) {
  Sha256 h;
  for (const LabeledExample* r : rows) {
    std::string line = absl::StrCat(r->id, "\t", r->label, "\t");
    for (size_t i = 0; i < r->features.size(); ++i) {
      uint32_t bits;
      std::memcpy(&bits, &r->features[i], sizeof(bits));
      absl::StrAppend(&line, i ? "," : "", absl::StrFormat("%08x", bits));
    }
    line += "\n";
    h.Update(line);
  }
  return h.FinishHex();
}

}  // namespace pcs
