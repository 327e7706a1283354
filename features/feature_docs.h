#ifndef PCS_FEATURES_FEATURE_DOCS_H_
#define PCS_FEATURES_FEATURE_DOCS_H_

#include <string>

namespace pcs {

// The Markdown table of every feature in schema order:
//   | # | name | category | definition | NaN when |
// docs/FEATURES.md embeds exactly this text between the lines
// "<!-- feature-table:begin -->" and "<!-- feature-table:end -->";
// tests/features/feature_docs_test.cc fails when they differ and rewrites the
// file when run with PCS_UPDATE_FEATURE_DOCS=1.
std::string FeatureTableMarkdown();

}  // namespace pcs

#endif  // PCS_FEATURES_FEATURE_DOCS_H_
