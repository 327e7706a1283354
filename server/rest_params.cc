#include "server/rest_params.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/bar.h"
#include "lifecycle/pattern.h"

namespace pcs {

absl::Status BadParam(const std::string& name, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", why));
}

absl::StatusOr<bool> ParseBool(const std::string& name, const std::string& v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return BadParam(name, "must be true or false");
}

absl::StatusOr<int> ParseInt(const std::string& name, const std::string& v,
                             int lo, int hi) {
  int out = 0;
  if (!absl::SimpleAtoi(v, &out) || out < lo || out > hi) {
    return BadParam(name,
                    absl::StrCat("must be an integer in [", lo, ", ", hi, "]"));
  }
  return out;
}

absl::Status CheckParams(const httplib::Request& req,
                         const std::set<std::string>& known) {
  std::set<std::string> seen;
  for (const auto& [name, value] : req.params) {
    if (!known.count(name)) {
      return BadParam(name.substr(0, 40), "unknown query parameter");
    }
    if (!seen.insert(name).second) return BadParam(name, "given twice");
  }
  return absl::OkStatus();
}

absl::StatusOr<ReviewFilter> ParseFilter(const httplib::Request& req) {
  if (absl::Status s =
          CheckParams(req, {"symbol", "type", "decision", "disagreement",
                            "scored", "overridden", "from", "to", "order",
                            "page_size", "page_token"});
      !s.ok()) {
    return s;
  }
  ReviewFilter f;
  auto get = [&](const char* name) -> std::optional<std::string> {
    if (!req.has_param(name)) return std::nullopt;
    return req.get_param_value(name);
  };
  if (auto v = get("symbol")) {
    bool ok = !v->empty() && v->size() <= 16;
    for (char c : *v) {
      ok = ok && (absl::ascii_isupper(c) || absl::ascii_isdigit(c) ||
                  c == '.' || c == '-' || c == '^');
    }
    if (!ok) return BadParam("symbol", "must be 1-16 of A-Z 0-9 . - ^");
    f.symbol = *v;
  }
  if (auto v = get("type")) {
    if (!ParsePatternType(*v).ok()) {
      return BadParam("type", "is not a pattern type (e.g. double_top)");
    }
    f.pattern_type = *v;
  }
  if (auto v = get("decision")) {
    if (*v != "confirm" && *v != "reject") {
      return BadParam("decision", "must be confirm or reject");
    }
    f.decision = *v;
  }
  for (const char* name : {"disagreement", "scored", "overridden"}) {
    if (auto v = get(name)) {
      auto b = ParseBool(name, *v);
      if (!b.ok()) return b.status();
      (std::string(name) == "disagreement" ? f.disagreement
       : std::string(name) == "scored"     ? f.scored
                                           : f.overridden) = *b;
    }
  }
  for (const char* name : {"from", "to"}) {
    if (auto v = get(name)) {
      auto day = ParseDay(*v);
      if (!day.ok()) return BadParam(name, "must be YYYY-MM-DD");
      (std::string(name) == "from" ? f.from : f.to) = *day;
    }
  }
  if (auto v = get("order")) {
    if (!ParseReviewOrder(*v, &f.order)) {
      return BadParam("order",
                      "must be confirmed_desc, confirmed_asc, blended_desc, "
                      "ml_desc or scored_desc");
    }
  }
  if (auto v = get("page_size")) {
    auto n = ParseInt("page_size", *v, 1, kMaxPageSize);
    if (!n.ok()) return n.status();
    f.limit = *n;
  }
  if (auto v = get("page_token")) {
    auto n = ParseInt("page_token", *v, 0, 100000000);
    if (!n.ok()) return n.status();
    f.offset = *n;
  }
  return f;
}

}  // namespace pcs
