#ifndef PCS_CLI_FLAG_CHECKS_H_
#define PCS_CLI_FLAG_CHECKS_H_

#include "CLI/CLI.hpp"

namespace pcs::cli {

// CLI11 validators whose error messages stay readable. CLI11 2.1's own
// NonNegativeNumber is a Range up to DBL_MAX and prints that bound with
// std::to_string: a 309-digit number. These name the value as the user gave
// it instead, e.g. "--bootstrap-resamples: must be a number >= 0, got -1".
//
// Example:
//   app.add_option("--bootstrap-resamples", n)->check(NonNegativeNumber());
const CLI::Validator& NonNegativeNumber();

}  // namespace pcs::cli

#endif  // PCS_CLI_FLAG_CHECKS_H_
