#include "lifecycle/lifecycle_state.h"

#include "absl/strings/str_cat.h"

namespace pcs {
namespace {

constexpr std::array<absl::string_view, kNumLifecycleStates> kStateNames = {
    "detected",   "confirmed",   "rejected",
    "target_hit", "stopped_out", "expired"};

}  // namespace

absl::string_view LifecycleStateName(LifecycleState state) {
  return kStateNames[static_cast<int>(state)];
}

absl::StatusOr<LifecycleState> ParseLifecycleState(absl::string_view name) {
  for (int i = 0; i < kNumLifecycleStates; ++i) {
    if (kStateNames[i] == name) return static_cast<LifecycleState>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown lifecycle state '", name,
      "' (want detected|confirmed|rejected|target_hit|stopped_out|expired)"));
}

bool IsTerminal(LifecycleState state) {
  return state != LifecycleState::kDetected &&
         state != LifecycleState::kConfirmed;
}

bool IsLegalTransition(LifecycleState from, LifecycleState to) {
  using S = LifecycleState;
  switch (from) {
    case S::kDetected:
      return to == S::kConfirmed || to == S::kRejected || to == S::kExpired;
    case S::kConfirmed:
      return to == S::kTargetHit || to == S::kStoppedOut || to == S::kExpired;
    default:
      return false;
  }
}

absl::Status CheckTransition(LifecycleState from, LifecycleState to) {
  if (IsLegalTransition(from, to)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "illegal lifecycle transition ", LifecycleStateName(from), " -> ",
      LifecycleStateName(to), IsTerminal(from) ? " (from is terminal)" : ""));
}

}  // namespace pcs
