#ifndef PCS_TESTS_DOCS_DOC_SCANNER_H_
#define PCS_TESTS_DOCS_DOC_SCANNER_H_

// What the documentation claims exists, extracted from Markdown and config
// text for the docs-honesty test (tests/docs/docs_honesty_test.cc).
//
// A claim remembers where it was made (file:line) so a failure names the
// sentence to fix. Pure functions over text; thread-safe.

#include <set>
#include <string>
#include <vector>

namespace pcs::testing {

struct DocClaim {
  std::string where;  // "docs/RUNBOOK.md:42"
  std::string name;   // "train", "--pin-version", "pcs_requests_total", ...
  // Flags: the command they are given to ("pcs <sub>", "pcs", "pcs-client
  // <sub>", "pcs-client", "pcs-server") or "" (any). Subcommands: the binary
  // ("pcs" or "pcs-client"). RPCs: the service when written Service/Method.
  std::string context;
};

// A Markdown file split into code text (fenced blocks and `inline code`)
// per line (indented blocks count as code). Lines of code blocks ending in '\'
// are joined with the next.
struct CodeLine {
  int line = 0;      // 1-based line number of the first physical line
  std::string text;  // the code on that line (spans joined by ' | ')
};
std::vector<CodeLine> ExtractCode(const std::string& markdown);

// `pcs <subcommand>` and `pcs-client <subcommand>` uses in code (the word
// after the binary, when it is not a flag). `file` is used for
// DocClaim::where.
std::vector<DocClaim> SubcommandClaims(const std::string& file,
                                       const std::string& markdown);

// `--flag` uses in code. The context of a flag is the nearest command to its
// left on the same code line: "pcs <sub>" / "pcs" / "pcs-client <sub>" /
// "pcs-client" / "pcs-server"; flags of
// other programs (cmake, ctest, grpcurl, ...) are not claims; a flag with no
// command to its left has context "" (must exist somewhere in pcs or
// pcs-server).
std::vector<DocClaim> FlagClaims(const std::string& file,
                                 const std::string& markdown);

// `pcs_<name>` tokens anywhere in `text` (prose, code, YAML, JSON), minus
// those in `not_metrics` (CMake targets etc.) and prefixes (ending in '_').
std::vector<DocClaim> MetricClaims(const std::string& file,
                                   const std::string& text,
                                   const std::set<std::string>& not_metrics);

// RPC names: `Service/Method` or `Service.Method` forms with a known service
// short name, and backticked PascalCase words on lines that mention "RPC".
std::vector<DocClaim> RpcClaims(const std::string& file,
                                const std::string& markdown,
                                const std::set<std::string>& services);

// Every `--flag` (and `-x`) written in a --help text.
std::set<std::string> FlagsInHelp(const std::string& help);
// The subcommand names listed under "Subcommands:" in a CLI11 --help text.
std::set<std::string> SubcommandsInHelp(const std::string& help);

}  // namespace pcs::testing

#endif  // PCS_TESTS_DOCS_DOC_SCANNER_H_
