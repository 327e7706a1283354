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
using ::testing::Not;

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
      HasSubstr("pcs_requests_total{code=\"OK\",method=\"ScorePattern\"} 3\n"));
}

TEST(MetricsRegistryTest, LabelValuesAreEscaped) {
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

TEST(MetricsRegistryTest, ValuesAndBucketBoundsAsTheSerializerWritesThem) {
  MetricsRegistry registry;
  GaugeFamily* g = registry.AddGauge("pcs_g", "g", {"k"});
  g->WithLabels({"int"})->Set(1234567);
  g->WithLabels({"half"})->Set(0.5);
  g->WithLabels({"small"})->Set(25e-6);
  g->WithLabels({"neg"})->Set(-3);
  g->WithLabels({"big"})->Set(1.7e9);
  registry
      .AddHistogram("pcs_confidence_like", "c", {},
                    {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9})
      ->WithLabels({})
      ->Observe(0.35);
  // Latency bounds 25 us x 2^k as the server registers them.
  registry
      .AddHistogram("pcs_latency_like", "l", {},
                    ExponentialBuckets(25e-6, 2, 17))
      ->WithLabels({})
      ->Observe(7e-5);
  const std::string page = registry.Render();
  EXPECT_THAT(page, HasSubstr("pcs_g{k=\"int\"} 1234567\n"));
  EXPECT_THAT(page, HasSubstr("pcs_g{k=\"half\"} 0.5\n"));
  EXPECT_THAT(page, HasSubstr("pcs_g{k=\"small\"} 2.5e-05\n"));
  EXPECT_THAT(page, HasSubstr("pcs_g{k=\"neg\"} -3\n"));
  EXPECT_THAT(page, HasSubstr("pcs_g{k=\"big\"} 1700000000\n"));
  // The documented bounds appear literally, and an observation counts in
  // every bucket whose bound it does not exceed.
  EXPECT_THAT(page, HasSubstr("pcs_confidence_like_bucket{le=\"0.3\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("pcs_confidence_like_bucket{le=\"0.4\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_confidence_like_bucket{le=\"0.7\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_confidence_like_bucket{le=\"0.9\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_latency_like_bucket{le=\"2.5e-05\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("pcs_latency_like_bucket{le=\"5e-05\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("pcs_latency_like_bucket{le=\"0.0001\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_latency_like_bucket{le=\"1.6384\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("pcs_latency_like_bucket{le=\"+Inf\"} 1\n"));
}

TEST(MetricsRegistryTest, WrongLabelCountGetsAnUnrenderedSeries) {
  MetricsRegistry registry;
  CounterFamily* f = registry.AddCounter("pcs_w_total", "w", {"a"});
  Counter* bad = f->WithLabels({"x", "y"});
  ASSERT_NE(bad, nullptr);
  bad->Increment();
  EXPECT_EQ(f->WithLabels({}), bad);
  EXPECT_THAT(registry.Render(), Not(HasSubstr("pcs_w_total{")));
}

TEST(MetricsRegistryTest, HelpWithBackslashAndNewlineIsEscaped) {
  MetricsRegistry registry;
  registry.AddGauge("pcs_help", "line one\nline\\two")->WithLabels({})->Set(1);
  EXPECT_THAT(registry.Render(),
              HasSubstr("# HELP pcs_help line one\\nline\\\\two\n"));
}

TEST(MetricsRegistryTest, KindConflictAndBadNamesAreRefused) {
  MetricsRegistry registry;
  ASSERT_NE(registry.AddCounter("pcs_x_total", "x"), nullptr);
  EXPECT_EQ(registry.AddGauge("pcs_x_total", "x"), nullptr);
  EXPECT_EQ(registry.AddCounter("1bad", "x"), nullptr);
  EXPECT_EQ(registry.AddHistogram("pcs_h", "h", {}, {2, 1}), nullptr);
  // Registering again returns the same family.
  EXPECT_EQ(registry.AddCounter("pcs_x_total", "x"),
            registry.AddCounter("pcs_x_total", "x"));
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
