#ifndef PCS_SERVER_REST_PARAMS_H_
#define PCS_SERVER_REST_PARAMS_H_

#include <httplib.h>

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "db/pattern_review_store.h"

namespace pcs {

// Query-parameter parsing of the REST routes (server/rest_api.h). Every
// error is INVALID_ARGUMENT naming the parameter.

// The largest page_size of GET /api/v1/patterns.
inline constexpr int kMaxPageSize = 200;

// INVALID_ARGUMENT "<name>: <why>".
absl::Status BadParam(const std::string& name, const std::string& why);

// "true"/"1" or "false"/"0".
absl::StatusOr<bool> ParseBool(const std::string& name, const std::string& v);

// An integer in [lo, hi].
absl::StatusOr<int> ParseInt(const std::string& name, const std::string& v,
                             int lo, int hi);

// Rejects query parameters the route does not know (a typo must not be
// silently ignored) and repeated ones.
absl::Status CheckParams(const httplib::Request& req,
                         const std::set<std::string>& known);

// The filter and page of GET /api/v1/patterns.
absl::StatusOr<ReviewFilter> ParseFilter(const httplib::Request& req);

}  // namespace pcs

#endif  // PCS_SERVER_REST_PARAMS_H_
