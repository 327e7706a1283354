#ifndef PCS_TESTS_TEST_UTIL_TEST_DATABASE_H_
#define PCS_TESTS_TEST_UTIL_TEST_DATABASE_H_

#include <string>

namespace pcs::testing {

// Real PostgreSQL databases for tests (never a mock).
//
// One cluster per test binary, started lazily on first use: the server at
// $PCS_TEST_DATABASE_URL when set (a role allowed to CREATE DATABASE; the
// databases created are dropped at exit), otherwise an embedded throwaway
// cluster (db/embedded_postgres.h) stopped at process exit, also when tests
// fail or the process is interrupted or crashes (signal guard). Each call
// returns a brand-new database, so tests are independent and binaries can
// run in parallel.
//
// Errors (e.g. PostgreSQL cannot start) are thrown as std::runtime_error,
// which GoogleTest reports as a failure of the calling test.
// Thread-safe.
//
// Example:
//   TEST(StoreTest, Roundtrip) {
//     pqxx::connection conn(pcs::testing::TestDatabase::FreshDatabase());
//     ...
//   }
class TestDatabase {
 public:
  // A new database migrated to the latest schema (the repository's
  // migrations/); returns its libpq conninfo.
  static std::string FreshDatabase();
  // A new empty database (no schema_migrations), for migration tests.
  static std::string EmptyDatabase();
  // Superuser conninfo of the cluster's `postgres` database.
  static std::string AdminConnInfo();
  // Pid of the embedded postmaster (0 with an external server or before
  // first use).
  static int EmbeddedPostmasterPid();
};

}  // namespace pcs::testing

#endif  // PCS_TESTS_TEST_UTIL_TEST_DATABASE_H_
