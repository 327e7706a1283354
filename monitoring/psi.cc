#include "monitoring/psi.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

// Linear interpolation between order statistics (the "type 7" quantile that
// numpy and R use by default), on already sorted finite values.
double SortedQuantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

std::string BinLabel(const std::vector<double>& edges, size_t i) {
  const std::string lo = i == 0 ? "-inf" : absl::StrCat(edges[i - 1]);
  const std::string hi = i == edges.size() ? "+inf" : absl::StrCat(edges[i]);
  return absl::StrCat("(", lo, ",", hi, "]");
}

const nlohmann::json* FindAny(const nlohmann::json& object,
                              std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto it = object.find(key);
    if (it != object.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

}  // namespace

absl::string_view DriftLevelName(DriftLevel level) {
  switch (level) {
    case DriftLevel::kStable:
      return "stable";
    case DriftLevel::kModerate:
      return "moderate";
    case DriftLevel::kSignificant:
      return "significant";
  }
  return "unknown";
}

DriftLevel ClassifyPsi(double psi) {
  if (psi > kPsiSignificantThreshold) return DriftLevel::kSignificant;
  if (psi >= kPsiModerateThreshold) return DriftLevel::kModerate;
  return DriftLevel::kStable;
}

int BinIndex(const std::vector<double>& edges, double value) {
  // First edge >= value: value lies in (edges[i-1], edges[i]].
  return static_cast<int>(std::lower_bound(edges.begin(), edges.end(), value) -
                          edges.begin());
}

BinReference BuildBinReference(absl::string_view name,
                               const std::vector<double>& values,
                               int num_bins) {
  BinReference ref;
  ref.name = std::string(name);
  ref.count = static_cast<int64_t>(values.size());
  std::vector<double> finite;
  finite.reserve(values.size());
  int64_t nans = 0;
  for (double v : values) {
    if (std::isnan(v)) {
      ++nans;
    } else {
      finite.push_back(v);
    }
  }
  std::sort(finite.begin(), finite.end());
  if (!finite.empty()) {
    for (int k = 1; k < std::max(num_bins, 1); ++k) {
      const double edge =
          SortedQuantile(finite, static_cast<double>(k) / num_bins);
      if (std::isfinite(edge) &&
          (ref.edges.empty() || edge > ref.edges.back())) {
        ref.edges.push_back(edge);
      }
    }
  }
  ref.proportions.assign(ref.edges.size() + 1, 0.0);
  if (values.empty()) return ref;
  const double n = static_cast<double>(values.size());
  for (double v : finite) ref.proportions[BinIndex(ref.edges, v)] += 1.0 / n;
  ref.nan_proportion = static_cast<double>(nans) / n;
  return ref;
}

absl::Status ValidateBinReference(const BinReference& reference) {
  const std::string where = absl::StrCat("reference '", reference.name, "': ");
  for (size_t i = 0; i < reference.edges.size(); ++i) {
    if (!std::isfinite(reference.edges[i]) ||
        (i > 0 && !(reference.edges[i] > reference.edges[i - 1]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "edges must be finite and strictly increasing (edge ", i,
          ")"));
    }
  }
  if (reference.proportions.size() != reference.edges.size() + 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, reference.proportions.size(), " proportions for ",
                     reference.edges.size(), " edges (want edges + 1)"));
  }
  double sum = reference.nan_proportion;
  if (!(reference.nan_proportion >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "negative nan_proportion"));
  }
  for (double p : reference.proportions) {
    if (!(p >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "negative proportion"));
    }
    sum += p;
  }
  if (std::fabs(sum - 1.0) > 1e-3) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "proportions sum to ", sum, ", not 1"));
  }
  return absl::OkStatus();
}

absl::StatusOr<PsiResult> ComputePsi(const BinReference& reference,
                                     const std::vector<double>& values,
                                     double epsilon) {
  if (absl::Status s = ValidateBinReference(reference); !s.ok()) return s;
  if (values.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("PSI of '", reference.name, "': no observed values"));
  }
  if (!(epsilon > 0 && epsilon < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("epsilon ", epsilon, " not in (0,1)"));
  }
  PsiResult result;
  result.name = reference.name;
  result.count = static_cast<int64_t>(values.size());
  const size_t finite_bins = reference.proportions.size();
  std::vector<double> counts(finite_bins + 1, 0.0);  // last = NaN
  for (double v : values) {
    if (std::isnan(v)) {
      ++result.nan_count;
      counts[finite_bins] += 1;
    } else {
      counts[BinIndex(reference.edges, v)] += 1;
    }
  }
  const double n = static_cast<double>(values.size());
  for (size_t b = 0; b <= finite_bins; ++b) {
    PsiBin bin;
    bin.label = b == finite_bins ? "nan" : BinLabel(reference.edges, b);
    bin.expected =
        b == finite_bins ? reference.nan_proportion : reference.proportions[b];
    bin.actual = counts[b] / n;
    const double e = std::max(bin.expected, epsilon);
    const double a = std::max(bin.actual, epsilon);
    bin.term = (a - e) * std::log(a / e);
    result.psi += bin.term;
    result.bins.push_back(std::move(bin));
  }
  result.level = ClassifyPsi(result.psi);
  return result;
}

nlohmann::json BinReferenceToJson(const BinReference& reference) {
  return {{"name", reference.name},
          {"edges", reference.edges},
          {"proportions", reference.proportions},
          {"nan_proportion", reference.nan_proportion},
          {"count", reference.count}};
}

absl::StatusOr<BinReference> BinReferenceFromJson(const nlohmann::json& json,
                                                  absl::string_view name) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("reference '", name, "' is not a JSON object"));
  }
  BinReference ref;
  try {
    ref.name = json.contains("name") ? json.at("name").get<std::string>()
                                     : std::string(name);
    const nlohmann::json* edges = FindAny(json, {"edges", "bin_edges"});
    const nlohmann::json* props = FindAny(json, {"proportions", "expected"});
    if (edges == nullptr || props == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "reference '", ref.name, "': needs \"edges\" and \"proportions\""));
    }
    ref.edges = edges->get<std::vector<double>>();
    ref.proportions = props->get<std::vector<double>>();
    if (const nlohmann::json* nan = FindAny(
            json, {"nan_proportion", "nan_fraction", "missing_proportion"})) {
      ref.nan_proportion = nan->get<double>();
    }
    if (const nlohmann::json* count = FindAny(json, {"count", "n"})) {
      ref.count = count->get<int64_t>();
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reference '", ref.name.empty() ? std::string(name) : ref.name,
        "': ", e.what()));
  }
  if (absl::Status s = ValidateBinReference(ref); !s.ok()) return s;
  return ref;
}

nlohmann::json PsiResultToJson(const PsiResult& result) {
  nlohmann::json bins = nlohmann::json::array();
  for (const PsiBin& b : result.bins) {
    bins.push_back({{"bin", b.label},
                    {"expected", b.expected},
                    {"actual", b.actual},
                    {"term", b.term}});
  }
  return {{"name", result.name},
          {"psi", result.psi},
          {"level", std::string(DriftLevelName(result.level))},
          {"count", result.count},
          {"nan_count", result.nan_count},
          {"bins", bins}};
}

}  // namespace pcs
