// Docs honesty: what README.md, docs/*.md and the deployment files name must
// exist in the built software.
//
//   * every `pcs <subcommand>` in code (fenced blocks, `inline code`) is listed
//     by `pcs --help`;
//   * every `pcs-client <subcommand>` likewise in `pcs-client --help`;
//   * every `--flag` in code exists in the --help of the command it is given
//     to (`pcs <sub> --help` plus the global flags, `pcs-client <sub> --help`,
//     `pcs-server --help`, or the text of a scripts/*.sh given it), or, with
//     no command to its left, in one of those; flags of other programs
//     (cmake, ctest, grpcurl, test binaries ...) are skipped;
//   * every `pcs_*` metric name in the docs, deploy/prometheus/*.yml and
//     deploy/grafana/*.json is exposed by the server's /metrics (a real
//     PcsServer against a real PostgreSQL, serving a real tiny model) or by
//     the monitoring textfile (`pcs drift --textfile`, rendered by
//     monitoring/prometheus_text.h); CMake target names, file and folder
//     names and JSON string values (other than queries) are not metrics;
//   * every RPC named in the docs (Service/Method, or a PascalCase word in
//     code on a line that says "RPC", or a Score/Evaluate/Describe/List/Get
//     word in code) is a method of a service the server registers (the
//     generated descriptor pool that server reflection serves), or a message,
//     class or function that exists.
// A failure names file:line and the missing name. Text between
// "<!-- docs-honesty: off -->" and "<!-- docs-honesty: on -->" is not
// checked (for quoting names that must not exist).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.pb.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "monitoring/prometheus_text.h"
#include "pcs/v1/pattern_confidence.pb.h"
#include "server/pcs_server.h"
#include "tests/docs/doc_scanner.h"
#include "tests/regression/regression_env.h"
#include "tests/test_util/fake_model_artifact.h"
#include "tests/test_util/test_database.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using testing::DocClaim;

const fs::path kRoot = PCS_SOURCE_DIR;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// `text` with the lines between "<!-- docs-honesty: off -->" and
// "<!-- docs-honesty: on -->" blanked (line numbers kept): for documents that
// quote names which must NOT exist (e.g. the falsification example in
// docs/PHASE5_TESTING_GUIDE.md).
std::string WithoutExemptRegions(const std::string& text) {
  std::string out;
  bool off = false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("<!-- docs-honesty: off -->") != std::string::npos)
      off = true;
    if (line.find("<!-- docs-honesty: on -->") != std::string::npos)
      off = false;
    out += (off ? std::string() : line) + "\n";
  }
  return out;
}

// README.md and docs/*.md, as (repository-relative name, text).
std::vector<std::pair<std::string, std::string>> Docs() {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("README.md",
                   WithoutExemptRegions(ReadFile(kRoot / "README.md")));
  std::vector<fs::path> docs;
  for (const auto& entry : fs::directory_iterator(kRoot / "docs")) {
    if (entry.path().extension() == ".md") docs.push_back(entry.path());
  }
  std::sort(docs.begin(), docs.end());
  for (const fs::path& p : docs) {
    out.emplace_back("docs/" + p.filename().string(),
                     WithoutExemptRegions(ReadFile(p)));
  }
  return out;
}

std::string Help(const std::vector<std::string>& argv) {
  const testing::CommandResult r = testing::RunProgram(argv);
  EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(argv, " ") << ":\n" << r.output;
  return r.output;
}

std::string Report(const std::vector<std::string>& problems) {
  return absl::StrCat(problems.size(), " problem(s):\n  ",
                      absl::StrJoin(problems, "\n  "));
}

TEST(DocsHonestyTest, DocumentsExist) {
  EXPECT_TRUE(fs::exists(kRoot / "README.md"));
  for (const char* doc : {"HEADLESS_ARCHITECTURE.md", "PHASE5_TESTING_GUIDE.md",
                          "RUNBOOK.md", "README.md"}) {
    EXPECT_TRUE(fs::exists(kRoot / "docs" / doc)) << doc;
  }
}

// Flags of a binary with subcommands: context "<binary>" (any of its flags)
// and "<binary> <sub>" (the subcommand's plus the global ones).
void AddSubcommandBinary(
    const std::string& binary, const std::string& path,
    std::map<std::string, std::set<std::string>>& flags,
    std::map<std::string, std::set<std::string>>& subcommands) {
  const std::string main_help = Help({path, "--help"});
  const std::set<std::string> subs = testing::SubcommandsInHelp(main_help);
  EXPECT_GE(subs.size(), 3u) << main_help;
  const std::set<std::string> global = testing::FlagsInHelp(main_help);
  std::set<std::string> any = global;
  for (const std::string& sub : subs) {
    std::set<std::string> f = testing::FlagsInHelp(Help({path, sub, "--help"}));
    f.insert(global.begin(), global.end());
    any.insert(f.begin(), f.end());
    flags[binary + " " + sub] = std::move(f);
  }
  flags[binary] = any;
  subcommands[binary] = subs;
}

TEST(DocsHonestyTest, SubcommandsAndFlagsExist) {
  std::map<std::string, std::set<std::string>> flags;        // context -> flags
  std::map<std::string, std::set<std::string>> subcommands;  // binary -> names
  AddSubcommandBinary("pcs", PCS_BINARY, flags, subcommands);
  ASSERT_TRUE(subcommands["pcs"].count("train")) << "pcs --help unreadable";
#ifdef PCS_CLIENT_BINARY
  AddSubcommandBinary("pcs-client", PCS_CLIENT_BINARY, flags, subcommands);
#endif
  flags["pcs-server"] =
      testing::FlagsInHelp(Help({PCS_SERVER_BINARY, "--help"}));
  ASSERT_TRUE(flags["pcs-server"].count("--pin-version"))
      << "pcs-server --help unreadable";
  std::set<std::string> any;
  for (const char* binary : {"pcs", "pcs-client", "pcs-server"}) {
    any.insert(flags[binary].begin(), flags[binary].end());
  }
  // Flags the repository's scripts parse (scripts/*.sh, bench/*.sh): a doc
  // may mention them without the script's name next to them.
  for (const char* folder : {"scripts", "bench"}) {
    for (const auto& entry : fs::directory_iterator(kRoot / folder)) {
      if (entry.path().extension() != ".sh") continue;
      const std::set<std::string> f =
          testing::FlagsInHelp(ReadFile(entry.path()));
      flags[absl::StrCat("script:", folder, "/",
                         entry.path().filename().string())] = f;
      any.insert(f.begin(), f.end());
    }
  }
  flags[""] = any;

  std::vector<std::string> problems;
  int checked = 0;
  for (const auto& [file, text] : Docs()) {
    for (const DocClaim& c : testing::SubcommandClaims(file, text)) {
      ++checked;
      if (!subcommands[c.context].count(c.name)) {
        problems.push_back(absl::StrCat(c.where, ": `", c.context, " ", c.name,
                                        "` is not a subcommand"));
      }
    }
    for (const DocClaim& c : testing::FlagClaims(file, text)) {
      ++checked;
      auto it = flags.find(c.context);
      if (it == flags.end()) {
        problems.push_back(absl::StrCat(c.where, ": ", c.name,
                                        " given to unknown `", c.context, "`"));
      } else if (!it->second.count(c.name)) {
        problems.push_back(absl::StrCat(
            c.where, ": ", c.name, " is not a flag of `",
            c.context.empty() ? "pcs, pcs-client or pcs-server" : c.context,
            "`"));
      }
    }
  }
  std::printf("checked %d subcommand/flag mentions\n", checked);
  EXPECT_TRUE(problems.empty()) << Report(problems);
}

// CMake targets and functions named pcs_*, and file and folder names of the
// repository (pcs_server.h, client/python/pcs_client/): these are not metrics.
std::set<std::string> NotMetricNames() {
  std::set<std::string> out = {"pcs_test", "pcs_library", "pcs_generate_proto"};
  static const std::regex kTarget(
      "(pcs_library|pcs_test|add_library|add_executable|add_test)\\(\\s*("
      "NAME\\s+)?(pcs_[a-z0-9_]+)");
  for (auto it = fs::recursive_directory_iterator(kRoot);
       it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() &&
        (name.rfind("build", 0) == 0 || name.front() == '.')) {
      it.disable_recursion_pending();
      continue;
    }
    if (name.rfind("pcs_", 0) == 0) out.insert(it->path().stem().string());
    if (name != "CMakeLists.txt") continue;
    const std::string text = ReadFile(it->path());
    for (auto m = std::sregex_iterator(text.begin(), text.end(), kTarget);
         m != std::sregex_iterator(); ++m) {
      out.insert((*m)[3].str());
    }
  }
  return out;
}

// Metric names in a Prometheus text page (# TYPE lines, with histogram and
// summary sample suffixes).
void AddExposedNames(const std::string& page, std::set<std::string>& names) {
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string hash, type, name, kind;
    if (!(words >> hash >> type >> name >> kind) || hash != "#" ||
        type != "TYPE")
      continue;
    names.insert(name);
    if (kind == "histogram" || kind == "summary") {
      for (const char* suffix : {"_bucket", "_sum", "_count"})
        names.insert(name + suffix);
    }
  }
}

// The /metrics page of a real server (real DB, real tiny model, phase 5 on).
std::string ServerMetricsPage() {
  const fs::path models = fs::path(::testing::TempDir()) /
                          absl::StrCat("pcs_docs_models_", ::getpid());
  fs::remove_all(models);
  fs::create_directories(models);
  EXPECT_TRUE(testing::WriteFakeModelArtifact(models.string(), {}).ok());
  EXPECT_TRUE(testing::WriteChampion(models.string(), "20260101T000000Z").ok());
  PcsServerOptions options;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "127.0.0.1:0";
  options.database_url = testing::TestDatabase::FreshDatabase();
  options.models_dir = models.string();
  options.enable_phase5 = true;
  options.poll_period = absl::ZeroDuration();
  options.threads = 2;
  auto server = PcsServer::Create(options);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return "";
  httplib::Client client("127.0.0.1", (*server)->metrics_port());
  // One request first, so pcs_http_requests_total has a series to show.
  // The HTTP port counts a request after its response is written, and
  // cpp-httplib's client opens a new connection per call, so the scrape can
  // run on another worker before /healthz is counted: scrape until the
  // series is there (at most 2 s), then the check below still fails if the
  // counter is never exported.
  (void)client.Get("/healthz");
  std::string page;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto res = client.Get("/metrics");
    page = res && res->status == 200 ? res->body : "";
    if (page.find("pcs_http_requests_total{") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  (*server)->Shutdown(absl::Seconds(2));
  fs::remove_all(models);
  return page;
}

// The monitoring textfiles (`pcs drift`, `pcs outcomes`) with every family
// present.
std::string MonitoringPage() {
  DriftAnalysis drift;
  drift.rows = 10;
  PsiResult psi;
  psi.name = "rsi_14";
  psi.psi = 0.3;
  psi.count = 10;
  drift.features.push_back(psi);
  psi.name = "__score__";
  drift.score = psi;
  RollingAccuracyReport accuracy;
  WindowAccuracy w;
  w.window = "90d";
  w.rows = w.scored_rows = 10;
  w.ml = w.rule = w.blended = w.policy = PrecisionAt{5, 3, 0.6};
  w.policy_confirmation_rate = w.rule_confirmation_rate = 0.5;
  w.policy_tp_rate = w.rule_tp_rate = 0.6;
  w.roc_auc = 0.6;
  w.brier = 0.2;
  w.ece = 0.05;
  accuracy.windows.push_back(w);
  MonitoringSnapshot snapshot;
  snapshot.model_version = "20260101T000000Z";
  snapshot.drift = &drift;
  snapshot.accuracy = &accuracy;
  snapshot.alerts_sent_total = 1;
  snapshot.run_timestamp_seconds = 1.7e9;
  // `pcs outcomes --textfile` writes its own families.
  return RenderMonitoringMetrics(snapshot) +
         RenderOutcomeMetrics(accuracy, snapshot.model_version, 1.7e9);
}

TEST(DocsHonestyTest, MetricsExist) {
  std::set<std::string> exposed;
  const std::string server_page = ServerMetricsPage();
  ASSERT_NE(server_page.find("# TYPE pcs_requests_total counter"),
            std::string::npos)
      << server_page;
  AddExposedNames(server_page, exposed);
  AddExposedNames(MonitoringPage(), exposed);

  std::vector<std::pair<std::string, std::string>> sources = Docs();
  for (const char* dir : {"deploy/prometheus", "deploy/grafana"}) {
    for (const auto& entry : fs::directory_iterator(kRoot / dir)) {
      const std::string ext = entry.path().extension().string();
      if (ext == ".yml" || ext == ".yaml" || ext == ".json") {
        sources.emplace_back(
            absl::StrCat(dir, "/", entry.path().filename().string()),
            ReadFile(entry.path()));
      }
    }
  }
  const std::set<std::string> not_metrics = NotMetricNames();
  std::vector<std::string> problems;
  std::set<std::string> named;
  for (const auto& [file, text] : sources) {
    for (const DocClaim& c : testing::MetricClaims(file, text, not_metrics)) {
      named.insert(c.name);
      if (!exposed.count(c.name)) {
        problems.push_back(
            absl::StrCat(c.where, ": metric ", c.name, " is not exposed"));
      }
    }
  }
  std::printf("%zu metric names mentioned, %zu exposed\n", named.size(),
              exposed.size());
  EXPECT_GE(named.size(), 10u);
  EXPECT_TRUE(problems.empty()) << Report(problems);
}

// Identifiers that exist in the source tree's headers (classes, structs,
// functions), so a doc naming e.g. `PcsServer` on an "RPC" line is fine.
std::set<std::string> SourceIdentifiers() {
  std::set<std::string> out;
  static const std::regex kDecl(
      "(?:class|struct)\\s+([A-Z][A-Za-z0-9]*)|\\b([A-Z][A-Za-z0-9]*)\\(");
  for (const char* dir :
       {"cli", "client", "db", "features", "ingest", "lifecycle", "model",
        "monitoring", "pipeline", "server", "training"}) {
    if (!fs::exists(kRoot / dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(kRoot / dir)) {
      if (entry.path().extension() != ".h") continue;
      const std::string text = ReadFile(entry.path());
      for (auto m = std::sregex_iterator(text.begin(), text.end(), kDecl);
           m != std::sregex_iterator(); ++m) {
        out.insert((*m)[1].matched ? (*m)[1].str() : (*m)[2].str());
      }
    }
  }
  return out;
}

TEST(DocsHonestyTest, RpcsExist) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  // Make sure both generated files are linked and registered.
  ASSERT_NE(v1::ScoreResponse::descriptor(), nullptr);
  ASSERT_NE(grpc::health::v1::HealthCheckRequest::descriptor(), nullptr);
  std::set<std::string> methods, services, types;
  for (const char* full :
       {"pcs.v1.PatternConfidence", "grpc.health.v1.Health"}) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(full);
    ASSERT_NE(service, nullptr) << full;
    services.insert(service->name());
    services.insert(full);
    for (int i = 0; i < service->method_count(); ++i)
      methods.insert(service->method(i)->name());
    const google::protobuf::FileDescriptor* file = service->file();
    for (int i = 0; i < file->message_type_count(); ++i)
      types.insert(file->message_type(i)->name());
  }
  // Reflection itself (grpc++_reflection, v1alpha in gRPC 1.51).
  services.insert("ServerReflection");
  methods.insert("ServerReflectionInfo");
  const std::set<std::string> identifiers = SourceIdentifiers();

  std::vector<std::string> problems;
  int checked = 0;
  for (const auto& [file, text] : Docs()) {
    for (const DocClaim& c : testing::RpcClaims(file, text, services)) {
      ++checked;
      const bool qualified = !c.context.empty();
      const bool ok =
          methods.count(c.name) ||
          (!qualified && (types.count(c.name) || identifiers.count(c.name)));
      if (!ok) {
        problems.push_back(absl::StrCat(
            c.where, ": RPC ", qualified ? c.context + "/" : std::string(),
            c.name, " does not exist"));
      }
    }
  }
  std::printf("checked %d RPC mentions against %zu methods\n", checked,
              methods.size());
  EXPECT_TRUE(problems.empty()) << Report(problems);
}

}  // namespace
}  // namespace pcs
