#include "core/version.h"

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

TEST(VersionTest, VersionIsTheCMakeProjectVersion) {
  EXPECT_EQ(PcsVersion(), PCS_EXPECTED_VERSION);
  EXPECT_EQ(VersionLine("pcs-x"), std::string("pcs-x ") + PCS_EXPECTED_VERSION +
                                      " (commit " +
                                      std::string(PcsGitCommit()) + ")");
}

// In a git checkout (CI clones one) the commit is a real commit of this
// repository; outside one it is "unknown". A commit made after the build
// still contains the build's commit, so this holds while main moves on.
TEST(VersionTest, CommitIsACommitOfThisCheckout) {
  const std::string commit(PcsGitCommit());
  const std::string probe =
      std::string("git -C '") + PCS_SOURCE_DIR + "' rev-parse --git-dir";
  const bool in_git = std::system((probe + " >/dev/null 2>&1").c_str()) == 0;
  if (!in_git) {
    EXPECT_EQ(commit, "unknown");
    return;
  }
  EXPECT_THAT(commit, ::testing::MatchesRegex("[0-9a-f]+"));
  EXPECT_GE(commit.size(), 7u);
  const std::string exists = std::string("git -C '") + PCS_SOURCE_DIR +
                             "' cat-file -e " + commit + "^{commit}";
  EXPECT_EQ(std::system((exists + " 2>/dev/null").c_str()), 0)
      << commit << " is not a commit of " << PCS_SOURCE_DIR;
}

}  // namespace
}  // namespace pcs
