#ifndef PCS_MODEL_TREE_ENSEMBLE_H_
#define PCS_MODEL_TREE_ENSEMBLE_H_

// TreeEnsemble: a fast, immutable evaluator of a saved XGBoost (1.7) JSON
// model, used on the serving path instead of the XGBoost library.
//
// Semantics follow XGBoost exactly:
//  * a split sends x to the left child iff `x[f] < split_condition`, compared
//    in float (features and thresholds are both float32);
//  * a missing value (NaN) follows the node's default direction;
//  * the margin is base_margin() + the sum of leaf values, where
//    base_margin() is the JSON "base_score" converted to the margin scale
//    (logit for binary:logistic / reg:logistic, identity for
//    binary:logitraw / reg:squarederror / rank:pairwise; a pairwise
//    ranker's margin is a score, which pcs calibrates like a logit).
// Contributions() is exact path-dependent TreeSHAP (Lundberg et al. 2018,
// Algorithm 2) using each node's cover (JSON "sum_hessian"), i.e. the same
// quantity as XGBoost's pred_contribs; the bias column is the expected
// margin base_margin() + sum over trees of the cover-weighted mean leaf value.
// Results match XGBoost to ~1e-6 (XGBoost accumulates in float, we in
// double from float table entries).
//
// Supported: gbtree boosters with numerical splits and one output
// (binary/regression). Categorical splits, dart and multi-class models are
// rejected with an error.
//
// Threading: all const methods are thread-safe. PredictMargin and the
// table-driven Contributions allocate nothing; ContributionsRecursive uses a
// thread_local scratch that grows once per thread to the model's depth.
// Memory: the SHAP tables take sum over leaves of 2^d * max_depth floats
// (about 0.55 MB for 140 trees of depth 4), built once at load. Float, not
// double: a row touches one table line per leaf, and the smaller table stays
// in cache between requests (evening burst: about 40 us less server CPU per
// request, docs/SERVER.md).
// Ownership: the object owns flat copies of the trees; cheap to move.
//
// Example:
//   auto model = TreeEnsemble::FromXGBoostJsonFile(dir + "/model.json");
//   if (!model.ok()) return model.status();
//   std::vector<double> contrib(model->num_features() + 1);
//   double margin = model->Contributions(features.data(), contrib.data());

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pcs {

class TreeEnsemble {
 public:
  static absl::StatusOr<TreeEnsemble> FromXGBoostJsonFile(
      const std::string& path);
  static absl::StatusOr<TreeEnsemble> FromXGBoostJson(absl::string_view text);

  int num_features() const { return num_features_; }
  int num_trees() const { return static_cast<int>(roots_.size()); }
  // Deepest leaf over all trees (root = depth 0).
  int max_depth() const { return max_depth_; }
  // base_score on the margin scale.
  double base_margin() const { return base_margin_; }
  // Expected margin over the training distribution (the SHAP bias column).
  double expected_margin() const { return expected_margin_; }
  const std::string& objective() const { return objective_; }

  // Margin (log-odds for binary:logistic) of one row; `x` holds
  // num_features() values, NaN = missing.
  double PredictMargin(const float* x) const;

  // TreeSHAP: writes num_features() + 1 values to `out` (last = bias,
  // expected_margin()); they sum to the returned margin (up to rounding).
  // Uses the precomputed per-leaf tables when the model has them (see
  // has_shap_tables()), else ContributionsRecursive.
  double Contributions(const float* x, double* out) const;

  // The textbook recursive TreeSHAP (Algorithm 2), O(trees * leaves *
  // depth^2) per row. Same result as Contributions; kept as the reference
  // and as the fallback for models too deep for tables.
  double ContributionsRecursive(const float* x, double* out) const;

  // True when per-leaf SHAP tables were built at load time. For a leaf whose
  // path holds d distinct features, the contributions depend only on which
  // of those d path conditions x satisfies, so all 2^d cases are computed at
  // load (d values each) and a row costs one table lookup per leaf. Built
  // when the tables fit in kMaxShapTableEntries floats and no tree has more
  // than 64 internal nodes (depth <= 6 always qualifies).
  bool has_shap_tables() const {
    return !shap_table_.empty() || roots_.empty();
  }
  static constexpr size_t kMaxShapTableEntries = size_t{4} << 20;  // 16 MiB

  // Implementation detail of Contributions (TreeSHAP path element).
  struct PathElement;

 private:
  struct Node {
    float value;       // split threshold, or the leaf value
    int32_t left;      // absolute node index; -1 marks a leaf
    int32_t right;     // absolute node index
    uint32_t feature;  // split feature; bit 31 set: missing goes left
  };
  static constexpr uint32_t kDefaultLeft = 1u << 31;
  // A root-to-leaf path for the table-driven TreeSHAP. Internal nodes of a
  // tree are numbered 0..63 in array order ("bits"); a row's decisions in a
  // tree form one 64-bit word compared against the path's.
  struct LeafPath {
    int32_t node;      // the leaf (absolute node index)
    int32_t features;  // into path_features_/path_feature_bits_ (num_unique
                       // entries)
    int32_t
        table;  // into shap_table_ ((1 << num_unique) * shap_stride_ entries)
    int32_t num_unique;  // distinct features on the path
    uint64_t path_bits;  // internal nodes on the path
    uint64_t left_bits;  // of those, where the path goes left
  };

  TreeEnsemble() = default;
  absl::Status AddTree(
      const void* tree_json);  // nlohmann::json*, kept out of the header
  int NextNode(const Node& node, const float* x) const;
  void TreeShap(int node, PathElement* parent_path, int parent_len,
                double zero_fraction, double one_fraction, int feature,
                const float* x, double* phi) const;
  double NodeMean(int node) const;
  void BuildShapTables();
  void AddLeafPath(int leaf, const std::vector<std::pair<int, bool>>& steps,
                   const std::vector<int>& node_bit);

  std::vector<Node> nodes_;     // all trees, flat
  std::vector<double> cover_;   // per node: sum of hessians (TreeSHAP weights)
  std::vector<int32_t> roots_;  // root node index of each tree
  // Table-driven TreeSHAP (empty when the model is too large for tables).
  std::vector<int32_t>
      tree_leaves_;  // per tree + sentinel: range in leaf_paths_
  std::vector<int32_t> tree_splits_;  // per tree + sentinel: range in splits_
  std::vector<Node> splits_;  // internal nodes of each tree in bit order
  std::vector<LeafPath> leaf_paths_;
  std::vector<int32_t> path_features_;
  std::vector<uint64_t>
      path_feature_bits_;  // internal nodes splitting on that feature
  // Float, as XGBoost's own: half the bytes of double (see Memory above).
  std::vector<float> shap_table_;
  // Entries per leaf in path_features_/path_feature_bits_ and per table row:
  // max_depth_, leaves with fewer distinct features are padded (feature =
  // num_features_, the bias slot; bits 0; value 0) so inner loops have a
  // fixed trip count.
  int shap_stride_ = 0;
  int num_features_ = 0;
  int max_depth_ = 0;
  double base_margin_ = 0;
  double expected_margin_ = 0;
  std::string objective_;
};

}  // namespace pcs

#endif  // PCS_MODEL_TREE_ENSEMBLE_H_
