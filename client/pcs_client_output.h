#ifndef PCS_CLIENT_PCS_CLIENT_OUTPUT_H_
#define PCS_CLIENT_PCS_CLIENT_OUTPUT_H_

#include <string>

#include "google/protobuf/message.h"
#include "pcs/v1/pattern_confidence.pb.h"

namespace pcs::client {

// Human-readable renderings of pcs.v1 responses for pcs-client. Pure.
std::string FormatScore(const v1::ScoreResponse& r);
std::string FormatDescribe(const v1::DescribeModelResponse& d);
std::string FormatServingStatus(const v1::GetServingStatusResponse& s);
std::string FormatVersions(const v1::ListModelVersionsResponse& v);

// One-line JSON with the proto field names (snake_case), all fields present.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace pcs::client

#endif  // PCS_CLIENT_PCS_CLIENT_OUTPUT_H_
