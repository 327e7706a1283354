#ifndef PCS_TRAINING_FOLD_EXPORT_H_
#define PCS_TRAINING_FOLD_EXPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "training/labeled_dataset.h"

namespace pcs {

// Writes the walk-forward windows as CSV so that research outside the C++
// build (research/nn_challenger/) uses exactly the same rows and splits:
//   <dir>/folds.csv  window,part,id,symbol,pattern_type,confirmation_day,
//                    label,rule_confidence,analytic_probability,
//                    type_base_rate,gbm_probability,<feature names...>
// part is train | validation | test; type_base_rate is the row's pattern
// type rate on that window's train rows; gbm_probability is the chosen GBM's
// calibrated out-of-sample probability for test rows (empty otherwise).
// Features are written with %.9g (float round trip); NaN as empty.
struct ExportedRow {
  std::string window;
  std::string part;
  const LabeledExample* row = nullptr;
  double type_base_rate = 0;
  double gbm_probability = 0;  // NaN: none
};

absl::Status ExportFolds(const std::string& dir,
                         const std::vector<std::string>& feature_names,
                         const std::vector<ExportedRow>& rows);

}  // namespace pcs

#endif  // PCS_TRAINING_FOLD_EXPORT_H_
