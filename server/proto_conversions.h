#ifndef PCS_SERVER_PROTO_CONVERSIONS_H_
#define PCS_SERVER_PROTO_CONVERSIONS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/bar.h"
#include "grpcpp/grpcpp.h"
#include "lifecycle/pattern.h"
#include "pcs/v1/pattern_confidence.pb.h"
#include "server/model_manager.h"
#include "server/request_validation.h"
#include "server/scoring_engine.h"

namespace pcs {

// Conversions between pcs.v1 messages and the internal types; request
// validation lives in server/request_validation.h (included here).

void ScoreResultToProto(const ScoreResult& result, v1::ScoreResponse* out);

void ModelToProto(const ServableModel& model, bool phase5_enabled,
                  std::optional<double> blend_weight_override,
                  v1::DescribeModelResponse* out);

// The one absl -> grpc status conversion of the service.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace pcs

#endif  // PCS_SERVER_PROTO_CONVERSIONS_H_
