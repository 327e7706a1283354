#ifndef PCS_SERVER_TRANSCODER_H_
#define PCS_SERVER_TRANSCODER_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "server/call_context.h"
#include "server/pattern_confidence_service.h"

namespace pcs {

// REST/JSON for a gRPC service, generically: the routes come from the
// methods' google.api.http options in proto/, a request becomes the
// method's request message, the service implementation runs (the same
// UnaryMethod gRPC reaches), and the response message goes back as JSON
// (the proto3 JSON mapping, google::protobuf::util, field names as in the
// proto: `preserve_proto_field_names`; int64 as strings; every primitive
// field printed, absent `optional` ones omitted).
//
// A request message is filled from, in this order:
//   - the body, when the rule says `body: "*"` (JSON, at most
//     max_json_depth deep, unknown fields refused);
//   - the path: "{field}" in a template binds one path segment to a
//     top-level scalar field ("/api/v1/patterns/{pattern_id}");
//   - the query: each parameter names a top-level scalar field (or a
//     repeated one, given repeatedly); unknown, repeated singular and
//     path-bound names are refused. Not allowed with `body: "*"`.
// Every refusal is INVALID_ARGUMENT naming the parameter or field; an
// unknown path is NOT_FOUND; a known path under another method is 405 with
// the methods it takes. gRPC codes become HTTP statuses as in
// server/http_error.h, with the same JSON error body.
//
// Supported rules: `get` or `post`, templates of literal and "{field}"
// segments, body "" or "*". Create() refuses anything else, naming the
// method.
//
// Threading: immutable after Create(); Parse() and Handle() are safe to call
// concurrently.
//
// Example:
//   auto transcoder =
//   Transcoder::Create(PatternConfidenceService::Descriptor(),
//                                        service.UnaryMethods(), {});
//   Transcoder::HttpReply reply = (*transcoder)->Handle(
//       {.method = "GET", .path = "/api/v1/patterns/0123456789abcdef"}, call);
class Transcoder {
 public:
  using UnaryMethod = PatternConfidenceService::UnaryMethod;

  struct Options {
    // Deepest nesting of a JSON body (HttpLimits::max_json_depth).
    int max_json_depth = 32;
  };

  // One route: an RPC's google.api.http rule.
  struct Route {
    std::string http_method = {};    // "GET" or "POST"
    std::string path_template = {};  // "/api/v1/patterns/{pattern_id}"
    bool body = false;               // body: "*"
    const google::protobuf::MethodDescriptor* method = nullptr;
    // Path segments: a literal, or "{field}" (field set below).
    std::vector<std::string> segments = {};
    std::vector<const google::protobuf::FieldDescriptor*> segment_fields = {};
  };

  // An HTTP request as the transcoder needs it (already URL-decoded).
  struct HttpRequest {
    std::string method = {};
    std::string path = {};
    std::vector<std::pair<std::string, std::string>> query = {};
    std::string body = {};
  };

  struct HttpReply {
    int status = 200;
    // The response message or the error body.
    std::string json = {};
    // For 405: the methods the path takes ("GET, HEAD").
    std::string allow = {};
  };

  // The routes of every method of `service` that has a google.api.http
  // option, in declaration order. INVALID_ARGUMENT, naming both methods and
  // paths, when two routes can match the same request (same HTTP method,
  // and at each segment equal literals or a "{field}" on either side): no
  // route wins by being declared first.
  static absl::StatusOr<std::vector<Route>> RoutesOf(
      const google::protobuf::ServiceDescriptor& service);

  // Every route must have a method in `methods` (by full name).
  static absl::StatusOr<std::unique_ptr<Transcoder>> Create(
      const google::protobuf::ServiceDescriptor& service,
      std::map<std::string, UnaryMethod> methods, Options options);

  // The parse path (the REST fuzz target calls this): the route `request`
  // matches and its request message. NOT_FOUND for no route; UNIMPLEMENTED
  // for a path that only other methods take, with them in `*allow`.
  struct Parsed {
    const Route* route = nullptr;
    std::unique_ptr<google::protobuf::Message> message = nullptr;
  };
  absl::StatusOr<Parsed> Parse(const HttpRequest& request,
                               std::string* allow = nullptr) const;

  // Parse, run the method with `call`, print the response or the error.
  HttpReply Handle(const HttpRequest& request, const CallContext& call) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  Transcoder(std::vector<Route> routes,
             std::map<std::string, UnaryMethod> methods, Options options)
      : routes_(std::move(routes)),
        methods_(std::move(methods)),
        options_(options) {}

  std::vector<Route> routes_;
  std::map<std::string, UnaryMethod> methods_;
  const Options options_;
};

}  // namespace pcs

#endif  // PCS_SERVER_TRANSCODER_H_
