// The fixture of the REST/JSON API's end-to-end tests (rest_api_test.cc:
// reads, errors, console, snapshots and the OpenAPI document;
// rest_api_writes_test.cc: overrides and the refusals of writes): one real
// pcs-server in-process for the suite (real PostgreSQL seeded with real bars
// and the real backfill, chart snapshots, a real tiny model), cpp-httplib
// clients on loopback.
#ifndef PCS_TESTS_SERVER_REST_API_TEST_FIXTURE_H_
#define PCS_TESTS_SERVER_REST_API_TEST_FIXTURE_H_

#include <httplib.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pqxx/pqxx"
#include "snapshots/local_snapshot_blob_store.h"
#include "snapshots/snapshot_backfill.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"

namespace pcs::rest_test {

using nlohmann::json;
using ::pcs::testing::Seeded;

// The serving model's version.
inline constexpr char kVersion[] = "20260101T000000Z";

class RestApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    models_dir_ = new std::filesystem::path(pcs::testing::NewModelsDir("rest"));
    pcs::testing::FakeModelOptions model;
    model.version = kVersion;
    ASSERT_TRUE(
        pcs::testing::WriteFakeModelArtifact(models_dir_->string(), model)
            .ok());
    ASSERT_TRUE(
        pcs::testing::WriteChampion(models_dir_->string(), kVersion).ok());
    snapshot_root_ = new std::filesystem::path(
        std::filesystem::temp_directory_path() /
        absl::StrCat("pcs_rest_snapshots_", ::getpid()));
    auto blobs = LocalSnapshotBlobStore::Create(snapshot_root_->string());
    ASSERT_TRUE(blobs.ok());
    ChartSnapshotStore store(blobs->get());
    auto report = RunSnapshotBackfill({.conninfo = Seeded().conninfo}, store);
    ASSERT_TRUE(report.ok()) << report.status();
    PcsServerOptions options =
        pcs::testing::TestServerOptions(models_dir_->string(), true);
    options.snapshot_root = snapshot_root_->string();
    auto server = PcsServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    std::filesystem::remove_all(*models_dir_);
    std::filesystem::remove_all(*snapshot_root_);
  }

  httplib::Client Http() {
    httplib::Client client("127.0.0.1", server_->metrics_port());
    client.set_read_timeout(30, 0);
    return client;
  }

  json Get(const std::string& path, int* status = nullptr) {
    auto res = Http().Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    if (status != nullptr) *status = res->status;
    return json::parse(res->body, nullptr, false);
  }

  httplib::Result Override(const std::string& id, const json& body,
                           const std::string& token) {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return Http().Post(("/api/v1/patterns/" + id + "/override").c_str(),
                       headers, body.dump(), "application/json");
  }

  grpc::Status Evaluate(const std::string& id,
                        v1::EvaluatePatternResponse* out) {
    grpc::ClientContext context;
    pcs::testing::AddWriteToken(&context);
    v1::EvaluatePatternRequest request;
    request.set_pattern_id(id);
    return pcs::testing::StubFor(*server_)->EvaluatePattern(&context, request,
                                                            out);
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection conn(Seeded().conninfo);
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  static inline PcsServer* server_ = nullptr;
  static inline std::filesystem::path* models_dir_ = nullptr;
  static inline std::filesystem::path* snapshot_root_ = nullptr;
};

}  // namespace pcs::rest_test

#endif  // PCS_TESTS_SERVER_REST_API_TEST_FIXTURE_H_
