#include "features/feature_docs.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "features/feature_list.h"

namespace pcs {

std::string FeatureTableMarkdown() {
  using features_internal::kFeatureInfo;
  std::string out =
      "| # | name | category | definition | NaN when |\n"
      "|---|------|----------|------------|----------|\n";
  int index = 0;
  for (const auto& info : kFeatureInfo) {
    // A '|' inside a cell would split the Markdown table.
    const std::string definition =
        absl::StrReplaceAll(info.definition, {{"|", "\\|"}});
    absl::StrAppend(&out, "| ", index++, " | `", info.name, "` | ",
                    info.category, " | ", definition, " | ", info.nan_when,
                    " |\n");
  }
  return out;
}

}  // namespace pcs
