// Unit tests of the default Authorizer: file parsing and the decision table
// (server/allow_list_authorizer.h).
#include "server/allow_list_authorizer.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWriter[] = "writer-token-abcdefghijklmnop";
constexpr char kReader[] = "reader-token-abcdefghijklmnop";

std::unique_ptr<AllowListAuthorizer> Make(bool reads_require_identity) {
  auto auth = AllowListAuthorizer::FromText(
      absl::StrCat("# comment\n\n", "write token alice ", kWriter, "\n",
                   "read  token grafana ", kReader, "\n",
                   "write subject CN=analyst-1,O=pcs\n",
                   "read subject CN=dash board,O=pcs\n"),
      "test", reads_require_identity);
  EXPECT_TRUE(auth.ok()) << auth.status();
  return std::move(*auth);
}

Identity Token(const std::string& token) {
  Identity id;
  id.bearer_token = token;
  return id;
}

Identity Subject(const std::string& subject) {
  Identity id;
  id.certificate_subject = subject;
  return id;
}

TEST(AllowListAuthorizerTest, ParsesEntries) {
  auto auth = Make(false);
  EXPECT_EQ(auth->token_entries(), 2u);
  EXPECT_EQ(auth->subject_entries(), 2u);
}

TEST(AllowListAuthorizerTest, WriteDecisions) {
  auto auth = Make(false);
  auto ok = auth->Authorize(Token(kWriter), Access::kWrite);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "alice");

  auto anonymous = auth->Authorize(Identity{}, Access::kWrite);
  EXPECT_TRUE(absl::IsUnauthenticated(anonymous.status()));

  auto wrong =
      auth->Authorize(Token("not-a-token-on-the-list"), Access::kWrite);
  EXPECT_TRUE(absl::IsUnauthenticated(wrong.status()));
  // The presented token is never echoed.
  EXPECT_THAT(wrong.status().message(), Not(HasSubstr("not-a-token")));

  auto reader = auth->Authorize(Token(kReader), Access::kWrite);
  EXPECT_TRUE(absl::IsPermissionDenied(reader.status()));
  EXPECT_THAT(reader.status().message(), HasSubstr("grafana"));
  EXPECT_THAT(reader.status().message(), Not(HasSubstr(kReader)));

  auto analyst = auth->Authorize(Subject("CN=analyst-1,O=pcs"), Access::kWrite);
  ASSERT_TRUE(analyst.ok()) << analyst.status();
  EXPECT_EQ(*analyst, "CN=analyst-1,O=pcs");
  auto dash = auth->Authorize(Subject("CN=dash board,O=pcs"), Access::kWrite);
  EXPECT_TRUE(absl::IsPermissionDenied(dash.status()));
  auto stranger = auth->Authorize(Subject("CN=stranger"), Access::kWrite);
  EXPECT_TRUE(absl::IsPermissionDenied(stranger.status()));

  // A token that matches nothing is not rescued by a good certificate:
  // a bad credential is an error, not an absent one.
  Identity both = Subject("CN=analyst-1,O=pcs");
  both.bearer_token = "bad-token-0123456789";
  EXPECT_TRUE(
      absl::IsUnauthenticated(auth->Authorize(both, Access::kWrite).status()));
}

TEST(AllowListAuthorizerTest, ReadsOpenByDefault) {
  auto auth = Make(false);
  EXPECT_TRUE(auth->Authorize(Identity{}, Access::kRead).ok());
  EXPECT_TRUE(auth->Authorize(Subject("CN=stranger"), Access::kRead).ok());
}

TEST(AllowListAuthorizerTest, ReadsCanRequireAnIdentity) {
  auto auth = Make(true);
  EXPECT_TRUE(absl::IsUnauthenticated(
      auth->Authorize(Identity{}, Access::kRead).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(
      auth->Authorize(Token("unknown-token-0123456789"), Access::kRead)
          .status()));
  EXPECT_TRUE(auth->Authorize(Token(kReader), Access::kRead).ok());
  EXPECT_TRUE(auth->Authorize(Token(kWriter), Access::kRead).ok());
  EXPECT_TRUE(
      auth->Authorize(Subject("CN=dash board,O=pcs"), Access::kRead).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(
      auth->Authorize(Subject("CN=stranger"), Access::kRead).status()));
}

TEST(AllowListAuthorizerTest, NoFileRefusesEveryWrite) {
  auto auth = AllowListAuthorizer::Create({});
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE(absl::IsUnauthenticated(
      (*auth)->Authorize(Identity{}, Access::kWrite).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(
      (*auth)->Authorize(Token(kWriter), Access::kWrite).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      (*auth)->Authorize(Subject("CN=analyst-1"), Access::kWrite).status()));
  EXPECT_TRUE((*auth)->Authorize(Identity{}, Access::kRead).ok());
}

TEST(AllowListAuthorizerTest, BadFilesNameTheLineNotTheToken) {
  auto short_token =
      AllowListAuthorizer::FromText("write token bob short\n", "f", false);
  EXPECT_TRUE(absl::IsInvalidArgument(short_token.status()));
  EXPECT_THAT(short_token.status().message(), HasSubstr("f:1"));
  EXPECT_THAT(short_token.status().message(), Not(HasSubstr("short\n")));
  EXPECT_THAT(short_token.status().message(), HasSubstr("shorter than 16"));

  auto bad_access = AllowListAuthorizer::FromText(
      "\nadmin token bob 0123456789abcdef0\n", "f", false);
  EXPECT_THAT(bad_access.status().message(), HasSubstr("f:2"));
  auto bad_kind = AllowListAuthorizer::FromText(
      "write password bob 0123456789abcdef0\n", "f", false);
  EXPECT_TRUE(absl::IsInvalidArgument(bad_kind.status()));
  auto extra = AllowListAuthorizer::FromText(
      "write token bob 0123456789abcdef0 extra\n", "f", false);
  EXPECT_TRUE(absl::IsInvalidArgument(extra.status()));
  auto missing = AllowListAuthorizer::Create({.path = "/nonexistent/allow"});
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
}

TEST(AllowListAuthorizerTest, ReadsAFile) {
  auto path = std::filesystem::temp_directory_path() /
              absl::StrCat("pcs_allow_list_test_", ::getpid());
  {
    std::ofstream out(path);
    out << "write token ci " << kWriter << "\n";
  }
  auto auth = AllowListAuthorizer::Create({.path = path.string()});
  std::filesystem::remove(path);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE((*auth)->Authorize(Token(kWriter), Access::kWrite).ok());
}

}  // namespace
}  // namespace pcs
