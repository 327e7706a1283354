// End-to-end tests of the gRPC service (fixture: service_test_fixture.h):
// model versions under load, batches and streams, EvaluatePattern,
// monitoring, shutdown, a database outage and the metrics page.
#include "tests/server/service_test_fixture.h"

namespace pcs::service_test {
namespace {

TEST_F(ServiceTest, ReloadsGoodVersionsAndRefusesBadOnes) {
  Publish({.version = kV1});
  StartServer(true);
  auto describe = [&]() {
    grpc::ClientContext context;
    v1::DescribeModelResponse d;
    EXPECT_TRUE(stub_->DescribeModel(&context, {}, &d).ok());
    return d;
  };
  v1::DescribeModelResponse d = describe();
  EXPECT_EQ(d.version(), kV1);
  EXPECT_EQ(d.num_trees(), 20);
  EXPECT_EQ(d.feature_schema().hash(), FeatureBuilder::Schema().hash);
  EXPECT_EQ(d.feature_schema().names_size(),
            static_cast<int>(FeatureBuilder::Schema().names.size()));
  EXPECT_DOUBLE_EQ(d.metrics().at("test_auc"), 0.61);
  EXPECT_TRUE(d.phase5_enabled());

  for (FakeModelOptions bad :
       {FakeModelOptions{.version = "20260103T000000Z", .corrupt_sha = true},
        FakeModelOptions{.version = "20260104T000000Z", .wrong_schema = true},
        FakeModelOptions{.version = "20260105T000000Z", .omit_card = true}}) {
    Publish(bad);
    server_->model_source().PollNow();
    EXPECT_EQ(describe().version(), kV1) << bad.version;
    v1::ScoreResponse r;
    ASSERT_TRUE(Score(AnyId(), &r).ok());
    EXPECT_EQ(r.model_version(), kV1);
  }
  Publish({.version = kV2, .seed = 7});
  server_->model_source().PollNow();
  EXPECT_EQ(describe().version(), kV2);

  grpc::ClientContext context;
  v1::DescribeModelRequest old_request;
  old_request.set_version(kV1);
  v1::DescribeModelResponse old;
  EXPECT_EQ(stub_->DescribeModel(&context, old_request, &old).error_code(),
            grpc::StatusCode::NOT_FOUND);

  grpc::ClientContext list_context;
  v1::ListModelVersionsResponse versions;
  ASSERT_TRUE(stub_->ListModelVersions(&list_context, {}, &versions).ok());
  std::map<std::string, std::string> states;
  for (const auto& v : versions.versions()) states[v.version()] = v.state();
  EXPECT_EQ(states[kV1], "unloaded");
  EXPECT_EQ(states[kV2], "available");
  EXPECT_EQ(states["20260103T000000Z"], "failed");
  EXPECT_EQ(states["20260104T000000Z"], "failed");
  EXPECT_EQ(states["20260105T000000Z"], "failed");
}

TEST_F(ServiceTest, NoFailedRequestsWhileVersionsSwapUnderLoad) {
  Publish({.version = kV1});
  Publish({.version = kV2, .seed = 9}, /*champion=*/false);
  StartServer(true);
  const auto& ids = Seeded().pattern_ids;
  std::atomic<int> failures{0};
  std::atomic<int> ok{0};
  std::atomic<bool> bad_version{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      auto stub = StubFor(*server_);
      for (int i = 0; i < 150; ++i) {
        grpc::ClientContext context;
        v1::ScorePatternRequest request;
        request.set_pattern_id(ids[(t * 150 + i) % ids.size()]);
        request.set_skip_trace(true);
        v1::ScoreResponse r;
        if (stub->ScorePattern(&context, request, &r).ok()) {
          ++ok;
          if (r.model_version() != kV1 && r.model_version() != kV2) {
            bad_version = true;
          }
        } else {
          ++failures;
        }
      }
    });
  }
  int swaps = 0;
  while (ok + failures < 450 && swaps < 200) {
    ASSERT_TRUE(
        WriteChampion(models_dir_.string(), swaps % 2 == 0 ? kV2 : kV1).ok());
    server_->model_source().PollNow();
    ++swaps;
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(ok, 450);
  EXPECT_FALSE(bad_version);
  EXPECT_GE(swaps, 2);
  EXPECT_GE(server_->models().reloads_succeeded(), 3);
}

TEST_F(ServiceTest, BatchAndStreamScoreEachItem) {
  StartServer(false);
  const auto& ids = Seeded().pattern_ids;
  ASSERT_GE(ids.size(), 3u);
  grpc::ClientContext context;
  v1::ScoreBatchRequest request;
  request.add_pattern_ids(ids[0]);
  request.add_pattern_ids("00000000deadbeef");
  request.add_pattern_ids("bad");
  request.add_pattern_ids(ids[2]);
  v1::ScoreBatchResponse response;
  ASSERT_TRUE(stub_->ScoreBatch(&context, request, &response).ok());
  ASSERT_EQ(response.items_size(), 4);
  EXPECT_EQ(response.items(0).code(), 0);
  EXPECT_EQ(response.items(0).response().pattern_id(), ids[0]);
  EXPECT_EQ(response.items(1).code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(response.items(2).code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(response.items(2).error(), HasSubstr("pattern_ids[2]"));
  EXPECT_EQ(response.items(3).code(), 0);

  grpc::ClientContext stream_context;
  auto stream = stub_->ScoreStream(&stream_context);
  for (int i = 0; i < 3; ++i) {
    v1::ScorePatternRequest r;
    r.set_pattern_id(ids[i]);
    ASSERT_TRUE(stream->Write(r));
  }
  stream->WritesDone();
  v1::ScoreBatchItem item;
  int n = 0;
  while (stream->Read(&item)) {
    EXPECT_EQ(item.pattern_id(), ids[n]);
    EXPECT_EQ(item.code(), 0);
    EXPECT_EQ(item.response().fallback_reason(), "flag_off");
    ++n;
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(n, 3);
}

TEST_F(ServiceTest, EvaluatePersistsTheTransitionOnce) {
  Publish({.version = kV1});
  StartServer(true);
  const std::string id = Seeded().pattern_ids[1];
  pcs::testing::ResetToDetected(id);
  auto evaluate = [&](v1::EvaluatePatternResponse* response) {
    grpc::ClientContext context;
    pcs::testing::AddWriteToken(&context);
    v1::EvaluatePatternRequest request;
    request.set_pattern_id(id);
    return stub_->EvaluatePattern(&context, request, response);
  };
  v1::EvaluatePatternResponse first;
  grpc::Status s = evaluate(&first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(first.from_state(), "detected");
  EXPECT_TRUE(first.to_state() == "confirmed" ||
              first.to_state() == "rejected");
  EXPECT_EQ(first.to_state() == "confirmed",
            first.score().decision() == "confirm");
  EXPECT_TRUE(first.transition_recorded());

  pqxx::connection conn(Seeded().conninfo);
  {
    pqxx::read_transaction tx(conn);
    auto row = tx.exec_params1(
        "SELECT lifecycle_state, model_version, ml_confidence FROM "
        "pattern_events WHERE id = $1",
        id);
    EXPECT_EQ(std::string(row[0].c_str()), first.to_state());
    EXPECT_EQ(std::string(row[1].c_str()), kV1);
    EXPECT_DOUBLE_EQ(row[2].as<double>(), first.score().ml_confidence());
    auto history = tx.exec_params(
        "SELECT from_state, to_state, model_version FROM "
        "pattern_lifecycle_history WHERE pattern_id = $1 AND source = "
        "'evaluate'",
        id);
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(std::string(history[0][0].c_str()), "detected");
  }
  v1::EvaluatePatternResponse second;
  ASSERT_TRUE(evaluate(&second).ok());
  EXPECT_FALSE(second.transition_recorded());
  EXPECT_EQ(second.from_state(), first.to_state());
}

TEST_F(ServiceTest, EvaluateRedecidesARuleConfirmedOpenPatternOnce) {
  Publish({.version = kV1});
  StartServer(true);
  // Patterns as the backfill stores them: an open one ('confirmed' by the
  // rules, outcome unknown; the seed data has none left open, so one is
  // reset to that shape) and a resolved, terminal one.
  pqxx::connection conn(Seeded().conninfo);
  std::string open_id;
  std::string terminal_id;
  {
    pqxx::work tx(conn);
    auto terminal = tx.exec(
        "SELECT id FROM pattern_events WHERE lifecycle_state IN "
        "('target_hit', 'stopped_out', 'expired') ORDER BY id DESC LIMIT 2");
    ASSERT_EQ(terminal.size(), 2u);
    open_id = terminal[0][0].c_str();
    terminal_id = terminal[1][0].c_str();
    tx.exec_params(
        "UPDATE pattern_events SET lifecycle_state = 'confirmed', "
        "outcome_label = NULL, exit_reason = NULL WHERE id = $1",
        open_id);
    tx.commit();
  }
  auto evaluate = [&](const std::string& id,
                      v1::EvaluatePatternResponse* response) {
    grpc::ClientContext context;
    pcs::testing::AddWriteToken(&context);
    v1::EvaluatePatternRequest request;
    request.set_pattern_id(id);
    return stub_->EvaluatePattern(&context, request, response);
  };
  v1::EvaluatePatternResponse first;
  grpc::Status s = evaluate(open_id, &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(first.from_state(), "confirmed");
  EXPECT_EQ(first.to_state(),
            first.score().decision() == "confirm" ? "confirmed" : "rejected");
  EXPECT_TRUE(first.transition_recorded());
  {
    pqxx::read_transaction tx(conn);
    auto rows = tx.exec_params(
        "SELECT from_state, to_state FROM pattern_lifecycle_history WHERE "
        "pattern_id = $1 AND source = 'evaluate'",
        open_id);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(std::string(rows[0][0].c_str()), "confirmed");
    EXPECT_EQ(std::string(rows[0][1].c_str()), first.to_state());
  }
  v1::EvaluatePatternResponse again;
  ASSERT_TRUE(evaluate(open_id, &again).ok());
  EXPECT_FALSE(again.transition_recorded());

  v1::EvaluatePatternResponse terminal;
  s = evaluate(terminal_id, &terminal);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("illegal lifecycle transition"));
}

// GetMonitoringReport serves the latest drift run `pcs drift` recorded:
// NOT_FOUND before any, then that row's findings, the newest of several.
TEST_F(ServiceTest, MonitoringReportServesTheLatestDriftRun) {
  StartServer(true);
  {
    pqxx::connection conn(Seeded().conninfo);
    pqxx::work tx(conn);
    tx.exec0("DELETE FROM monitoring_runs");
    tx.commit();
  }
  v1::GetMonitoringReportResponse report;
  grpc::ClientContext none_context;
  EXPECT_EQ(stub_->GetMonitoringReport(&none_context, {}, &report).error_code(),
            grpc::StatusCode::NOT_FOUND);
  {
    pqxx::connection conn(Seeded().conninfo);
    pqxx::work tx(conn);
    tx.exec0(
        "INSERT INTO monitoring_runs (kind, model_version, max_psi) "
        "VALUES ('drift', 'older', 0.01)");
    tx.exec0(
        "INSERT INTO monitoring_runs (kind, max_psi) VALUES ('outcomes', 9)");
    tx.exec0(
        "INSERT INTO monitoring_runs (kind, model_version, since, as_of, "
        "recent_rows, max_feature, max_psi, score_psi, alert, alert_outcome, "
        "details) VALUES ('drift', '20260101T000000Z', '2017-01-01', "
        "'2018-12-31', 495, 'mkt_realized_vol_20', 1.1415, 0.0486, true, "
        "'sent', '{\"accuracy\": [{\"window\": \"last_500\", "
        "\"precision_ml\": 0.7692}]}')");
    tx.commit();
  }
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetMonitoringReport(&context, {}, &report).ok());
  EXPECT_EQ(report.model_version(), "20260101T000000Z");
  EXPECT_EQ(report.since(), "2017-01-01");
  EXPECT_EQ(report.as_of(), "2018-12-31");
  EXPECT_EQ(report.recent_rows(), 495);
  EXPECT_EQ(report.max_feature(), "mkt_realized_vol_20");
  EXPECT_DOUBLE_EQ(report.max_psi(), 1.1415);
  EXPECT_DOUBLE_EQ(report.score_psi(), 0.0486);
  EXPECT_TRUE(report.alert());
  EXPECT_EQ(report.alert_outcome(), "sent");
  EXPECT_NE(report.details_json().find("\"precision_ml\": 0.7692"),
            std::string::npos)
      << report.details_json();
  EXPECT_EQ(report.finished_at().size(), 20u)
      << report.finished_at();  // ...T..Z
}

TEST_F(ServiceTest, ShutdownFlushesTraceQueue) {
  StartServer(false, [](PcsServerOptions& o) { o.trace = true; });
  const int64_t before = pcs::testing::TraceRows(Seeded().conninfo);
  const auto& ids = Seeded().pattern_ids;
  const int n = std::min<int>(25, ids.size());
  for (int i = 0; i < n; ++i) {
    v1::ScoreResponse r;
    ASSERT_TRUE(Score(ids[i], &r).ok());
  }
  server_->Shutdown();
  EXPECT_EQ(server_->traces()->written(), n);
  EXPECT_EQ(server_->traces()->dropped(), 0);
  EXPECT_EQ(pcs::testing::TraceRows(Seeded().conninfo), before + n);
}

// A database outage fails uncached requests fast, but neither liveness nor
// readiness: pcs_database_up / database_reachable carry it.
TEST_F(ServiceTest, DatabaseDownIsUnavailableButLiveAndReady) {
  StartServer(true, [](PcsServerOptions& o) {
    o.database_url =
        "host=/nonexistent/socket dbname=nothing connect_timeout=2";
    o.trace = false;
  });
  v1::ScoreResponse r;
  grpc::Status s = Score(AnyId(), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                          grpc::InsecureChannelCredentials()));
  for (const char* service : {"", "pcs.v1.PatternConfidence", "liveness"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok()) << service;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING)
        << "'" << service << "'";
  }
  grpc::ClientContext status_context;
  v1::GetServingStatusResponse status;
  ASSERT_TRUE(stub_->GetServingStatus(&status_context, {}, &status).ok());
  EXPECT_FALSE(status.database_reachable());
  httplib::Client metrics("127.0.0.1", server_->metrics_port());
  auto page = metrics.Get("/metrics");
  ASSERT_TRUE(page);
  EXPECT_THAT(page->body, HasSubstr("pcs_database_up 0"));
}

TEST_F(ServiceTest, MetricsPageCountsRequestsAndPassesPromtool) {
  Publish({.version = kV1});
  StartServer(true);
  v1::ScoreResponse r;
  ASSERT_TRUE(Score(AnyId(), &r).ok());
  ASSERT_EQ(Score("00000000deadbeef", &r).error_code(),
            grpc::StatusCode::NOT_FOUND);
  httplib::Client client("127.0.0.1", server_->metrics_port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  const std::string& page = res->body;
  // prometheus-cpp writes labels in alphabetical order of label name.
  EXPECT_THAT(page,
              HasSubstr("pcs_requests_total{code=\"OK\",entrypoint=\"grpc\","
                        "method=\"ScorePattern\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_requests_total{code=\"NOT_FOUND\","
                              "entrypoint=\"grpc\",method="
                              "\"ScorePattern\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_request_duration_seconds_count{entrypoint="
                              "\"grpc\",method=\"ScorePattern\"} 2\n"));
  // No REST call was made: the http series exist, at zero.
  EXPECT_THAT(page, HasSubstr("pcs_requests_total{code=\"OK\",entrypoint="
                              "\"http\",method=\"ScorePattern\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("pcs_stage_duration_seconds_count{stage="
                              "\"predict\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_model_info{feature_schema_hash=\""));
  EXPECT_THAT(page, HasSubstr(",version=\"20260101T000000Z\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_build_info{commit=\""));
  EXPECT_THAT(page, HasSubstr("pcs_confidence_count{kind=\"ml\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_db_pool_connections{state=\"idle\"}"));
  EXPECT_THAT(page, HasSubstr("pcs_trace_queue_depth"));
  auto path = models_dir_ / "metrics.txt";
  std::ofstream(path) << page;
  std::string cmd = "promtool check metrics < " + path.string() + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::string output;
  char buf[512];
  while (pipe && std::fgets(buf, sizeof(buf), pipe)) output += buf;
  EXPECT_EQ(pipe ? ::pclose(pipe) : -1, 0) << output;
}

}  // namespace
}  // namespace pcs::service_test
