#ifndef PCS_DB_SNAPSHOT_KIND_H_
#define PCS_DB_SNAPSHOT_KIND_H_

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace pcs {

// The two kinds of chart snapshot (chart_snapshots.kind; never rename).
enum class SnapshotKind {
  // The chart as the rules saw it on the decision (confirmation) day: no bar
  // after that day is read or drawn.
  kDecision = 0,
  // A resolved pattern's chart continued to the day its outcome was
  // resolved (target, stop or horizon), with the exit marked.
  kOutcome = 1,
};

// "decision" / "outcome".
inline absl::string_view SnapshotKindName(SnapshotKind kind) {
  return kind == SnapshotKind::kOutcome ? "outcome" : "decision";
}

inline absl::StatusOr<SnapshotKind> ParseSnapshotKind(absl::string_view name) {
  if (name == "decision") return SnapshotKind::kDecision;
  if (name == "outcome") return SnapshotKind::kOutcome;
  return absl::InvalidArgumentError(absl::StrCat(
      "snapshot kind '", name.substr(0, 40), "' is not decision|outcome"));
}

}  // namespace pcs

#endif  // PCS_DB_SNAPSHOT_KIND_H_
