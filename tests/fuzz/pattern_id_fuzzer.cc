// Fuzz target: pattern-id and batch validation
// (server/request_validation.h). The bytes are tried twice: as one pattern
// id (ValidatePatternId; an accepted id is exactly 16 lowercase hex
// characters; the echo is capped) and as a pcs.v1.ScoreBatchRequest
// (ValidateBatchIds, then each id as ScoreBatch checks it).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/request_validation.h"

namespace {

void CheckId(const std::string& id, const std::string& field) {
  const absl::Status s = pcs::ValidatePatternId(id, field);
  if (s.ok()) {
    if (id.size() != 16) std::abort();
    for (char c : id) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) std::abort();
    }
  } else if (pcs::ClientMessage(s).size() >
             field.size() + pcs::kMaxEchoedBytes + 80) {
    std::abort();
  }
  if (pcs::EchoedId(id).size() > pcs::kMaxEchoedBytes + 30) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckId(std::string(reinterpret_cast<const char*>(data), size), "pattern_id");
  pcs::v1::ScoreBatchRequest batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  const absl::Status s = pcs::ValidateBatchIds(batch);
  if (s.ok() && (batch.pattern_ids_size() < 1 ||
                 batch.pattern_ids_size() > pcs::kMaxBatchIds)) {
    std::abort();
  }
  if (!s.ok()) return 0;
  for (int i = 0; i < batch.pattern_ids_size(); ++i) {
    CheckId(batch.pattern_ids(i), absl::StrCat("pattern_ids[", i, "]"));
  }
  return 0;
}
