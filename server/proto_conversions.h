#ifndef PCS_SERVER_PROTO_CONVERSIONS_H_
#define PCS_SERVER_PROTO_CONVERSIONS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "core/bar.h"
#include "lifecycle/pattern.h"
#include "pcs/v1/pattern_confidence.pb.h"
#include "server/model_manager.h"
#include "server/scoring_engine.h"

namespace pcs {

// Conversions between pcs.v1 messages and the internal types. Validation
// errors are InvalidArgument naming the request field ("pattern.symbol",
// "bars[3].day: ..."). Pure functions; thread-safe.

// 16 lowercase hex characters (Pattern::Id()); `field` names it in errors.
absl::Status ValidatePatternId(const std::string& id, const std::string& field);

// top_k in [0, 64].
absl::Status ValidateTopK(int top_k, const std::string& field);

absl::StatusOr<Pattern> PatternFromProto(const v1::PatternSpec& spec);

// Bars must be valid prices and strictly increasing by day.
absl::StatusOr<BarSeries> BarsFromProto(
    const google::protobuf::RepeatedPtrField<v1::Bar>& bars,
    const std::string& symbol, const std::string& field);

void ScoreResultToProto(const ScoreResult& result, v1::ScoreResponse* out);

void ModelToProto(const ServableModel& model, bool phase5_enabled,
                  std::optional<double> blend_weight_override,
                  v1::DescribeModelResponse* out);

// The one absl -> grpc status conversion of the service.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace pcs

#endif  // PCS_SERVER_PROTO_CONVERSIONS_H_
