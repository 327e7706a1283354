#include "server/transcoder.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/util/json_util.h"
#include "server/http_error.h"
#include "server/http_limits.h"
#include "spdlog/spdlog.h"

namespace pcs {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Bad(const std::string& name, const std::string& why) {
  // Names come from the client: bounded, and only printable ASCII.
  std::string shown = name.substr(0, 40);
  for (char& c : shown) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return absl::InvalidArgumentError(absl::StrCat(shown, ": ", why));
}

bool IsScalar(const FieldDescriptor& field) {
  return field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE &&
         field.type() != FieldDescriptor::TYPE_BYTES;
}

// Sets (or, for a repeated field, adds) `field` from its text form.
absl::Status SetScalar(const FieldDescriptor& field, const std::string& text,
                       Message* message) {
  const Reflection& r = *message->GetReflection();
  const bool add = field.is_repeated();
  const std::string& name = field.name();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (!google::protobuf::internal::IsStructurallyValidUTF8(
              text.data(), static_cast<int>(text.size()))) {
        return Bad(name, "must be UTF-8");
      }
      add ? r.AddString(message, &field, text)
          : r.SetString(message, &field, text);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_BOOL: {
      if (text != "true" && text != "false" && text != "1" && text != "0") {
        return Bad(name, "must be true or false");
      }
      const bool v = text == "true" || text == "1";
      add ? r.AddBool(message, &field, v) : r.SetBool(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return Bad(name, "must be an integer");
      add ? r.AddInt32(message, &field, v) : r.SetInt32(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return Bad(name, "must be an integer");
      add ? r.AddInt64(message, &field, v) : r.SetInt64(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return Bad(name, "must be an integer");
      add ? r.AddUInt32(message, &field, v) : r.SetUInt32(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return Bad(name, "must be an integer");
      add ? r.AddUInt64(message, &field, v) : r.SetUInt64(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v = 0;
      if (!absl::SimpleAtod(text, &v) || !std::isfinite(v)) {
        return Bad(name, "must be a finite number");
      }
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        add ? r.AddFloat(message, &field, static_cast<float>(v))
            : r.SetFloat(message, &field, static_cast<float>(v));
      } else {
        add ? r.AddDouble(message, &field, v) : r.SetDouble(message, &field, v);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value = field.enum_type()->FindValueByName(text);
      if (value == nullptr) return Bad(name, "is not one of its values");
      add ? r.AddEnum(message, &field, value)
          : r.SetEnum(message, &field, value);
      return absl::OkStatus();
    }
    default:
      return Bad(name, "cannot be set from a URL");
  }
}

// The top-level field a query parameter names (proto or JSON name).
const FieldDescriptor* FieldNamed(const google::protobuf::Descriptor& type,
                                  const std::string& name) {
  if (const FieldDescriptor* f = type.FindFieldByName(name)) return f;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == name) return type.field(i);
  }
  return nullptr;
}

absl::StatusOr<Transcoder::Route> RouteOf(
    const google::protobuf::MethodDescriptor& method,
    const google::api::HttpRule& rule) {
  const std::string where = absl::StrCat(method.full_name(), ": ");
  Transcoder::Route route;
  route.method = &method;
  if (rule.pattern_case() == google::api::HttpRule::kGet) {
    route.http_method = "GET";
    route.path_template = rule.get();
  } else if (rule.pattern_case() == google::api::HttpRule::kPost) {
    route.http_method = "POST";
    route.path_template = rule.post();
  } else {
    return absl::InvalidArgumentError(where + "only get and post rules");
  }
  if (rule.body() != "" && rule.body() != "*") {
    return absl::InvalidArgumentError(where + "body must be \"\" or \"*\"");
  }
  route.body = rule.body() == "*";
  if (route.path_template.empty() || route.path_template[0] != '/') {
    return absl::InvalidArgumentError(where + "path must start with /");
  }
  for (absl::string_view segment :
       absl::StrSplit(route.path_template.substr(1), '/')) {
    const FieldDescriptor* field = nullptr;
    if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}') {
      const std::string name(segment.substr(1, segment.size() - 2));
      field = method.input_type()->FindFieldByName(name);
      if (field == nullptr || field->is_repeated() || !IsScalar(*field)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "{", name, "} is not a scalar field"));
      }
    } else if (segment.empty() ||
               segment.find_first_of("{}*=") != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "unsupported path segment \"", segment, "\""));
    }
    route.segments.emplace_back(segment);
    route.segment_fields.push_back(field);
  }
  return route;
}

// True when `segments` fit `route`'s template.
bool Matches(const Transcoder::Route& route,
             const std::vector<std::string>& segments) {
  if (segments.size() != route.segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (route.segment_fields[i] == nullptr ? segments[i] != route.segments[i]
                                           : segments[i].empty()) {
      return false;
    }
  }
  return true;
}

// True when some request matches both routes: the same method and, segment
// by segment, equal literals or a "{field}" on either side ("/a/{x}" and
// "/a/b" overlap; Parse would take whichever was declared first).
bool Overlap(const Transcoder::Route& a, const Transcoder::Route& b) {
  if (a.http_method != b.http_method ||
      a.segments.size() != b.segments.size()) {
    return false;
  }
  for (size_t i = 0; i < a.segments.size(); ++i) {
    if (a.segment_fields[i] == nullptr && b.segment_fields[i] == nullptr &&
        a.segments[i] != b.segments[i]) {
      return false;
    }
  }
  return true;
}

absl::Status FillFromQuery(
    const Transcoder::Route& route,
    const std::vector<std::pair<std::string, std::string>>& query,
    Message* message) {
  std::set<const FieldDescriptor*> seen;
  for (const auto& [name, value] : query) {
    const FieldDescriptor* field =
        route.body ? nullptr : FieldNamed(*message->GetDescriptor(), name);
    const bool in_path =
        field != nullptr &&
        std::find(route.segment_fields.begin(), route.segment_fields.end(),
                  field) != route.segment_fields.end();
    if (field == nullptr || !IsScalar(*field) || in_path) {
      return Bad(name, "unknown query parameter");
    }
    if (!seen.insert(field).second && !field->is_repeated()) {
      return Bad(name, "given twice");
    }
    if (absl::Status s = SetScalar(*field, value, message); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status FillFromBody(const Transcoder::Route& route,
                          const std::string& body, int max_depth,
                          Message* message) {
  if (!route.body) {
    return body.empty() ? absl::OkStatus()
                        : Bad("body", "this route takes no body");
  }
  if (absl::Status s = CheckJsonDepth(body, max_depth); !s.ok()) return s;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(
      body.empty() ? "{}" : body, message, options);
  if (!parsed.ok()) {
    return Bad("body",
               absl::StrCat("not a ", message->GetTypeName(), " in JSON: ",
                            std::string(parsed.message()).substr(0, 200)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Transcoder::Route>> Transcoder::RoutesOf(
    const google::protobuf::ServiceDescriptor& service) {
  std::vector<Route> routes;
  for (int i = 0; i < service.method_count(); ++i) {
    const google::protobuf::MethodDescriptor& method = *service.method(i);
    if (!method.options().HasExtension(google::api::http)) continue;
    if (method.client_streaming() || method.server_streaming()) {
      return absl::InvalidArgumentError(
          absl::StrCat(method.full_name(), ": streaming has no REST route"));
    }
    auto route =
        RouteOf(method, method.options().GetExtension(google::api::http));
    if (!route.ok()) return route.status();
    for (const Route& other : routes) {
      if (Overlap(other, *route)) {
        return absl::InvalidArgumentError(
            absl::StrCat("routes overlap (a request can match both): ",
                         other.method->full_name(), " ", other.http_method, " ",
                         other.path_template, " and ", method.full_name(), " ",
                         route->http_method, " ", route->path_template));
      }
    }
    routes.push_back(std::move(*route));
  }
  return routes;
}

absl::StatusOr<std::unique_ptr<Transcoder>> Transcoder::Create(
    const google::protobuf::ServiceDescriptor& service,
    std::map<std::string, UnaryMethod> methods, Options options) {
  auto routes = RoutesOf(service);
  if (!routes.ok()) return routes.status();
  for (const Route& route : *routes) {
    if (!methods.count(route.method->full_name())) {
      return absl::InvalidArgumentError(absl::StrCat(
          route.method->full_name(), ": no implementation for its route"));
    }
  }
  return std::unique_ptr<Transcoder>(
      new Transcoder(std::move(*routes), std::move(methods), options));
}

absl::StatusOr<Transcoder::Parsed> Transcoder::Parse(const HttpRequest& request,
                                                     std::string* allow) const {
  if (request.path.empty() || request.path[0] != '/') {
    return absl::NotFoundError("no such route");
  }
  const std::vector<std::string> segments =
      absl::StrSplit(request.path.substr(1), '/');
  const std::string method = request.method == "HEAD" ? "GET" : request.method;
  const Route* route = nullptr;
  std::set<std::string> others;
  for (const Route& r : routes_) {
    if (!Matches(r, segments)) continue;
    if (r.http_method == method) {
      route = &r;
      break;
    }
    others.insert(r.http_method);
  }
  if (route == nullptr) {
    if (others.empty()) return absl::NotFoundError("no such route");
    if (others.count("GET")) others.insert("HEAD");
    if (allow != nullptr) *allow = absl::StrJoin(others, ", ");
    return absl::UnimplementedError(
        absl::StrCat("method ", method.substr(0, 16), " not allowed here"));
  }
  Parsed parsed{.route = route,
                .message = std::unique_ptr<Message>(
                    google::protobuf::MessageFactory::generated_factory()
                        ->GetPrototype(route->method->input_type())
                        ->New())};
  Message* message = parsed.message.get();
  if (absl::Status s =
          FillFromBody(*route, request.body, options_.max_json_depth, message);
      !s.ok()) {
    return s;
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    const FieldDescriptor* field = route->segment_fields[i];
    if (field == nullptr) continue;
    const Reflection& r = *message->GetReflection();
    if (route->body && r.HasField(*message, field)) {
      return Bad(field->name(), "given in both the path and the body");
    }
    if (absl::Status s = SetScalar(*field, segments[i], message); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = FillFromQuery(*route, request.query, message); !s.ok()) {
    return s;
  }
  return parsed;
}

Transcoder::HttpReply Transcoder::Handle(const HttpRequest& request,
                                         const CallContext& call) const {
  HttpReply reply;
  auto parsed = Parse(request, &reply.allow);
  if (!parsed.ok()) {
    reply.status = absl::IsUnimplemented(parsed.status())
                       ? 405
                       : HttpStatusOf(parsed.status().code());
    reply.json = HttpErrorBody(parsed.status(), reply.status);
    return reply;
  }
  const Route& route = *parsed->route;
  std::unique_ptr<Message> response(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(route.method->output_type())
          ->New());
  grpc::Status status = methods_.at(route.method->full_name())(
      call, *parsed->message, response.get());
  if (!status.ok()) {
    // The service already made the message fit for a client.
    const absl::Status error(static_cast<absl::StatusCode>(status.error_code()),
                             status.error_message());
    reply.status = HttpStatusOf(error.code());
    reply.json = HttpErrorBody(error, reply.status);
    return reply;
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  auto printed = google::protobuf::util::MessageToJsonString(
      *response, &reply.json, options);
  if (!printed.ok()) {
    spdlog::error(
        "event=json_print_failed request_id={} method={} error=\"{}\"",
        call.request_id, route.method->full_name(),
        std::string(printed.message()));
    reply.status = 500;
    reply.json = HttpErrorBody(absl::InternalError("internal error"), 500);
  }
  return reply;
}

}  // namespace pcs
