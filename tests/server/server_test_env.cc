#include "tests/server/server_test_env.h"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "ingest/ingester.h"
#include "pipeline/backfill_job.h"
#include "pqxx/pqxx"
#include "tests/test_util/shared_data.h"
#include "tests/test_util/test_database.h"

namespace pcs::testing {

const SeededDatabase& Seeded() {
  static SeededDatabase* db = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    auto* seeded = new SeededDatabase();
    seeded->conninfo = TestDatabase::FreshDatabase();
    std::vector<std::string> files;
    for (const std::string& s : SeedSymbols())
      files.push_back(SharedOhlcvFile(s));
    {
      pqxx::connection conn(seeded->conninfo);
      Ingester ingester(conn, {});
      auto summary = ingester.Run(files);
      if (!summary.ok()) {
        throw std::runtime_error("ingest: " + summary.status().ToString());
      }
    }
    BackfillOptions options;
    options.conninfo = seeded->conninfo;
    auto run = RunBackfill(options);
    if (!run.ok() || run->patterns == 0) {
      throw std::runtime_error("backfill stored no patterns");
    }
    pqxx::connection conn(seeded->conninfo);
    pqxx::read_transaction tx(conn);
    for (const auto& row :
         tx.exec("SELECT id FROM pattern_events ORDER BY id")) {
      seeded->pattern_ids.push_back(row[0].c_str());
    }
    db = seeded;
  });
  return *db;
}

std::filesystem::path NewModelsDir(const std::string& tag) {
  static int counter = 0;
  auto dir =
      std::filesystem::temp_directory_path() /
      absl::StrCat("pcs_server_models_", ::getpid(), "_", tag, "_", ++counter);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

PcsServerOptions TestServerOptions(const std::string& models_dir,
                                   bool enable_phase5) {
  PcsServerOptions options;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "127.0.0.1:0";
  options.database_url = Seeded().conninfo;
  options.models_dir = models_dir;
  options.enable_phase5 = enable_phase5;
  options.poll_period = absl::ZeroDuration();
  options.threads = 4;
  options.health_period = absl::Milliseconds(200);
  options.allow_list_file = TestAllowListFile();
  return options;
}

const std::string& TestAllowListFile() {
  static const std::string* path = [] {
    auto* p = new std::string((std::filesystem::temp_directory_path() /
                               absl::StrCat("pcs_test_allow_list_", ::getpid()))
                                  .string());
    std::ofstream out(*p);
    out << "# written by tests/server/server_test_env.cc\n"
        << "write token test-writer " << kTestWriteToken << "\n"
        << "read token test-reader " << kTestReadToken << "\n";
    out.close();
    std::atexit([] { std::filesystem::remove(TestAllowListFile()); });
    return p;
  }();
  return *path;
}

void AddWriteToken(grpc::ClientContext* context) {
  context->AddMetadata("authorization",
                       absl::StrCat("Bearer ", kTestWriteToken));
}

std::unique_ptr<v1::PatternConfidence::Stub> StubFor(const PcsServer& server) {
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.grpc_port()),
                          grpc::InsecureChannelCredentials());
  return v1::PatternConfidence::NewStub(channel);
}

int64_t HistoryRows(const std::string& conninfo, const std::string& source) {
  pqxx::connection conn(conninfo);
  pqxx::read_transaction tx(conn);
  return tx
      .exec_params1(
          "SELECT count(*) FROM pattern_lifecycle_history WHERE source = $1",
          source)[0]
      .as<int64_t>();
}

}  // namespace pcs::testing
