#include "tests/test_util/test_database.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "absl/strings/str_cat.h"
#include "db/database.h"
#include "db/embedded_postgres.h"
#include "db/migrator.h"
#include "pqxx/pqxx"

namespace pcs::testing {
namespace {

class Cluster {
 public:
  Cluster() {
    const char* url = std::getenv("PCS_TEST_DATABASE_URL");
    if (url != nullptr && *url) {
      admin_ = url;
      prefix_ = absl::StrCat("pcs_test_", getpid(), "_");
      return;
    }
    EmbeddedPostgresOptions options;
    options.database = "postgres";
    auto pg = EmbeddedPostgres::Start(options);
    if (!pg.ok()) {
      start_error_ = std::string(pg.status().message());
      return;
    }
    pg_ = std::move(*pg);
    admin_ = pg_->ConnInfo("postgres");
    prefix_ = "pcs_test_";
  }

  ~Cluster() {
    if (pg_ == nullptr) DropCreated();
    // pg_ (if any) is stopped by its destructor: pg_ctl stop -m fast.
  }

  std::string NewDatabase(bool migrated) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!start_error_.empty()) throw std::runtime_error(start_error_);
    if (migrated && template_.empty()) CreateTemplate();
    const std::string name = absl::StrCat(prefix_, ++counter_);
    Exec(absl::StrCat("CREATE DATABASE ", name,
                      migrated ? absl::StrCat(" TEMPLATE ", template_) : ""));
    created_.push_back(name);
    return ConnInfoWithDatabase(admin_, name);
  }

  std::string admin() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!start_error_.empty()) throw std::runtime_error(start_error_);
    return admin_;
  }
  int pid() const { return pg_ ? static_cast<int>(pg_->postmaster_pid()) : 0; }

 private:
  void Exec(const std::string& sql) {
    try {
      pqxx::connection conn(admin_);
      pqxx::nontransaction tx(conn);
      tx.exec0(sql);
    } catch (const std::exception& e) {
      throw std::runtime_error(absl::StrCat(sql, ": ", e.what()));
    }
  }

  // A migrated template: CREATE DATABASE ... TEMPLATE copies it in a few ms,
  // much faster than migrating every fresh database.
  void CreateTemplate() {
    const std::string name = prefix_ + "template";
    Exec("CREATE DATABASE " + name);
    created_.push_back(name);
    const absl::Status status =
        Migrate(ConnInfoWithDatabase(admin_, name), kDefaultMigrationsDir);
    if (!status.ok()) throw std::runtime_error(std::string(status.message()));
    template_ = name;
  }

  void DropCreated() {
    for (const auto& name : created_) {
      try {
        Exec(absl::StrCat("DROP DATABASE IF EXISTS ", name, " WITH (FORCE)"));
      } catch (const std::exception&) {
        // Best effort at exit.
      }
    }
  }

  std::mutex mu_;
  std::unique_ptr<EmbeddedPostgres> pg_;
  std::string admin_;
  std::string prefix_;
  std::string template_;
  std::string start_error_;
  std::vector<std::string> created_;
  int counter_ = 0;
};

// Function-local static: built on first use, destroyed (server stopped) at
// normal process exit, whatever the test results were.
Cluster& TheCluster() {
  static Cluster cluster;
  return cluster;
}

}  // namespace

std::string TestDatabase::FreshDatabase() {
  return TheCluster().NewDatabase(/*migrated=*/true);
}

std::string TestDatabase::EmptyDatabase() {
  return TheCluster().NewDatabase(/*migrated=*/false);
}

std::string TestDatabase::AdminConnInfo() { return TheCluster().admin(); }

int TestDatabase::EmbeddedPostmasterPid() { return TheCluster().pid(); }

}  // namespace pcs::testing
