#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "core/version.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

using ::pcs::testing::SharedOhlcvFile;
using ::pcs::testing::TestDatabase;
using ::testing::HasSubstr;
using ::testing::Not;

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `pcs <args>` through the shell (args must be shell-safe).
// `env` is prepended as shell assignments (e.g. "PCS_MIGRATIONS_DIR=/x").
RunResult RunPcs(const std::string& args, const std::string& env = "") {
  RunResult result;
  const std::string command = std::string("PCS_DATABASE_URL= ") + env + " " +
                              PCS_BINARY + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

TEST(PcsCliTest, NoSubcommandIsUsageError) {
  const RunResult r = RunPcs("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("subcommand"));
}

TEST(PcsCliTest, UnknownCommandIsUsageError) {
  const RunResult r = RunPcs("bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown command 'bogus'"));
}

TEST(PcsCliTest, UnknownFlagIsUsageError) {
  EXPECT_EQ(RunPcs("ingest --no-such-flag x").exit_code, 2);
}

TEST(PcsCliTest, HelpListsCommands) {
  const RunResult r = RunPcs("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("migrate"));
  EXPECT_THAT(r.output, HasSubstr("ingest"));
  EXPECT_THAT(r.output, HasSubstr("--database-url"));
}

TEST(PcsCliTest, VersionPrintsVersionAndCommit) {
  const RunResult r = RunPcs("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, VersionLine("pcs") + "\n");
  EXPECT_THAT(r.output,
              ::testing::MatchesRegex("pcs [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit "
                                      "([0-9a-f]+|unknown)\\)\n"));
  // The subcommand's own --version (a model version) is not the global one.
  EXPECT_THAT(RunPcs("train --help").output, HasSubstr("--version TEXT"));
}

// Help shows defaults that mean something on another machine: never the
// source or build folder this binary was compiled in.
TEST(PcsCliTest, HelpNeverShowsBuildPaths) {
  for (const char* command :
       {"", "migrate", "ingest", "backfill", "report", "outcomes", "drift",
        "train", "evaluate", "snapshots", "score", "status"}) {
    const RunResult r = RunPcs(std::string(command) + " --help");
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("--help")) << command;
    EXPECT_THAT(r.output, Not(HasSubstr(PCS_SOURCE_DIR))) << command;
    EXPECT_THAT(r.output, Not(HasSubstr(PCS_BINARY_DIR))) << command;
  }
}

// A value out of range is named as given, in one short line (CLI11's own
// NonNegativeNumber printed DBL_MAX with 309 digits).
TEST(PcsCliTest, RangeErrorsAreReadable) {
  RunResult r =
      RunPcs("train --version v1 --bootstrap-resamples -1 --models-dir /x");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(
      r.output,
      HasSubstr("--bootstrap-resamples: must be a number >= 0, got -1"));
  r = RunPcs("drift --window-days 99999999999999999999");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("99999999999999999999"));
  r = RunPcs("drift --window-days -3");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("-3"));
  for (const std::string& run :
       {RunPcs("train --bootstrap-resamples -1").output,
        RunPcs("train --bootstrap-resamples 1e300").output,
        RunPcs("drift --window-days 99999999999999999999").output,
        RunPcs("drift --rule-threshold 1e999").output}) {
    EXPECT_THAT(run, Not(::testing::ContainsRegex("[0-9]{30}"))) << run;
    EXPECT_LT(run.size(), 300u) << run;
  }
}

TEST(PcsCliTest, MissingFileIsOneErrorLine) {
  const RunResult r = RunPcs("ingest /nonexistent/pcs/x.csv");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output,
            "pcs ingest: error: /nonexistent/pcs/x.csv: no such file or "
            "folder\n");
}

TEST(PcsCliTest, UnreachableDatabaseIsOneErrorLine) {
  const RunResult r =
      RunPcs("ingest --database-url " + Quoted("host=/nonexistent-pcs port=1") +
             " " + SharedOhlcvFile("AAPL"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("cannot connect to PostgreSQL"));
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1);
}

TEST(PcsCliTest, SymbolWithManyFilesIsUsageError) {
  const RunResult r = RunPcs("ingest --symbol X " + SharedOhlcvFile("AAPL") +
                             " " + SharedOhlcvFile("DIA"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--symbol needs exactly one file"));
}

TEST(PcsCliTest, MigrateThenIngestTwice) {
  const std::string url = Quoted(TestDatabase::EmptyDatabase());
  RunResult r = RunPcs("migrate --database-url " + url);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("applied"));
  r = RunPcs("migrate --database-url " + url);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("schema up to date"));

  // Global flag after the subcommand name works too.
  r = RunPcs("ingest " + SharedOhlcvFile("CLWT") + " --database-url " + url);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("CLWT.csv"));
  EXPECT_THAT(r.output, HasSubstr("empty_row"));
  EXPECT_THAT(r.output, HasSubstr("4779"));
  // Not a terminal: no progress lines.
  EXPECT_THAT(r.output, Not(HasSubstr("[1/1]")));

  r = RunPcs("ingest --totals-only --database-url " + url + " " +
             SharedOhlcvFile("CLWT"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("CLWT.csv")));
}

TEST(PcsCliTest, RefusedFileGivesExitOneAfterLoadingTheRest) {
  const std::string url = Quoted(TestDatabase::FreshDatabase());
  const RunResult r =
      RunPcs("ingest --database-url " + url + " " + SharedOhlcvFile("AAPL") +
             " " + PCS_SOURCE_DIR "/migrations/0001_price_bars_and_ingest.sql");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("REFUSED"));
  EXPECT_THAT(r.output, HasSubstr("1 file(s) refused"));
  EXPECT_THAT(r.output, HasSubstr("AAPL.csv"));
}

// The container image sets PCS_MIGRATIONS_DIR (deploy/Dockerfile): it must
// win over the compiled-in source path, and --migrations-dir over it.
TEST(PcsCliTest, MigrationsDirComesFromTheEnvironment) {
  const std::string url = Quoted(TestDatabase::EmptyDatabase());
  RunResult r = RunPcs("migrate --database-url " + url,
                       "PCS_MIGRATIONS_DIR=/nonexistent/pcs-migrations");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("/nonexistent/pcs-migrations"));
  r = RunPcs("migrate --database-url " + url + " --migrations-dir " +
                 std::string(PCS_SOURCE_DIR) + "/migrations",
             "PCS_MIGRATIONS_DIR=/nonexistent/pcs-migrations");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("applied"));
}

// Commands that write lasting state refuse a throwaway cluster and say why;
// --embedded-root makes one that lasts.
TEST(PcsCliTest, WritingCommandsRefuseAThrowawayCluster) {
  for (const char* command :
       {"outcomes", "drift --models-dir /nonexistent", "snapshots", "score"}) {
    const RunResult r = RunPcs(command, "PCS_EMBEDDED_ROOT=");
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("no database given")) << command;
    EXPECT_THAT(r.output, HasSubstr("throwaway cluster")) << command;
    EXPECT_THAT(r.output, HasSubstr("--embedded-root")) << command;
  }
  // Writing nothing (--no-record) may use one.
  EXPECT_THAT(RunPcs("drift --no-record --models-dir /nonexistent",
                     "PCS_EMBEDDED_ROOT=")
                  .output,
              Not(HasSubstr("no database given")));
}

// usual-ranges reads the database only; with no patterns in it (a new
// throwaway cluster) it says where to get them instead of writing an
// empty table.
TEST(PcsCliTest, UsualRangesWithoutPatternsSaysWhereToGetThem) {
  const RunResult r = RunPcs("usual-ranges", "PCS_EMBEDDED_ROOT=");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no resolved patterns")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--ingest-from")) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("kTable"))) << r.output;
}

TEST(PcsCliTest, EmbeddedDatabaseWhenNoUrl) {
  const RunResult r = RunPcs("migrate");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("(embedded)"));
}

}  // namespace
}  // namespace pcs
