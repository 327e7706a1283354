#include "cli/command_registry.h"

#include <algorithm>

#include "absl/strings/cord.h"

namespace pcs::cli {

namespace {
constexpr char kUsagePayload[] = "pcs.dev/usage-error";
}  // namespace

absl::Status UsageError(const std::string& message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

CommandRegistry& CommandRegistry::Global() {
  static CommandRegistry* registry = new CommandRegistry();
  return *registry;
}

void CommandRegistry::Add(CommandInfo info) {
  commands_.push_back(std::move(info));
}

std::vector<CommandInfo> CommandRegistry::commands() const {
  std::vector<CommandInfo> sorted = commands_;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return sorted;
}

}  // namespace pcs::cli
