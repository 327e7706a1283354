// Fuzz target: the REST transcoder's parse path (server/transcoder.h
// Transcoder::Parse): route matching on the path, query parameters and the
// JSON body into the RPC's request message, over the real route table of
// pcs.v1.PatternConfidence (its google.api.http options). The input is
//   "<METHOD> <path>[?<name>=<value>&...]\n<body>"
// (query pairs split on '&' and the first '='; no URL decoding: the
// transcoder gets them decoded). Checked: Parse never crashes; an accepted
// request names a route of its method (HEAD as GET) and yields a message of
// the route's input type that serializes; a refusal is NOT_FOUND,
// UNIMPLEMENTED (with the allowed methods) or INVALID_ARGUMENT.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "pcs/v1/pattern_confidence.pb.h"
#include "server/transcoder.h"

namespace {

const pcs::Transcoder& TheTranscoder() {
  static const pcs::Transcoder* transcoder = [] {
    const google::protobuf::ServiceDescriptor& service =
        *pcs::v1::ScoreResponse::descriptor()->file()->FindServiceByName(
            "PatternConfidence");
    // Parse never runs a method; Create only needs one per route.
    std::map<std::string, pcs::Transcoder::UnaryMethod> methods;
    for (int i = 0; i < service.method_count(); ++i) {
      methods[service.method(i)->full_name()] =
          [](const pcs::CallContext&, const google::protobuf::Message&,
             google::protobuf::Message*) { return grpc::Status::OK; };
    }
    auto created = pcs::Transcoder::Create(service, std::move(methods), {});
    if (!created.ok()) std::abort();
    return created->release();
  }();
  return *transcoder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t line_end = input.find('\n');
  const std::string line = input.substr(0, line_end);
  pcs::Transcoder::HttpRequest request;
  if (line_end != std::string::npos) request.body = input.substr(line_end + 1);
  const size_t space = line.find(' ');
  if (space == std::string::npos) return 0;
  request.method = line.substr(0, space);
  std::string target = line.substr(space + 1);
  const size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) {
    for (absl::string_view pair :
         absl::StrSplit(target.substr(question + 1), '&', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(pair, absl::MaxSplits('=', 1));
      request.query.push_back(std::move(kv));
    }
  }
  std::string allow;
  auto parsed = TheTranscoder().Parse(request, &allow);
  if (parsed.ok()) {
    const std::string method =
        request.method == "HEAD" ? "GET" : request.method;
    if (parsed->route == nullptr || parsed->message == nullptr ||
        parsed->route->http_method != method ||
        parsed->message->GetDescriptor() !=
            parsed->route->method->input_type()) {
      std::abort();
    }
    std::string wire;
    if (!parsed->message->SerializeToString(&wire)) std::abort();
    return 0;
  }
  switch (parsed.status().code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kInvalidArgument:
      return 0;
    case absl::StatusCode::kUnimplemented:
      if (allow.empty()) std::abort();
      return 0;
    default:
      std::abort();
  }
}
