// The fixture of the gRPC service's end-to-end tests
// (pattern_confidence_service_test.cc: scoring, policy and fallbacks;
// pattern_confidence_service_ops_test.cc: versions, batches, evaluation,
// monitoring, shutdown, outage, metrics): a real grpc::Server in-process on
// 127.0.0.1:0, real PostgreSQL seeded with real bars and backfilled
// patterns, real (tiny) XGBoost model artifacts.
#ifndef PCS_TESTS_SERVER_SERVICE_TEST_FIXTURE_H_
#define PCS_TESTS_SERVER_SERVICE_TEST_FIXTURE_H_

#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "features/feature_reasons.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "server/pattern_confidence_service.h"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"

namespace pcs::service_test {

using ::pcs::testing::FakeModelOptions;
using ::pcs::testing::Seeded;
using ::pcs::testing::StubFor;
using ::pcs::testing::TestServerOptions;
using ::pcs::testing::WriteChampion;
using ::pcs::testing::WriteFakeModelArtifact;
using ::testing::HasSubstr;

inline constexpr char kV1[] = "20260101T000000Z";
inline constexpr char kV2[] = "20260102T000000Z";

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { models_dir_ = pcs::testing::NewModelsDir("svc"); }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(models_dir_);
  }

  void Publish(FakeModelOptions options, bool champion = true) {
    auto path = WriteFakeModelArtifact(models_dir_.string(), options);
    ASSERT_TRUE(path.ok()) << path.status();
    if (champion) {
      ASSERT_TRUE(WriteChampion(models_dir_.string(), options.version).ok());
    }
  }

  void StartServer(bool enable_phase5,
                   std::function<void(PcsServerOptions&)> tweak = nullptr) {
    PcsServerOptions options =
        TestServerOptions(models_dir_.string(), enable_phase5);
    if (tweak) tweak(options);
    auto server = PcsServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = StubFor(*server_);
  }

  grpc::Status Score(const std::string& id, v1::ScoreResponse* response,
                     int top_k = 0) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    v1::ScorePatternRequest request;
    request.set_pattern_id(id);
    request.set_top_k(top_k);
    return stub_->ScorePattern(&context, request, response);
  }

  const std::string& AnyId() const { return Seeded().pattern_ids.front(); }

  std::filesystem::path models_dir_;
  std::unique_ptr<PcsServer> server_;
  std::unique_ptr<v1::PatternConfidence::Stub> stub_;
};

}  // namespace pcs::service_test

#endif  // PCS_TESTS_SERVER_SERVICE_TEST_FIXTURE_H_
