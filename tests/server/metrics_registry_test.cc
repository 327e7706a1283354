#include "server/metrics_registry.h"

#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/metrics_http_server.h"

namespace pcs {
namespace {

using ::testing::HasSubstr;

// Runs `promtool check metrics` on `page`; returns its exit code and output.
std::pair<int, std::string> PromtoolCheck(const std::string& page) {
  auto path = std::filesystem::temp_directory_path() /
              ("pcs_metrics_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << page;
  std::string cmd = "promtool check metrics < " + path.string() + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::string output;
  char buf[512];
  while (pipe && std::fgets(buf, sizeof(buf), pipe)) output += buf;
  int rc = pipe ? ::pclose(pipe) : -1;
  std::filesystem::remove(path);
  return {rc, output};
}

TEST(MetricsRegistryTest, CounterRendersHelpTypeAndLabels) {
  MetricsRegistry registry;
  CounterFamily* requests = registry.AddCounter(
      "pcs_requests_total", "Requests by method and code", {"method", "code"});
  ASSERT_NE(requests, nullptr);
  Counter* ok = requests->WithLabels({"ScorePattern", "OK"});
  ok->Increment();
  ok->Increment(2);
  ok->Increment(-5);  // ignored: counters never go down
  EXPECT_EQ(ok->Value(), 3);
  // Same labels -> same handle.
  EXPECT_EQ(requests->WithLabels({"ScorePattern", "OK"}), ok);
  std::string page = registry.Render();
  EXPECT_THAT(page, HasSubstr("# HELP pcs_requests_total Requests by method"));
  EXPECT_THAT(page, HasSubstr("# TYPE pcs_requests_total counter\n"));
  EXPECT_THAT(
      page,
      HasSubstr("pcs_requests_total{method=\"ScorePattern\",code=\"OK\"} 3\n"));
}

TEST(MetricsRegistryTest, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  MetricsRegistry registry;
  registry.AddGauge("pcs_model_info", "Serving model", {"version"})
      ->WithLabels({"v\"1\n"})
      ->Set(1);
  EXPECT_THAT(registry.Render(),
              HasSubstr("pcs_model_info{version=\"v\\\"1\\n\"} 1\n"));
}

TEST(MetricsRegistryTest, HistogramIsCumulativeWithInfBucket) {
  MetricsRegistry registry;
  HistogramFamily* family =
      registry.AddHistogram("pcs_request_duration_seconds", "Latency",
                            {"method"}, {0.001, 0.01, 0.1});
  Histogram* h = family->WithLabels({"ScorePattern"});
  h->Observe(0.0005);
  h->Observe(0.001);  // le is inclusive
  h->Observe(0.05);
  h->Observe(3);
  std::string page = registry.Render();
  EXPECT_THAT(page, HasSubstr("pcs_request_duration_seconds_bucket{method="
                              "\"ScorePattern\",le=\"0.001\"} 2\n"));
  EXPECT_THAT(page, HasSubstr("le=\"0.01\"} 2\n"));
  EXPECT_THAT(page, HasSubstr("le=\"0.1\"} 3\n"));
  EXPECT_THAT(page, HasSubstr("le=\"+Inf\"} 4\n"));
  EXPECT_THAT(
      page,
      HasSubstr(
          "pcs_request_duration_seconds_count{method=\"ScorePattern\"} 4\n"));
  EXPECT_THAT(page, HasSubstr("pcs_request_duration_seconds_sum{method="
                              "\"ScorePattern\"} 3.0515\n"));
}

TEST(MetricsRegistryTest, ValuesUseShortRoundTripForms) {
  EXPECT_EQ(FormatMetricValue(50), "50");
  EXPECT_EQ(FormatMetricValue(1234567), "1234567");
  EXPECT_EQ(FormatMetricValue(0.5), "0.5");
  EXPECT_EQ(FormatMetricValue(25e-6), "2.5e-05");
  EXPECT_EQ(FormatMetricValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatMetricValue(-3), "-3");
}

TEST(MetricsRegistryTest, KindConflictAndBadNamesAreRefused) {
  MetricsRegistry registry;
  ASSERT_NE(registry.AddCounter("pcs_x_total", "x"), nullptr);
  EXPECT_EQ(registry.AddGauge("pcs_x_total", "x"), nullptr);
  EXPECT_EQ(registry.AddCounter("1bad", "x"), nullptr);
  EXPECT_EQ(registry.AddHistogram("pcs_h", "h", {}, {2, 1}), nullptr);
}

TEST(MetricsRegistryTest, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry registry;
  Counter* c = registry.AddCounter("pcs_c_total", "c")->WithLabels({});
  Histogram* h = registry.AddHistogram("pcs_h", "h", {}, {1.0})->WithLabels({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c->Increment();
        h->Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->Value(), 40000);
  EXPECT_EQ(h->Count(), 40000u);
  EXPECT_EQ(h->Sum(), 20000);
}

TEST(MetricsRegistryTest, PageWithEveryKindPassesPromtool) {
  MetricsRegistry registry;
  registry.AddCounter("pcs_requests_total", "Requests", {"method", "code"})
      ->WithLabels({"ScorePattern", "NOT_FOUND"})
      ->Increment();
  registry.AddGauge("pcs_trace_queue_depth", "Queued trace rows")
      ->WithLabels({})
      ->Set(7);
  registry
      .AddHistogram("pcs_stage_duration_seconds", "Stage latency\\with slash",
                    {"stage"}, ExponentialBuckets(25e-6, 2, 16))
      ->WithLabels({"predict"})
      ->Observe(1e-4);
  registry.AddGauge("pcs_model_info", "Model", {"version"})
      ->WithLabels({"quote\"d\\"})
      ->Set(1);
  auto [rc, output] = PromtoolCheck(registry.Render());
  EXPECT_EQ(rc, 0) << output << "\n" << registry.Render();
}

TEST(MetricsRegistryTest, PromtoolRejectsACounterWithoutTotal) {
  // Proves the promtool check can fail (so the test above means something).
  auto [rc, output] = PromtoolCheck(
      "# HELP bad_counter x\n# TYPE bad_counter counter\n"
      "bad_counter 1\n");
  EXPECT_NE(rc, 0);
  EXPECT_THAT(output, HasSubstr("_total"));
}

TEST(MetricsHttpServerTest, ServesMetricsOnAnEphemeralPort) {
  MetricsRegistry registry;
  Gauge* g =
      registry.AddGauge("pcs_trace_queue_depth", "depth")->WithLabels({});
  int collected = 0;
  auto server = MetricsHttpServer::Create("127.0.0.1:0", &registry, [&] {
    ++collected;
    g->Set(42);
  });
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  httplib::Client client("127.0.0.1", (*server)->port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->body, HasSubstr("pcs_trace_queue_depth 42\n"));
  EXPECT_EQ(collected, 1);
  EXPECT_THAT(res->get_header_value("Content-Type"),
              HasSubstr("version=0.0.4"));
  (*server)->Stop();
}

TEST(MetricsHttpServerTest, BadListenAddressIsAnError) {
  MetricsRegistry registry;
  EXPECT_FALSE(MetricsHttpServer::Create("nohost", &registry).ok());
  EXPECT_FALSE(MetricsHttpServer::Create("127.0.0.1:99999", &registry).ok());
}

}  // namespace
}  // namespace pcs
