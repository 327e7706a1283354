#ifndef PCS_SERVER_REQUEST_VALIDATION_H_
#define PCS_SERVER_REQUEST_VALIDATION_H_

// Validation and conversion of request fields (pcs.v1 -> internal types),
// and the capped error messages clients see. Kept apart from the rest of
// server/ (a library of its own, pcs_request_validation, depending only on
// the proto and lifecycle) so the fuzz targets in tests/fuzz/ build it
// alone. Pure functions; thread-safe.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/bar.h"
#include "lifecycle/pattern.h"
#include "pcs/v1/pattern_confidence.pb.h"

namespace pcs {

// Validation errors are InvalidArgument naming the request field
// ("pattern.symbol", "bars[3].day: ...").

// Bounds of request input (docs/SERVER.md "Input bounds"): prices (bar
// open/high/low/close/adj_close, key point prices, breakout, target, stop)
// finite and at most kMaxRequestPrice; volume finite in [0,
// kMaxRequestVolume]; days within 1900-01-01 .. 2100-12-31; symbol at most
// 32 printable ASCII bytes; at most kMaxKeyPoints key points and
// kMaxRuleCriteria rule criteria. Violations are INVALID_ARGUMENT naming the
// field.
inline constexpr double kMaxRequestPrice = 1e9;
inline constexpr double kMaxRequestVolume = 1e15;
inline constexpr Day kMinRequestDay = -25567;  // 1900-01-01
inline constexpr Day kMaxRequestDay = 47846;   // 2100-12-31
inline constexpr int kMaxKeyPoints = 64;
inline constexpr int kMaxRuleCriteria = 64;
// Input echoed in an error shows at most this many bytes (then
// "... (N bytes)"); non-printable bytes show as '?'.
inline constexpr size_t kMaxEchoedBytes = 64;
// Longest error message sent to a client.
inline constexpr size_t kMaxClientMessageBytes = 512;

// `text` quoted for an error message, capped at kMaxEchoedBytes.
std::string QuoteInput(absl::string_view text);

// The message a client sees for `status`: capped at kMaxClientMessageBytes;
// for UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS and every database error
// (db/database_error.h) only our context before the first ": "
// (never libpq text, socket paths or SQL).
std::string ClientMessage(const absl::Status& status);

// 16 lowercase hex characters (Pattern::Id()); `field` names it in errors.
absl::Status ValidatePatternId(const std::string& id, const std::string& field);

// top_k in [0, 64].
absl::Status ValidateTopK(int top_k, const std::string& field);

absl::StatusOr<Pattern> PatternFromProto(const v1::PatternSpec& spec);

// Bars must be valid prices and strictly increasing by day.
absl::StatusOr<BarSeries> BarsFromProto(
    const google::protobuf::RepeatedPtrField<v1::Bar>& bars,
    const std::string& symbol, const std::string& field);

// ScoreBatch: 1 to kMaxBatchIds ids and a valid top_k (each id is checked
// when it is scored, as an item error).
inline constexpr int kMaxBatchIds = 1000;
absl::Status ValidateBatchIds(const v1::ScoreBatchRequest& request);

// `id` as echoed back in a response item: itself when at most
// kMaxEchoedBytes, else QuoteInput(id).
std::string EchoedId(const std::string& id);

}  // namespace pcs

#endif  // PCS_SERVER_REQUEST_VALIDATION_H_
