#include "db/transaction.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

using ::pcs::testing::TestDatabase;
using ::testing::HasSubstr;

// Real PostgreSQL errors, each provoked for real, and the Status they map to.
class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = TestDatabase::FreshDatabase();
    conn_ = std::make_unique<pqxx::connection>(conninfo_);
    pqxx::work tx(*conn_);
    tx.exec0("CREATE TABLE parent (id int PRIMARY KEY)");
    tx.exec0(
        "CREATE TABLE child (id int PRIMARY KEY, parent int REFERENCES "
        "parent (id), score float8 CHECK (score BETWEEN 0 AND 1))");
    tx.exec0("INSERT INTO parent VALUES (1)");
    tx.commit();
  }

  // Runs `sql` in a RunInTransaction and returns its status.
  absl::Status Exec(const std::string& sql) {
    return RunInTransaction(*conn_, "running the test statement",
                            [&](pqxx::transaction_base& tx) {
                              tx.exec(sql);
                              return absl::OkStatus();
                            });
  }

  std::string Payload(const absl::Status& s) {
    auto p = s.GetPayload(kDatabaseErrorPayload);
    return p.has_value() ? std::string(*p) : "";
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection conn(conninfo_);
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  std::string conninfo_;
  std::unique_ptr<pqxx::connection> conn_;
};

TEST_F(TransactionTest, CommitsOnOkAndRollsBackOnError) {
  ASSERT_TRUE(Exec("INSERT INTO parent VALUES (2)").ok());
  absl::StatusOr<int> failed =
      RunInTransaction(*conn_, "inserting then failing",
                       [](pqxx::transaction_base& tx) -> absl::StatusOr<int> {
                         tx.exec0("INSERT INTO parent VALUES (3)");
                         return absl::NotFoundError("no such thing");
                       });
  EXPECT_TRUE(absl::IsNotFound(failed.status())) << failed.status();
  EXPECT_FALSE(IsDatabaseError(failed.status()));
  EXPECT_EQ(Count("SELECT count(*) FROM parent"), 2);  // 1 and 2, not 3
  absl::StatusOr<int64_t> read = RunInTransaction<pqxx::read_transaction>(
      *conn_, "counting", [](pqxx::transaction_base& tx) {
        return absl::StatusOr<int64_t>(
            tx.exec1("SELECT count(*) FROM parent")[0].as<int64_t>());
      });
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, 2);
}

TEST_F(TransactionTest, UniqueViolationIsAlreadyExists) {
  absl::Status s = Exec("INSERT INTO parent VALUES (1)");
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  EXPECT_EQ(Payload(s), "23505");
  EXPECT_TRUE(IsDatabaseError(s));
  EXPECT_THAT(s.message(), HasSubstr("running the test statement ("));
  EXPECT_THAT(s.message(), HasSubstr("parent_pkey"));  // libpq text kept
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("\n")));
}

TEST_F(TransactionTest, ForeignKeyIsFailedPrecondition) {
  absl::Status s = Exec("INSERT INTO child VALUES (1, 99, 0.5)");
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_EQ(Payload(s), "23503");
}

TEST_F(TransactionTest, CheckAndDataErrorsAreInvalidArgument) {
  absl::Status check = Exec("INSERT INTO child VALUES (1, 1, 7)");
  EXPECT_TRUE(absl::IsInvalidArgument(check)) << check;
  EXPECT_EQ(Payload(check), "23514");
  absl::Status data = Exec("SELECT 'not a date'::date");
  EXPECT_TRUE(absl::IsInvalidArgument(data)) << data;
  EXPECT_EQ(Payload(data).substr(0, 2), "22");
}

TEST_F(TransactionTest, SyntaxErrorIsInternal) {
  absl::Status s = Exec("SELEC 1");
  EXPECT_TRUE(absl::IsInternal(s)) << s;
  EXPECT_EQ(Payload(s), "42601");
}

TEST_F(TransactionTest, StatementTimeoutIsUnavailable) {
  absl::Status s =
      RunInTransaction(*conn_, "sleeping", [](pqxx::transaction_base& tx) {
        tx.exec0("SET LOCAL statement_timeout = 50");
        tx.exec("SELECT pg_sleep(30)");
        return absl::OkStatus();
      });
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_EQ(Payload(s), "57014");
  // The connection itself is fine afterwards.
  EXPECT_TRUE(Exec("SELECT 1").ok());
}

TEST_F(TransactionTest, LockTimeoutIsUnavailable) {
  pqxx::connection holder(conninfo_);
  pqxx::work hold(holder);
  hold.exec("SELECT * FROM parent WHERE id = 1 FOR UPDATE");
  absl::Status s =
      RunInTransaction(*conn_, "locking", [](pqxx::transaction_base& tx) {
        tx.exec0("SET LOCAL lock_timeout = 50");
        tx.exec("SELECT * FROM parent WHERE id = 1 FOR UPDATE");
        return absl::OkStatus();
      });
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_EQ(Payload(s), "55P03");
}

TEST_F(TransactionTest, KilledBackendIsUnavailable) {
  const int pid = [&] {
    pqxx::nontransaction tx(*conn_);
    return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
  }();
  pqxx::connection admin(TestDatabase::AdminConnInfo());
  {
    pqxx::nontransaction tx(admin);
    ASSERT_TRUE(
        tx.exec_params1("SELECT pg_terminate_backend($1)", pid)[0].as<bool>());
  }
  // Wait (bounded) until the backend is gone, so the next statement surely
  // meets a dead session.
  for (int i = 0; i < 200; ++i) {
    pqxx::nontransaction tx(admin);
    if (tx.exec_params1("SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                        pid)[0]
            .as<int>() == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  absl::Status s = Exec("SELECT 1");
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_TRUE(IsDatabaseError(s));
}

TEST_F(TransactionTest, NonDatabaseExceptionIsInternal) {
  absl::Status s =
      RunInTransaction(*conn_, "parsing", [](pqxx::transaction_base& tx) {
        tx.exec1("SELECT 'abc'")[0].as<int>();  // conversion_error
        return absl::OkStatus();
      });
  EXPECT_TRUE(absl::IsInternal(s)) << s;
  EXPECT_EQ(Payload(s), "exception");
}

}  // namespace
}  // namespace pcs
