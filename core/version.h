#ifndef PCS_CORE_VERSION_H_
#define PCS_CORE_VERSION_H_

#include <string>

#include "absl/strings/string_view.h"

namespace pcs {

// The one version source of every pcs binary: the pcs version (CMake's
// project VERSION) and the git commit the build was configured from
// (`git rev-parse --short HEAD`; "unknown" outside a git checkout). CMake
// configures again when HEAD moves, so an incremental build stays honest.
// `pcs`, `pcs-server` and `pcs-client` print VersionLine() for --version;
// pcs-server exports both as pcs_build_info{version,commit} 1.
//
// Example:
//   VersionLine("pcs-server") == "pcs-server 0.1.0 (commit 1a2b3c4)"
//
// Thread-safe: constants only.
absl::string_view PcsVersion();
absl::string_view PcsGitCommit();

// "<program> <version> (commit <commit>)".
std::string VersionLine(absl::string_view program);

}  // namespace pcs

#endif  // PCS_CORE_VERSION_H_
