#include "model/tree_ensemble.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {

// One element of the TreeSHAP "unique path" (Lundberg et al., Algorithm 2).
struct TreeEnsemble::PathElement {
  int feature;  // split feature that added this element (-1: root dummy)
  double zero_fraction;  // share of cover that flows down this path when the
                         // feature is unknown
  double one_fraction;   // 1 if x follows this path, else 0
  double weight;         // permutation weight of subsets of this size
};

namespace {

using Json = nlohmann::json;

// XGBoost writes most scalar parameters as JSON strings ("5E-1", "10").
double NumberField(const Json& object, const char* key) {
  const Json& v = object.at(key);
  if (v.is_string()) return std::stod(v.get<std::string>());
  return v.get<double>();
}

absl::StatusOr<double> BaseMargin(const std::string& objective,
                                  double base_score) {
  if (objective == "binary:logistic" || objective == "reg:logistic") {
    if (!(base_score > 0 && base_score < 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "base_score ", base_score, " is not a probability for ", objective));
    }
    return std::log(base_score / (1.0 - base_score));
  }
  if (objective == "binary:logitraw" || objective == "reg:squarederror" ||
      objective == "rank:pairwise") {
    return base_score;
  }
  return absl::UnimplementedError(
      absl::StrCat("unsupported objective '", objective, "'"));
}

// TreeSHAP helpers. `path` holds `len` elements; these follow the algorithm's
// EXTEND / UNWIND steps, with UnwoundSum evaluating UNWIND's weight sum
// without modifying the path.
void ExtendPath(TreeEnsemble::PathElement* path, int len, double zero_fraction,
                double one_fraction, int feature) {
  path[len] = {feature, zero_fraction, one_fraction, len == 0 ? 1.0 : 0.0};
  for (int i = len - 1; i >= 0; --i) {
    path[i + 1].weight += one_fraction * path[i].weight * (i + 1) / (len + 1);
    path[i].weight = zero_fraction * path[i].weight * (len - i) / (len + 1);
  }
}

void UnwindPath(TreeEnsemble::PathElement* path, int len, int index) {
  const int last = len - 1;
  const double one = path[index].one_fraction;
  const double zero = path[index].zero_fraction;
  double next = path[last].weight;
  for (int j = last - 1; j >= 0; --j) {
    if (one != 0) {
      const double tmp = path[j].weight;
      path[j].weight = next * (last + 1) / ((j + 1) * one);
      next = tmp - path[j].weight * zero * (last - j) / (last + 1);
    } else {
      path[j].weight = path[j].weight * (last + 1) / (zero * (last - j));
    }
  }
  for (int j = index; j < last; ++j) {
    path[j].feature = path[j + 1].feature;
    path[j].zero_fraction = path[j + 1].zero_fraction;
    path[j].one_fraction = path[j + 1].one_fraction;
  }
}

double UnwoundSum(const TreeEnsemble::PathElement* path, int len, int index) {
  const int last = len - 1;
  const double one = path[index].one_fraction;
  const double zero = path[index].zero_fraction;
  double total = 0;
  if (one != 0) {
    double next = path[last].weight;
    for (int j = last - 1; j >= 0; --j) {
      const double w = next * (last + 1) / ((j + 1) * one);
      total += w;
      next = path[j].weight - w * zero * (last - j) / (last + 1);
    }
  } else {
    for (int j = last - 1; j >= 0; --j) {
      total += path[j].weight * (last + 1) / (zero * (last - j));
    }
  }
  return total;
}

}  // namespace

absl::StatusOr<TreeEnsemble> TreeEnsemble::FromXGBoostJsonFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot open model file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto model = FromXGBoostJson(buffer.str());
  if (!model.ok()) {
    return absl::Status(model.status().code(),
                        absl::StrCat(path, ": ", model.status().message()));
  }
  return model;
}

absl::StatusOr<TreeEnsemble> TreeEnsemble::FromXGBoostJson(
    absl::string_view text) {
  Json doc = Json::parse(text.begin(), text.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return absl::InvalidArgumentError("model is not valid JSON");
  TreeEnsemble model;
  try {
    const Json& learner = doc.at("learner");
    const Json& params = learner.at("learner_model_param");
    model.num_features_ = static_cast<int>(NumberField(params, "num_feature"));
    if (params.contains("num_class") && NumberField(params, "num_class") > 1) {
      return absl::UnimplementedError("multi-class models are not supported");
    }
    if (params.contains("num_target") &&
        NumberField(params, "num_target") > 1) {
      return absl::UnimplementedError("multi-target models are not supported");
    }
    model.objective_ = learner.at("objective").at("name").get<std::string>();
    auto margin =
        BaseMargin(model.objective_, NumberField(params, "base_score"));
    if (!margin.ok()) return margin.status();
    model.base_margin_ = *margin;
    const Json& booster = learner.at("gradient_booster");
    const std::string booster_name = booster.at("name").get<std::string>();
    if (booster_name != "gbtree") {
      return absl::UnimplementedError(
          absl::StrCat("unsupported booster '", booster_name, "'"));
    }
    for (const Json& tree : booster.at("model").at("trees")) {
      if (auto s = model.AddTree(&tree); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("tree ", model.roots_.size(), ": ", s.message()));
      }
    }
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed XGBoost model JSON: ", e.what()));
  } catch (const std::exception& e) {  // std::stod
    return absl::InvalidArgumentError(
        absl::StrCat("malformed number in model JSON: ", e.what()));
  }
  if (model.num_features_ <= 0)
    return absl::InvalidArgumentError("model has no features");
  model.expected_margin_ = model.base_margin_;
  for (int32_t root : model.roots_)
    model.expected_margin_ += model.NodeMean(root);
  model.BuildShapTables();
  return model;
}

absl::Status TreeEnsemble::AddTree(const void* tree_json) {
  const Json& tree = *static_cast<const Json*>(tree_json);
  const auto left = tree.at("left_children").get<std::vector<int64_t>>();
  const auto right = tree.at("right_children").get<std::vector<int64_t>>();
  const auto split = tree.at("split_conditions").get<std::vector<double>>();
  const auto feature = tree.at("split_indices").get<std::vector<int64_t>>();
  const auto default_left = tree.at("default_left").get<std::vector<int64_t>>();
  const auto hess = tree.at("sum_hessian").get<std::vector<double>>();
  const size_t n = left.size();
  if (n == 0 || right.size() != n || split.size() != n || feature.size() != n ||
      default_left.size() != n || hess.size() != n) {
    return absl::InvalidArgumentError(
        "node arrays are empty or of different lengths");
  }
  if (tree.contains("split_type")) {
    for (int64_t t : tree.at("split_type").get<std::vector<int64_t>>()) {
      if (t != 0)
        return absl::UnimplementedError("categorical splits are not supported");
    }
  }
  const int32_t base = static_cast<int32_t>(nodes_.size());
  for (size_t i = 0; i < n; ++i) {
    Node node{static_cast<float>(split[i]), -1, -1, 0};
    if (left[i] != -1) {
      if (left[i] <= 0 || right[i] <= 0 || left[i] >= static_cast<int64_t>(n) ||
          right[i] >= static_cast<int64_t>(n) || feature[i] < 0 ||
          feature[i] >= num_features_) {
        return absl::InvalidArgumentError(
            absl::StrCat("node ", i, " has invalid children/feature"));
      }
      if (!(hess[i] > 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("split node ", i, " has no cover"));
      }
      node.left = base + static_cast<int32_t>(left[i]);
      node.right = base + static_cast<int32_t>(right[i]);
      node.feature = static_cast<uint32_t>(feature[i]) |
                     (default_left[i] ? kDefaultLeft : 0u);
    }
    nodes_.push_back(node);
    cover_.push_back(hess[i]);
  }
  // Walk from the root: every node reachable at most once (no cycles), and
  // record the depth for the TreeSHAP scratch size.
  std::vector<std::pair<int32_t, int>> stack = {{base, 0}};
  std::vector<bool> seen(n, false);
  while (!stack.empty()) {
    auto [index, depth] = stack.back();
    stack.pop_back();
    if (seen[index - base])
      return absl::InvalidArgumentError("tree is not a tree (node reused)");
    seen[index - base] = true;
    max_depth_ = std::max(max_depth_, depth);
    if (nodes_[index].left >= 0) {
      stack.push_back({nodes_[index].left, depth + 1});
      stack.push_back({nodes_[index].right, depth + 1});
    }
  }
  roots_.push_back(base);
  return absl::OkStatus();
}

inline int TreeEnsemble::NextNode(const Node& node, const float* x) const {
  const float v = x[node.feature & ~kDefaultLeft];
  if (std::isnan(v))
    return (node.feature & kDefaultLeft) ? node.left : node.right;
  return v < node.value ? node.left : node.right;
}

double TreeEnsemble::PredictMargin(const float* x) const {
  double margin = base_margin_;
  for (int32_t root : roots_) {
    int index = root;
    while (nodes_[index].left >= 0) index = NextNode(nodes_[index], x);
    margin += nodes_[index].value;
  }
  return margin;
}

double TreeEnsemble::NodeMean(int node) const {
  const Node& n = nodes_[node];
  if (n.left < 0) return n.value;
  return (NodeMean(n.left) * cover_[n.left] +
          NodeMean(n.right) * cover_[n.right]) /
         cover_[node];
}

void TreeEnsemble::TreeShap(int node, PathElement* parent_path, int parent_len,
                            double zero_fraction, double one_fraction,
                            int feature, const float* x, double* phi) const {
  // Each level works on its own copy of the path, placed right after the
  // parent's, so siblings see the parent's path unchanged.
  PathElement* path = parent_path + parent_len;
  std::copy(parent_path, parent_path + parent_len, path);
  ExtendPath(path, parent_len, zero_fraction, one_fraction, feature);
  int len = parent_len + 1;
  const Node& n = nodes_[node];
  if (n.left < 0) {
    for (int i = 1; i < len; ++i) {
      const double w = UnwoundSum(path, len, i);
      phi[path[i].feature] +=
          w * (path[i].one_fraction - path[i].zero_fraction) * n.value;
    }
    return;
  }
  const int hot = NextNode(n, x);
  const int cold = hot == n.left ? n.right : n.left;
  const int split_feature = static_cast<int>(n.feature & ~kDefaultLeft);
  double incoming_zero = 1, incoming_one = 1;
  for (int k = 1; k < len; ++k) {
    if (path[k].feature ==
        split_feature) {  // feature already on the path: undo it
      incoming_zero = path[k].zero_fraction;
      incoming_one = path[k].one_fraction;
      UnwindPath(path, len, k);
      --len;
      break;
    }
  }
  TreeShap(hot, path, len, incoming_zero * cover_[hot] / cover_[node],
           incoming_one, split_feature, x, phi);
  TreeShap(cold, path, len, incoming_zero * cover_[cold] / cover_[node], 0,
           split_feature, x, phi);
}

double TreeEnsemble::ContributionsRecursive(const float* x, double* out) const {
  std::fill(out, out + num_features_ + 1, 0.0);
  // Level d uses at most d + 1 path elements; levels are laid out back to back.
  const size_t needed =
      static_cast<size_t>(max_depth_ + 2) * (max_depth_ + 3) / 2;
  thread_local std::vector<PathElement> scratch;
  if (scratch.size() < needed) scratch.resize(needed);
  for (int32_t root : roots_) {
    TreeShap(root, scratch.data(), 0, 1, 1, -1, x, out);
  }
  out[num_features_] = expected_margin_;
  return PredictMargin(x);
}

void TreeEnsemble::BuildShapTables() {
  std::vector<std::pair<int, bool>>
      steps;  // (node, path goes left) from the root
  std::vector<int> node_bit(nodes_.size(), -1);
  bool overflow = max_depth_ > 24;
  shap_stride_ = max_depth_;
  for (size_t t = 0; t < roots_.size() && !overflow; ++t) {
    const int32_t root = roots_[t];
    const int32_t end = t + 1 < roots_.size()
                            ? roots_[t + 1]
                            : static_cast<int32_t>(nodes_.size());
    int bits = 0;
    tree_splits_.push_back(static_cast<int32_t>(splits_.size()));
    for (int32_t i = root; i < end; ++i) {
      if (nodes_[i].left < 0) continue;
      node_bit[i] = bits++;
      splits_.push_back(nodes_[i]);
    }
    if (bits > 64) {
      overflow = true;
      break;
    }
    tree_leaves_.push_back(static_cast<int32_t>(leaf_paths_.size()));
    // Depth-first walk; `visit` appends the leaves of `node`'s subtree.
    auto visit = [&](auto& self, int node) -> void {
      if (nodes_[node].left < 0) {
        // steps.size() bounds the leaf's distinct features d: 2^d * d entries.
        overflow |=
            shap_table_.size() + (size_t{1} << steps.size()) * shap_stride_ >
            kMaxShapTableEntries;
        if (!overflow) AddLeafPath(node, steps, node_bit);
        return;
      }
      steps.push_back({node, true});
      self(self, nodes_[node].left);
      steps.back().second = false;
      self(self, nodes_[node].right);
      steps.pop_back();
    };
    visit(visit, root);
  }
  if (overflow) {
    // Too large: drop the tables and use recursive TreeSHAP only.
    tree_leaves_.clear();
    leaf_paths_.clear();
    path_features_.clear();
    path_feature_bits_.clear();
    tree_splits_.clear();
    splits_.clear();
    shap_table_.clear();
    shap_table_.shrink_to_fit();
    return;
  }
  tree_leaves_.push_back(static_cast<int32_t>(leaf_paths_.size()));
  tree_splits_.push_back(static_cast<int32_t>(splits_.size()));
}

void TreeEnsemble::AddLeafPath(int leaf,
                               const std::vector<std::pair<int, bool>>& steps,
                               const std::vector<int>& node_bit) {
  LeafPath path{leaf,
                static_cast<int32_t>(path_features_.size()),
                static_cast<int32_t>(shap_table_.size()),
                0,
                0,
                0};
  // Distinct features in order of first use, each with its zero fraction
  // (product of cover ratios of the path's steps on that feature).
  std::vector<double> zero;
  for (const auto& [node, left] : steps) {
    const Node& n = nodes_[node];
    const int feature = static_cast<int>(n.feature & ~kDefaultLeft);
    const int child = left ? n.left : n.right;
    int unique = 0;
    while (unique < path.num_unique &&
           path_features_[path.features + unique] != feature)
      ++unique;
    if (unique == path.num_unique) {
      path_features_.push_back(feature);
      path_feature_bits_.push_back(0);
      zero.push_back(1.0);
      ++path.num_unique;
    }
    zero[unique] *= cover_[child] / cover_[node];
    const uint64_t bit = uint64_t{1} << node_bit[node];
    path_feature_bits_[path.features + unique] |= bit;
    path.path_bits |= bit;
    if (left) path.left_bits |= bit;
  }
  // For each pattern of satisfied conditions (bit j: x follows the path on
  // distinct feature j), the leaf's Shapley values from the unique path.
  const int d = path.num_unique;
  const double value = nodes_[leaf].value;
  std::vector<PathElement> unique_path(static_cast<size_t>(d) + 1);
  for (uint32_t mask = 0; mask < (1u << d); ++mask) {
    ExtendPath(unique_path.data(), 0, 1, 1, -1);
    for (int j = 0; j < d; ++j) {
      ExtendPath(unique_path.data(), j + 1, zero[j], (mask >> j) & 1u, j);
    }
    for (int j = 0; j < d; ++j) {
      const PathElement& e = unique_path[j + 1];
      shap_table_.push_back(
          static_cast<float>(UnwoundSum(unique_path.data(), d + 1, j + 1) *
                             (e.one_fraction - e.zero_fraction) * value));
    }
    shap_table_.resize(shap_table_.size() + (shap_stride_ - d), 0.0f);
  }
  path_features_.resize(path.features + shap_stride_, num_features_);
  path_feature_bits_.resize(path.features + shap_stride_, 0);
  leaf_paths_.push_back(path);
}

namespace {

// Flat views of the SHAP tables for AccumulateLeaves.
template <typename NodeT>
struct ShapTablesT {
  const uint64_t* feature_bits;
  const int32_t* features;
  const float* table;
  const NodeT* nodes;
  int32_t stride;
};

// Adds the table rows of leaves [first, last) of one tree to `out` given the
// row's directions `goes_left`; returns the value of the leaf the row reaches.
// kStride > 0 fixes the per-leaf entry count at compile time (0: runtime).
template <int kStride, typename Leaf, typename Tables>
double AccumulateLeaves(const Leaf* first, const Leaf* last, uint64_t goes_left,
                        const Tables& tables, double* out) {
  const int32_t stride = kStride > 0 ? kStride : tables.stride;
  double reached = 0;
  for (const Leaf* leaf = first; leaf != last; ++leaf) {
    const uint64_t off_path = (goes_left ^ leaf->left_bits) & leaf->path_bits;
    const uint64_t* feature_bits = tables.feature_bits + leaf->features;
    uint32_t mask = (1u << leaf->num_unique) - 1;
    for (int32_t j = 0; j < stride; ++j) {
      mask &= ~(static_cast<uint32_t>((off_path & feature_bits[j]) != 0) << j);
    }
    reached += off_path == 0 ? tables.nodes[leaf->node].value : 0.0f;
    const float* row =
        tables.table + leaf->table + static_cast<size_t>(mask) * stride;
    const int32_t* features = tables.features + leaf->features;
    for (int32_t j = 0; j < stride; ++j)
      out[features[j]] += row[j];  // padding: bias slot
  }
  return reached;
}

}  // namespace

double TreeEnsemble::Contributions(const float* x, double* out) const {
  if (shap_table_.empty() && !roots_.empty())
    return ContributionsRecursive(x, out);
  std::fill(out, out + num_features_ + 1, 0.0);
  double margin = base_margin_;
  const int32_t stride = shap_stride_;
  const ShapTablesT<Node> tables{path_feature_bits_.data(),
                                 path_features_.data(), shap_table_.data(),
                                 nodes_.data(), stride};
  // Branch-free inner loops: the directions are data-dependent and would
  // mispredict about half of the time.
  for (size_t t = 0; t < roots_.size(); ++t) {
    // The row's direction at every internal node, one bit each.
    uint64_t goes_left = 0;
    for (int32_t i = tree_splits_[t], bit = 0; i < tree_splits_[t + 1];
         ++i, ++bit) {
      const Node& n = splits_[i];
      const float v = x[n.feature & ~kDefaultLeft];
      const bool missing = std::isnan(v);
      const bool left = (missing & ((n.feature & kDefaultLeft) != 0)) |
                        (!missing & (v < n.value));
      goes_left |= static_cast<uint64_t>(left) << bit;
    }
    const LeafPath* first = leaf_paths_.data() + tree_leaves_[t];
    const LeafPath* last = leaf_paths_.data() + tree_leaves_[t + 1];
    switch (
        stride) {  // fixed trip counts let the compiler unroll the inner loops
      case 1:
        margin += AccumulateLeaves<1>(first, last, goes_left, tables, out);
        break;
      case 2:
        margin += AccumulateLeaves<2>(first, last, goes_left, tables, out);
        break;
      case 3:
        margin += AccumulateLeaves<3>(first, last, goes_left, tables, out);
        break;
      case 4:
        margin += AccumulateLeaves<4>(first, last, goes_left, tables, out);
        break;
      case 5:
        margin += AccumulateLeaves<5>(first, last, goes_left, tables, out);
        break;
      case 6:
        margin += AccumulateLeaves<6>(first, last, goes_left, tables, out);
        break;
      default:
        margin += AccumulateLeaves<0>(first, last, goes_left, tables, out);
        break;
    }
  }
  out[num_features_] = expected_margin_;
  return margin;
}

}  // namespace pcs
