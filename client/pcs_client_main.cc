// pcs-client: command-line client of the pcs.v1.PatternConfidence service.
//
//   pcs-client [--server host:port] [--json] [--timeout-ms N]
//              [--tls-ca PEM [--tls-cert PEM --tls-key PEM]
//               [--tls-server-name NAME]] [--token-file FILE]
//              [--retry-attempts N] <command>
//     score ID [ID...] [--top-k K]  score stored patterns
//     evaluate ID [--event-date D]  score + decide + record (a write: needs
//                                   an identity on the server's allow-list)
//     batch FILE [--top-k K]        ids one per line ('#' comments), one call
//     describe [--version V]        the serving model
//     versions                      every model version with state + reason
//     status                        serving status (DB, reloads, traces)
//     health                        grpc.health.v1 check (exit 0 = SERVING)
// Exit codes: 0 ok, 1 RPC error (code and message on stderr), 2 usage or
// input error, 3 health not SERVING.
// --retry-attempts N (2..5; default 0 = off) retries reads that fail
// UNAVAILABLE with gRPC's retry policy (client/retry_service_config.h), never
// evaluate: useful behind a load balancer or across a server restart.
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/strip.h"
#include "client/pcs_client_output.h"
#include "client/retry_service_config.h"
#include "core/version.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "pcs/v1/pattern_confidence.grpc.pb.h"

namespace {

struct Flags {
  std::string server = "127.0.0.1:50051";
  bool json = false;
  int timeout_ms = 5000;
  int top_k = 0;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;
  std::string token_file;
  std::string token;       // read from token_file; never printed
  int retry_attempts = 0;  // 0 = no retry policy
};

// Deadline and, with --token-file, "authorization: Bearer <token>".
void SetDeadline(grpc::ClientContext* context, const Flags& flags) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(flags.timeout_ms));
  if (!flags.token.empty()) {
    context->AddMetadata("authorization", "Bearer " + flags.token);
  }
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

// Plaintext, or TLS (server verified against --tls-ca; with --tls-cert and
// --tls-key also a client certificate for mTLS). Empty on a file error.
// With --retry-attempts, the reads' retry policy as the service config.
std::shared_ptr<grpc::Channel> MakeChannel(const Flags& flags) {
  grpc::ChannelArguments args;
  if (flags.retry_attempts > 0) {
    pcs::client::RetryPolicyOptions retry;
    retry.max_attempts = flags.retry_attempts;
    args.SetServiceConfigJSON(pcs::client::RetryServiceConfigJson(retry));
  }
  if (flags.tls_ca.empty()) {
    if (!flags.tls_cert.empty() || !flags.tls_key.empty()) {
      std::cerr << "error: --tls-cert/--tls-key need --tls-ca\n";
      return nullptr;
    }
    return grpc::CreateCustomChannel(flags.server,
                                     grpc::InsecureChannelCredentials(), args);
  }
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    std::cerr << "error: --tls-cert and --tls-key go together\n";
    return nullptr;
  }
  grpc::SslCredentialsOptions ssl;
  for (auto [path, out] : {std::pair{&flags.tls_ca, &ssl.pem_root_certs},
                           std::pair{&flags.tls_cert, &ssl.pem_cert_chain},
                           std::pair{&flags.tls_key, &ssl.pem_private_key}}) {
    if (!path->empty() && !ReadFile(*path, out)) {
      std::cerr << "error: cannot read " << *path << "\n";
      return nullptr;
    }
  }
  if (!flags.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(flags.tls_server_name);
  }
  return grpc::CreateCustomChannel(flags.server, grpc::SslCredentials(ssl),
                                   args);
}

int Fail(const grpc::Status& status) {
  std::cerr << "error: " << status.error_code() << " " << status.error_message()
            << "\n";
  return 1;
}

template <typename Message>
void Print(const Flags& flags, const Message& message,
           std::string (*human)(const Message&)) {
  std::cout << (flags.json ? pcs::client::ToJson(message) + "\n"
                           : human(message));
}

int Score(pcs::v1::PatternConfidence::Stub& stub, const Flags& flags,
          const std::vector<std::string>& ids) {
  int rc = 0;
  for (const std::string& id : ids) {
    grpc::ClientContext context;
    SetDeadline(&context, flags);
    pcs::v1::ScorePatternRequest request;
    request.set_pattern_id(id);
    request.set_top_k(flags.top_k);
    pcs::v1::ScoreResponse response;
    grpc::Status status = stub.ScorePattern(&context, request, &response);
    if (!status.ok()) {
      rc = Fail(status);
      continue;
    }
    Print(flags, response, &pcs::client::FormatScore);
  }
  return rc;
}

int Batch(pcs::v1::PatternConfidence::Stub& stub, const Flags& flags,
          const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "error: cannot read " << path << "\n";
    return 2;
  }
  pcs::v1::ScoreBatchRequest request;
  request.set_top_k(flags.top_k);
  std::string line;
  while (std::getline(in, line)) {
    std::string id(absl::StripAsciiWhitespace(line));
    if (!id.empty() && id[0] != '#') request.add_pattern_ids(id);
  }
  grpc::ClientContext context;
  SetDeadline(&context, flags);
  pcs::v1::ScoreBatchResponse response;
  grpc::Status status = stub.ScoreBatch(&context, request, &response);
  if (!status.ok()) return Fail(status);
  int failed = 0;
  for (const auto& item : response.items()) {
    if (flags.json) {
      std::cout << pcs::client::ToJson(item) << "\n";
    } else if (item.code() == 0) {
      std::cout << pcs::client::FormatScore(item.response());
    } else {
      std::cout << "pattern " << item.pattern_id() << "  error " << item.code()
                << ": " << item.error() << "\n";
    }
    failed += item.code() != 0;
  }
  if (!flags.json) {
    std::cout << response.items_size() << " scored, " << failed << " failed, "
              << response.total_us() << " us\n";
  }
  return failed > 0 ? 1 : 0;
}

int Evaluate(pcs::v1::PatternConfidence::Stub& stub, const Flags& flags,
             const std::string& id, const std::string& event_date) {
  grpc::ClientContext context;
  SetDeadline(&context, flags);
  pcs::v1::EvaluatePatternRequest request;
  request.set_pattern_id(id);
  request.set_top_k(flags.top_k);
  request.set_event_date(event_date);
  pcs::v1::EvaluatePatternResponse response;
  grpc::Status status = stub.EvaluatePattern(&context, request, &response);
  if (!status.ok()) return Fail(status);
  if (flags.json) {
    std::cout << pcs::client::ToJson(response) << "\n";
  } else {
    std::cout << pcs::client::FormatScore(response.score()) << "state "
              << response.from_state() << " -> " << response.to_state()
              << (response.transition_recorded() ? " (recorded)"
                                                 : " (nothing recorded)")
              << "\n";
  }
  return 0;
}

int Health(const std::shared_ptr<grpc::Channel>& channel, const Flags& flags) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(&context, flags);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << (flags.json
                    ? pcs::client::ToJson(response)
                    : grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                          response.status()))
            << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING
             ? 0
             : 3;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pcs-client: query the Pattern Confidence service",
               "pcs-client"};
  app.set_version_flag("--version", pcs::VersionLine("pcs-client"),
                       "Print the version and git commit, then exit");
  Flags flags;
  app.add_option("--server", flags.server, "host:port")
      ->envname("PCS_SERVER")
      ->capture_default_str();
  app.add_flag("--json", flags.json, "JSON output (proto field names)");
  app.add_option("--timeout-ms", flags.timeout_ms, "Per-call deadline")
      ->capture_default_str();
  app.add_option("--tls-ca", flags.tls_ca,
                 "PEM CA bundle: connect with TLS, verify the server")
      ->envname("PCS_TLS_CA");
  app.add_option("--tls-cert", flags.tls_cert,
                 "PEM client certificate (mTLS; with --tls-key)")
      ->envname("PCS_TLS_CERT");
  app.add_option("--tls-key", flags.tls_key, "PEM client private key")
      ->envname("PCS_TLS_KEY");
  app.add_option("--tls-server-name", flags.tls_server_name,
                 "Name to verify in the server certificate (default: host)");
  app.add_option("--token-file", flags.token_file,
                 "File holding a bearer token sent with every call")
      ->envname("PCS_TOKEN_FILE");
  app.add_option("--retry-attempts", flags.retry_attempts,
                 "Retry reads failing UNAVAILABLE: attempts per call, 2..5 "
                 "(gRPC retry policy; 0 = off; never evaluate)")
      ->envname("PCS_RETRY_ATTEMPTS")
      ->check(CLI::IsMember({0, 2, 3, 4, 5}));
  app.require_subcommand(1);
  std::vector<std::string> ids;
  auto* score = app.add_subcommand("score", "Score stored patterns by id");
  score->add_option("ids", ids, "Pattern ids")->required();
  score->add_option("--top-k", flags.top_k, "Contributions to show");
  std::string event_id;
  std::string event_date;
  auto* evaluate = app.add_subcommand(
      "evaluate", "Score, decide and record one stored pattern (a write)");
  evaluate->add_option("id", event_id, "Pattern id")->required();
  evaluate->add_option("--event-date", event_date,
                       "Evaluation day YYYY-MM-DD (default: the server's)");
  evaluate->add_option("--top-k", flags.top_k, "Contributions to show");
  std::string batch_file;
  auto* batch = app.add_subcommand("batch", "Score ids listed in a file");
  batch->add_option("file", batch_file, "One id per line")->required();
  batch->add_option("--top-k", flags.top_k, "Contributions to show");
  std::string version;
  auto* describe = app.add_subcommand("describe", "Describe the model");
  describe->add_option("--version", version, "Version (default: serving)");
  auto* versions = app.add_subcommand("versions", "List model versions");
  auto* status_cmd = app.add_subcommand("status", "Serving status");
  auto* health = app.add_subcommand("health", "grpc.health.v1 check");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every usage error exits 2 (CLI11's own codes vary).
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (!flags.token_file.empty()) {
    if (!ReadFile(flags.token_file, &flags.token)) {
      std::cerr << "error: cannot read " << flags.token_file << "\n";
      return 2;
    }
    flags.token = std::string(absl::StripAsciiWhitespace(flags.token));
  }
  auto channel = MakeChannel(flags);
  if (channel == nullptr) return 2;
  auto stub = pcs::v1::PatternConfidence::NewStub(channel);
  if (score->parsed()) return Score(*stub, flags, ids);
  if (evaluate->parsed()) return Evaluate(*stub, flags, event_id, event_date);
  if (batch->parsed()) return Batch(*stub, flags, batch_file);
  if (health->parsed()) return Health(channel, flags);
  grpc::ClientContext context;
  SetDeadline(&context, flags);
  if (describe->parsed()) {
    pcs::v1::DescribeModelRequest request;
    request.set_version(version);
    pcs::v1::DescribeModelResponse response;
    grpc::Status s = stub->DescribeModel(&context, request, &response);
    if (!s.ok()) return Fail(s);
    Print(flags, response, &pcs::client::FormatDescribe);
  } else if (versions->parsed()) {
    pcs::v1::ListModelVersionsResponse response;
    grpc::Status s = stub->ListModelVersions(&context, {}, &response);
    if (!s.ok()) return Fail(s);
    Print(flags, response, &pcs::client::FormatVersions);
  } else if (status_cmd->parsed()) {
    pcs::v1::GetServingStatusResponse response;
    grpc::Status s = stub->GetServingStatus(&context, {}, &response);
    if (!s.ok()) return Fail(s);
    Print(flags, response, &pcs::client::FormatServingStatus);
  }
  return 0;
}
