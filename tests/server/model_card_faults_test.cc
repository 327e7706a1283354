// Bad model cards against a real in-process server (127.0.0.1:0, real
// PostgreSQL, real tiny XGBoost artifacts): each card shape below is
// published as CHAMPION while a good version serves. Each must give a failed
// version whose reason names the field, be counted in
// pcs_model_reloads_total{outcome="failure"}, and change nothing else: the
// process keeps running, the old version keeps serving, DescribeModel
// answers OK (never UNKNOWN).
#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/sha256.h"
#include "features/feature_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/server_test_env.h"
#include "tests/test_util/fake_model_artifact.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using ::pcs::testing::Seeded;
using ::pcs::testing::StubFor;
using ::pcs::testing::TestServerOptions;
using ::pcs::testing::WriteChampion;
using ::pcs::testing::WriteFakeModelArtifact;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kGood[] = "20260101T000000Z";

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteText(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// One defect: how to change the good folder's files, and what the failure
// reason must contain.
struct CardFault {
  const char* name;
  // Edits the card (as JSON) and the reference rows (as JSON); may replace
  // the card text wholesale through *raw_card.
  std::function<void(Json& card, Json& rows, std::string* raw_card)> edit;
  const char* reason;
};

std::vector<CardFault> Faults() {
  return {
      {"invalid_json",
       [](Json&, Json&, std::string* raw) { *raw = "{\"model_file\": "; },
       "not valid JSON"},
      {"card_is_array", [](Json&, Json&, std::string* raw) { *raw = "[1, 2]"; },
       "must be a JSON object"},
      {"threshold_is_string",
       [](Json& c, Json&, std::string*) {
         c["serving"]["decision_threshold"] = "0.6";
       },
       "serving.decision_threshold must be a number, got string"},
      {"threshold_out_of_range",
       [](Json& c, Json&, std::string*) { c["serving"]["blend_weight"] = 7; },
       "serving.blend_weight must lie in [0, 1]"},
      {"serving_is_number",
       [](Json& c, Json&, std::string*) { c["serving"] = 3; },
       "serving must be an object"},
      {"trained_at_is_number",
       [](Json& c, Json&, std::string*) { c["trained_at"] = 5; },
       "trained_at must be a string"},
      {"gate_reason_is_array",
       [](Json& c, Json&, std::string*) {
         c["gate"]["reason"] = Json::array({1});
       },
       "gate.reason must be a string"},
      {"gate_is_string",
       [](Json& c, Json&, std::string*) { c["gate"] = "passed"; },
       "gate must be an object"},
      {"model_file_is_number",
       [](Json& c, Json&, std::string*) { c["model_file"] = 7; },
       "model_file must be a string"},
      {"model_file_escapes",
       [](Json& c, Json&, std::string*) {
         c["model_file"] = "../x/model.json";
       },
       "model_file must be a plain file name"},
      {"feature_names_disagree_with_schema",
       [](Json& c, Json&, std::string*) {
         Json names = Json::array();
         for (const std::string& n : FeatureBuilder::Schema().names) {
           names.push_back(n);
         }
         std::swap(names[0], names[1]);
         c["feature_schema"]["names"] = names;
       },
       "feature_schema.names disagrees with the feature schema at index 0"},
      {"feature_names_short",
       [](Json& c, Json&, std::string*) {
         Json names = Json::array();
         for (const std::string& n : FeatureBuilder::Schema().names) {
           names.push_back(n);
         }
         names.erase(names.size() - 1);
         c["feature_schema"]["names"] = names;
       },
       "feature_schema.names disagrees"},
      {"schema_hash_is_object",
       [](Json& c, Json&, std::string*) {
         c["feature_schema"]["hash"] = Json::object();
       },
       "feature_schema.hash must be a string"},
      {"calibration_is_array",
       [](Json& c, Json&, std::string*) { c["calibration"] = Json::array(); },
       "calibration must be an object"},
      {"calibration_knots_are_strings",
       [](Json& c, Json&, std::string*) {
         c["calibration"]["x"] = Json::array({"a", "b"});
       },
       "calibration"},
      {"metrics_is_string",
       [](Json& c, Json&, std::string*) { c["metrics"] = "good"; },
       "metrics must be an object"},
      {"type_base_rate_is_string",
       [](Json& c, Json&, std::string*) {
         c["type_base_rates"] = {{"bull_flag", "0.3"}};
       },
       "type_base_rates.bull_flag must be a number"},
      {"reference_margin_is_string",
       [](Json&, Json& rows, std::string*) {
         rows["rows"][0]["margin"] = "0.1";
       },
       "reference_rows.json row 0"},
      {"reference_row_not_object",
       [](Json&, Json& rows, std::string*) { rows["rows"][1] = 42; },
       "reference_rows.json row 1"},
      {"reference_rows_not_array",
       [](Json&, Json& rows, std::string*) { rows["rows"] = "none"; },
       "reference_rows.json has no rows"},
  };
}

class ModelCardFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_dir_ = pcs::testing::NewModelsDir("cardfaults");
    auto path =
        WriteFakeModelArtifact(models_dir_.string(), {.version = kGood});
    ASSERT_TRUE(path.ok()) << path.status();
    ASSERT_TRUE(WriteChampion(models_dir_.string(), kGood).ok());
    auto server =
        PcsServer::Create(TestServerOptions(models_dir_.string(), true));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = StubFor(*server_);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(models_dir_);
  }

  // Copies the good folder to `version` with `fault` applied. The card's
  // reference_rows_sha256 follows the edited rows, so the typed checks (not
  // the checksum) must catch a bad row.
  void PublishFaulty(const std::string& version, const CardFault& fault) {
    const fs::path from = models_dir_ / kGood;
    const fs::path to = models_dir_ / ("." + version);
    fs::create_directories(to);
    fs::copy_file(from / "model.json", to / "model.json");
    Json card = Json::parse(Slurp(from / "model_card.json"));
    Json rows = Json::parse(Slurp(from / "reference_rows.json"));
    std::string raw;
    fault.edit(card, rows, &raw);
    const std::string rows_text = rows.dump();
    WriteText(to / "reference_rows.json", rows_text);
    if (card.is_object() && card.contains("reference_rows_sha256")) {
      card["reference_rows_sha256"] = Sha256Hex(rows_text);
    }
    WriteText(to / "model_card.json", raw.empty() ? card.dump(1) : raw);
    fs::rename(to, models_dir_ / version);
    ASSERT_TRUE(WriteChampion(models_dir_.string(), version).ok());
  }

  std::string MetricsPage() {
    httplib::Client client("127.0.0.1", server_->metrics_port());
    auto res = client.Get("/metrics");
    return res ? res->body : "";
  }

  fs::path models_dir_;
  std::unique_ptr<PcsServer> server_;
  std::unique_ptr<v1::PatternConfidence::Stub> stub_;
};

TEST_F(ModelCardFaultsTest, EachBadCardFailsItsVersionAndNothingElse) {
  const std::vector<CardFault> faults = Faults();
  int version_number = 2;
  for (const CardFault& fault : faults) {
    SCOPED_TRACE(fault.name);
    const std::string version = absl::StrCat("202601", version_number / 10,
                                             version_number % 10, "T000000Z");
    ++version_number;
    PublishFaulty(version, fault);
    server_->model_source().PollNow();

    grpc::ClientContext describe_context;
    v1::DescribeModelResponse d;
    grpc::Status describe = stub_->DescribeModel(&describe_context, {}, &d);
    ASSERT_TRUE(describe.ok())
        << describe.error_code() << " " << describe.error_message();
    EXPECT_EQ(d.version(), kGood);
    EXPECT_EQ(d.gate_reason(), "fake artifact for tests");

    grpc::ClientContext score_context;
    v1::ScorePatternRequest request;
    request.set_pattern_id(Seeded().pattern_ids.front());
    v1::ScoreResponse r;
    ASSERT_TRUE(stub_->ScorePattern(&score_context, request, &r).ok());
    EXPECT_EQ(r.model_version(), kGood);

    grpc::ClientContext list_context;
    v1::ListModelVersionsResponse versions;
    ASSERT_TRUE(stub_->ListModelVersions(&list_context, {}, &versions).ok());
    bool found = false;
    for (const auto& v : versions.versions()) {
      if (v.version() != version) continue;
      found = true;
      EXPECT_EQ(v.state(), "failed");
      EXPECT_THAT(v.reason(), HasSubstr(fault.reason));
    }
    EXPECT_TRUE(found);

    // Polling again does not count the same failure twice.
    server_->model_source().PollNow();
    grpc::ClientContext status_context;
    v1::GetServingStatusResponse status;
    ASSERT_TRUE(stub_->GetServingStatus(&status_context, {}, &status).ok());
    EXPECT_EQ(status.serving_version(), kGood);
    EXPECT_EQ(status.reloads_failed(), version_number - 2);
    EXPECT_THAT(status.last_reload_error(), HasSubstr(fault.reason));
  }
  EXPECT_THAT(
      MetricsPage(),
      HasSubstr(absl::StrCat("pcs_model_reloads_total{outcome=\"failure\"} ",
                             faults.size(), "\n")));
  EXPECT_THAT(MetricsPage(),
              HasSubstr("pcs_model_reloads_total{outcome=\"success\"} 1\n"));
}

// Registry faults under load: three client threads score stored patterns
// while CHAMPION is pointed, one after another, at a truncated model, a
// wrong sha256, a schema mismatch, a half-copied folder (card, no
// model.json), a card that is not JSON and a card with a wrong JSON type.
// Zero failed requests; every answer comes from the good version.
TEST_F(ModelCardFaultsTest, RegistryFaultsUnderLoadFailNoRequest) {
  const fs::path good = models_dir_ / kGood;
  auto copy_good = [&](const std::string& version) {
    const fs::path to = models_dir_ / ("." + version);
    fs::create_directories(to);
    for (const char* f :
         {"model.json", "model_card.json", "reference_rows.json"}) {
      fs::copy_file(good / f, to / f);
    }
    return to;
  };
  auto card_of = [&](const fs::path& dir) {
    return Json::parse(Slurp(dir / "model_card.json"));
  };
  struct Fault {
    std::string version;
    std::function<void(const fs::path&)> apply;
  };
  const std::vector<Fault> faults = {
      {"20260301T000000Z",
       [&](const fs::path&
               d) {  // truncated model.json, card sha matches the truncation
         const std::string model = Slurp(d / "model.json");
         WriteText(d / "model.json", model.substr(0, model.size() / 2));
         Json card = card_of(d);
         card["model_sha256"] = Sha256Hex(model.substr(0, model.size() / 2));
         WriteText(d / "model_card.json", card.dump());
       }},
      {"20260302T000000Z",
       [&](const fs::path& d) {
         Json card = card_of(d);
         card["model_sha256"] = Sha256Hex("something else");
         WriteText(d / "model_card.json", card.dump());
       }},
      {"20260303T000000Z",
       [&](const fs::path& d) {
         Json card = card_of(d);
         card["feature_schema"]["hash"] = Sha256Hex("another schema");
         WriteText(d / "model_card.json", card.dump());
       }},
      {"20260304T000000Z",
       [&](const fs::path& d) { fs::remove(d / "model.json"); }},
      {"20260305T000000Z",
       [&](const fs::path& d) {
         WriteText(d / "model_card.json", "{\"model_file\": \"mo");
       }},
      {"20260306T000000Z",
       [&](const fs::path& d) {
         Json card = card_of(d);
         card["serving"]["decision_threshold"] = "0.6";
         WriteText(d / "model_card.json", card.dump());
       }},
  };
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::atomic<int> other_version{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      auto stub = StubFor(*server_);
      const auto& ids = Seeded().pattern_ids;
      for (int i = 0; !stop.load() || i < 50; ++i) {
        grpc::ClientContext context;
        v1::ScorePatternRequest request;
        request.set_pattern_id(ids[(t * 97 + i) % ids.size()]);
        request.set_skip_trace(true);
        v1::ScoreResponse r;
        if (stub->ScorePattern(&context, request, &r).ok()) {
          ++ok;
          if (r.model_version() != kGood) ++other_version;
        } else {
          ++failed;
        }
      }
    });
  }
  for (const Fault& f : faults) {
    const fs::path staged = copy_good(f.version);
    f.apply(staged);
    fs::rename(staged, models_dir_ / f.version);
    ASSERT_TRUE(WriteChampion(models_dir_.string(), f.version).ok());
    server_->model_source().PollNow();
  }
  stop = true;
  for (std::thread& c : clients) c.join();
  std::printf(
      "registry faults under load: %d requests ok, %d failed, %zu faults "
      "published\n",
      ok.load(), failed.load(), faults.size());
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(other_version.load(), 0);
  EXPECT_GE(ok.load(), 150);
  grpc::ClientContext status_context;
  v1::GetServingStatusResponse status;
  ASSERT_TRUE(stub_->GetServingStatus(&status_context, {}, &status).ok());
  EXPECT_EQ(status.serving_version(), kGood);
  EXPECT_EQ(status.reloads_failed(), static_cast<int64_t>(faults.size()));
}

TEST_F(ModelCardFaultsTest, CardlessAndMissingChampionTargetsAreCountedOnce) {
  // A half-copied folder (no card yet) named by CHAMPION, then a CHAMPION
  // naming no folder at all.
  fs::create_directories(models_dir_ / "20260201T000000Z");
  ASSERT_TRUE(WriteChampion(models_dir_.string(), "20260201T000000Z").ok());
  server_->model_source().PollNow();
  server_->model_source().PollNow();
  ASSERT_TRUE(WriteChampion(models_dir_.string(), "20260202T000000Z").ok());
  server_->model_source().PollNow();
  grpc::ClientContext status_context;
  v1::GetServingStatusResponse status;
  ASSERT_TRUE(stub_->GetServingStatus(&status_context, {}, &status).ok());
  EXPECT_EQ(status.serving_version(), kGood);
  EXPECT_EQ(status.reloads_failed(), 2);
  EXPECT_THAT(status.last_reload_error(), HasSubstr("not in the registry"));
  EXPECT_THAT(MetricsPage(),
              HasSubstr("pcs_model_reloads_total{outcome=\"failure\"} 2\n"));
}

}  // namespace
}  // namespace pcs
