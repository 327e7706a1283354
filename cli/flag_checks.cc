#include "cli/flag_checks.h"

#include <string>

#include "absl/strings/numbers.h"

namespace pcs::cli {

const CLI::Validator& NonNegativeNumber() {
  static const CLI::Validator* const kValidator = new CLI::Validator(
      [](std::string& input) -> std::string {
        double value = 0;
        if (absl::SimpleAtod(input, &value) && value >= 0) return "";
        return "must be a number >= 0, got " + input;
      },
      "NONNEGATIVE");
  return *kValidator;
}

}  // namespace pcs::cli
