#include "features/feature_docs.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "features/feature_builder.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

constexpr char kBegin[] = "<!-- feature-table:begin -->\n";
constexpr char kEnd[] = "<!-- feature-table:end -->";

TEST(FeatureDocsTest, TableListsEverySchemaNameInOrder) {
  const std::string table = FeatureTableMarkdown();
  size_t pos = 0;
  for (const std::string& name : FeatureBuilder::Schema().names) {
    const size_t at = table.find("`" + name + "`", pos);
    ASSERT_NE(at, std::string::npos) << name;
    pos = at;
  }
}

// docs/FEATURES.md must embed the generated table verbatim. Regenerate with
//   PCS_UPDATE_FEATURE_DOCS=1 ./features_test --gtest_filter=FeatureDocs*
TEST(FeatureDocsTest, FeaturesMdMatchesTheCode) {
  const std::string path = std::string(PCS_SOURCE_DIR) + "/docs/FEATURES.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string doc = buffer.str();
  const size_t begin = doc.find(kBegin);
  const size_t end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << path << " lacks " << kBegin;
  ASSERT_NE(end, std::string::npos) << path << " lacks " << kEnd;
  const size_t body = begin + std::string(kBegin).size();
  const std::string expected = FeatureTableMarkdown();
  if (const char* update = std::getenv("PCS_UPDATE_FEATURE_DOCS");
      update != nullptr && std::string(update) == "1") {
    doc.replace(body, end - body, expected);
    std::ofstream(path) << doc;
    return;
  }
  EXPECT_EQ(doc.substr(body, end - body), expected)
      << "docs/FEATURES.md is out of date; see the comment above this test";
}

}  // namespace
}  // namespace pcs
