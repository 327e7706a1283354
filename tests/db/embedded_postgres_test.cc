#include "db/embedded_postgres.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "db/database.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"

namespace pcs {
namespace {

namespace fs = std::filesystem;

bool ProcessAlive(pid_t pid) {
  // A postgres process that exited but was not reaped yet (no init to reap
  // in some containers) is a zombie: treat it as gone.
  std::error_code ec;
  const std::string stat = "/proc/" + std::to_string(pid) + "/stat";
  if (!fs::exists(stat, ec)) return false;
  std::ifstream in(stat);
  std::string pid_text, comm, state;
  in >> pid_text >> comm >> state;
  return state != "Z";
}

// Polls until `pid` is gone or `seconds` elapse.
bool WaitGone(pid_t pid, int seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!ProcessAlive(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return !ProcessAlive(pid);
}

TEST(EmbeddedPostgresTest, StartsQueriesAndStopsWithoutLeftovers) {
  auto pg = EmbeddedPostgres::Start({});
  ASSERT_TRUE(pg.ok()) << pg.status();
  const pid_t pid = (*pg)->postmaster_pid();
  const std::string socket_dir = (*pg)->socket_dir();
  const std::string data_dir = (*pg)->data_dir();
  ASSERT_GT(pid, 0);
  EXPECT_NE((*pg)->port(), 5432);
  EXPECT_TRUE(ProcessAlive(pid));
  {
    pqxx::connection conn((*pg)->ConnInfo());
    pqxx::nontransaction tx(conn);
    EXPECT_EQ(tx.exec1("SELECT current_database()")[0].as<std::string>(),
              "pcs");
    EXPECT_EQ(tx.exec1("SHOW listen_addresses")[0].as<std::string>(), "");
  }
  ASSERT_TRUE((*pg)->Stop().ok());
  EXPECT_TRUE(WaitGone(pid, 30));
  EXPECT_FALSE(fs::exists(socket_dir));
  EXPECT_FALSE(fs::exists(data_dir));
  EXPECT_TRUE((*pg)->Stop().ok());  // idempotent
}

TEST(EmbeddedPostgresTest, DestructorStopsServer) {
  pid_t pid = 0;
  {
    auto pg = EmbeddedPostgres::Start({});
    ASSERT_TRUE(pg.ok()) << pg.status();
    pid = (*pg)->postmaster_pid();
  }
  EXPECT_TRUE(WaitGone(pid, 30));
}

TEST(EmbeddedPostgresTest, PersistentRootIsReused) {
  const fs::path root =
      fs::temp_directory_path() / ("pcs-root-test-" + std::to_string(getpid()));
  {
    EmbeddedPostgresOptions options;
    options.root = root.string();
    auto pg = EmbeddedPostgres::Start(options);
    ASSERT_TRUE(pg.ok()) << pg.status();
    pqxx::connection conn((*pg)->ConnInfo());
    pqxx::nontransaction tx(conn);
    tx.exec0("CREATE TABLE kept (x int)");
    tx.exec0("INSERT INTO kept VALUES (42)");
  }
  {
    EmbeddedPostgresOptions options;
    options.root = root.string();
    auto pg = EmbeddedPostgres::Start(options);
    ASSERT_TRUE(pg.ok()) << pg.status();
    pqxx::connection conn((*pg)->ConnInfo());
    pqxx::nontransaction tx(conn);
    EXPECT_EQ(tx.exec1("SELECT x FROM kept")[0].as<int>(), 42);
  }
  fs::remove_all(root);
}

TEST(EmbeddedPostgresTest, SigtermInChildStopsItsServer) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    auto pg = EmbeddedPostgres::Start({});
    pid_t pid = pg.ok() ? (*pg)->postmaster_pid() : -1;
    if (write(pipe_fds[1], &pid, sizeof(pid)) != sizeof(pid)) _exit(3);
    pause();  // until SIGTERM
    _exit(0);
  }
  close(pipe_fds[1]);
  pid_t pg_pid = 0;
  ASSERT_EQ(read(pipe_fds[0], &pg_pid, sizeof(pg_pid)),
            static_cast<ssize_t>(sizeof(pg_pid)));
  close(pipe_fds[0]);
  ASSERT_GT(pg_pid, 0);
  EXPECT_TRUE(ProcessAlive(pg_pid));
  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(WaitGone(pg_pid, 30));
}

TEST(DatabaseTest, BadUrlIsOneClearError) {
  DatabaseOptions options;
  options.url = "host=/nonexistent-pcs-socket port=1";
  auto db = Database::Open(options);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(db.status().message().find("cannot connect"), std::string::npos);
  EXPECT_EQ(db.status().message().find('\n'), std::string::npos);
}

TEST(DatabaseTest, EmbeddedWhenNoUrl) {
  unsetenv("PCS_DATABASE_URL");
  auto db = Database::Open({});
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE((*db)->embedded());
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
}

TEST(DatabaseTest, ConnInfoWithDatabase) {
  EXPECT_EQ(ConnInfoWithDatabase("host=/tmp port=5 dbname=a", "b"),
            "host=/tmp port=5 dbname=a dbname=b");
  EXPECT_EQ(ConnInfoWithDatabase("postgresql://u:p@h:5/a?sslmode=off", "b"),
            "postgresql://u:p@h:5/b?sslmode=off");
  EXPECT_EQ(ConnInfoWithDatabase("postgresql://h", "b"), "postgresql://h/b");
}

}  // namespace
}  // namespace pcs
