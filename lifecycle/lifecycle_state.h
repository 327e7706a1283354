#ifndef PCS_LIFECYCLE_LIFECYCLE_STATE_H_
#define PCS_LIFECYCLE_LIFECYCLE_STATE_H_

#include <array>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pcs {

// States of a pattern event (pattern_events.lifecycle_state). Legal moves:
//   detected  -> confirmed | rejected | expired
//   confirmed -> target_hit | stopped_out | expired
//   rejected, target_hit, stopped_out, expired: terminal (no moves).
// The numeric values are not persisted; the names are.
enum class LifecycleState {
  kDetected = 0,
  kConfirmed = 1,
  kRejected = 2,
  kTargetHit = 3,
  kStoppedOut = 4,
  kExpired = 5,
};
inline constexpr int kNumLifecycleStates = 6;

// "detected", "confirmed", "rejected", "target_hit", "stopped_out", "expired".
absl::string_view LifecycleStateName(LifecycleState state);
// Inverse of LifecycleStateName; InvalidArgument naming the text otherwise.
absl::StatusOr<LifecycleState> ParseLifecycleState(absl::string_view name);

// True for states with no outgoing transition.
bool IsTerminal(LifecycleState state);
// True when `from -> to` is in the table above.
bool IsLegalTransition(LifecycleState from, LifecycleState to);
// OkStatus for a legal move; FailedPrecondition naming both states otherwise,
// e.g. "illegal lifecycle transition target_hit -> confirmed".
absl::Status CheckTransition(LifecycleState from, LifecycleState to);

}  // namespace pcs

#endif  // PCS_LIFECYCLE_LIFECYCLE_STATE_H_
