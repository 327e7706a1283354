#include "tests/server/server_test_env.h"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "ingest/ingester.h"
#include "nlohmann/json.hpp"
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

void ResetToDetected(const std::string& id) {
  pqxx::connection conn(Seeded().conninfo);
  pqxx::work tx(conn);
  tx.exec_params(
      "UPDATE pattern_events SET lifecycle_state = 'detected' WHERE id = $1",
      id);
  tx.commit();
}

v1::ScoreInlineRequest InlineRequestFor(const std::string& id) {
  pqxx::connection conn(Seeded().conninfo);
  pqxx::read_transaction tx(conn);
  auto p = tx.exec_params1(
      "SELECT symbol, pattern_type, direction, formation_start::text, "
      "formation_end::text, confirmation_date::text, breakout_level, "
      "target_price, stop_price, rule_confidence, rule_criteria::text, "
      "key_points::text FROM pattern_events WHERE id = $1",
      id);
  v1::ScoreInlineRequest request;
  v1::PatternSpec* spec = request.mutable_pattern();
  spec->set_symbol(p[0].c_str());
  spec->set_pattern_type(p[1].c_str());
  spec->set_direction(p[2].c_str());
  spec->set_formation_start(p[3].c_str());
  spec->set_formation_end(p[4].c_str());
  spec->set_confirmation_date(p[5].c_str());
  spec->set_breakout_level(p[6].as<double>());
  spec->set_target_price(p[7].as<double>());
  spec->set_stop_price(p[8].as<double>());
  spec->set_rule_confidence(p[9].as<double>());
  const nlohmann::json criteria = nlohmann::json::parse(p[10].c_str());
  for (const auto& [name, value] : criteria.items()) {
    (*spec->mutable_rule_criteria())[name] = value.get<double>();
  }
  const nlohmann::json key_points = nlohmann::json::parse(p[11].c_str());
  for (const auto& kp : key_points) {
    v1::KeyPoint* k = spec->add_key_points();
    k->set_role(kp["role"].get<std::string>());
    k->set_day(kp["day"].get<std::string>());
    k->set_price(kp["price"].get<double>());
  }
  auto add_bars = [&](const std::string& symbol, auto* bars) {
    for (const auto& row : tx.exec_params(
             "SELECT day::text, open, high, low, close, adj_close, volume "
             "FROM price_bars WHERE symbol = $1 AND day <= $2::date "
             "ORDER BY day",
             symbol, spec->confirmation_date())) {
      v1::Bar* b = bars->Add();
      b->set_day(row[0].c_str());
      b->set_open(row[1].as<double>());
      b->set_high(row[2].as<double>());
      b->set_low(row[3].as<double>());
      b->set_close(row[4].as<double>());
      b->set_adj_close(row[5].as<double>());
      b->set_volume(row[6].as<double>());
    }
  };
  add_bars(spec->symbol(), request.mutable_bars());
  add_bars("DIA", request.mutable_market_bars());
  return request;
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

int64_t TraceRows(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  pqxx::read_transaction tx(conn);
  return tx.exec1("SELECT count(*) FROM prediction_traces")[0].as<int64_t>();
}

}  // namespace pcs::testing
