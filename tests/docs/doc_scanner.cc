#include "tests/docs/doc_scanner.h"

#include <cctype>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pcs::testing {
namespace {

// Separates inline code spans of one line: flags never reach across it.
constexpr char kSpanBreak[] = " ;; ";

// Programs whose flags are not ours.
bool IsExternalProgram(const std::string& base) {
  static const std::set<std::string>* kExternal =
      new std::set<std::string>{"cmake",
                                "ctest",
                                "make",
                                "ninja",
                                "git",
                                "grpcurl",
                                "ghz",
                                "h2load",
                                "promtool",
                                "prometheus",
                                "docker",
                                "kubectl",
                                "go",
                                "curl",
                                "systemctl",
                                "journalctl",
                                "psql",
                                "pg_ctl",
                                "initdb",
                                "grep",
                                "sed",
                                "awk",
                                "xargs",
                                "sort",
                                "head",
                                "tail",
                                "jq",
                                "python3",
                                "python",
                                "apt-get",
                                "bash",
                                "sh",
                                "time",
                                "timeout",
                                "runuser",
                                "kill",
                                "find",
                                "ls",
                                "cat",
                                "cp",
                                "mv",
                                "rm",
                                "mkdir",
                                "ln",
                                "nproc",
                                "gdb",
                                "valgrind",
                                "perf",
                                "node_exporter",
                                "xgboost",
                                "mypy",
                                "protoc",
                                "pip"};
  if (kExternal->count(base)) return true;
  // Test and benchmark binaries take GoogleTest / Google Benchmark flags.
  return absl::EndsWith(base, "_test") || absl::EndsWith(base, "_bench");
}

std::string Basename(std::string token) {
  while (!token.empty() &&
         std::string("$(`'\"").find(token.front()) != std::string::npos) {
    token.erase(0, 1);
  }
  const size_t slash = token.rfind('/');
  return slash == std::string::npos ? token : token.substr(slash + 1);
}

bool IsSeparator(const std::string& token) {
  return token == "|" || token == "||" || token == "&&" || token == ";" ||
         token == ";;";
}

std::vector<std::string> Tokens(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string token;
  while (in >> token) out.push_back(token);
  return out;
}

// The flag name at the start of `token` ("--pin-version=..." ->
// "--pin-version").
std::string FlagName(const std::string& token) {
  static const std::regex kFlag("^--[a-z][a-z0-9_-]*[a-z0-9]");
  std::smatch m;
  std::string t = token;
  while (!t.empty() &&
         std::string("`(\"'[").find(t.front()) != std::string::npos)
    t.erase(0, 1);
  return std::regex_search(t, m, kFlag) ? m.str() : "";
}

void AppendSpans(const std::string& line, std::string& code) {
  size_t pos = 0;
  while (true) {
    size_t open = line.find('`', pos);
    if (open == std::string::npos) return;
    size_t ticks = 1;
    while (open + ticks < line.size() && line[open + ticks] == '`') ++ticks;
    const std::string fence(ticks, '`');
    size_t close = line.find(fence, open + ticks);
    if (close == std::string::npos) return;
    if (!code.empty()) code += kSpanBreak;
    code += line.substr(open + ticks, close - open - ticks);
    pos = close + ticks;
  }
}

// True when the quote at `quote` opens the value of a JSON key that does not
// hold a query ("kind": "pcs_x" yes, "expr": "pcs_x" no).
bool IsJsonNonQueryValue(const std::string& line, size_t quote) {
  static const std::regex kKey("\"([A-Za-z_]+)\"\\s*:\\s*$");
  std::smatch m;
  const std::string head = line.substr(0, quote);
  if (!std::regex_search(head, m, kKey)) return false;
  const std::string key = m[1].str();
  return key.find("expr") == std::string::npos &&
         key.find("query") == std::string::npos &&
         key.find("metric") == std::string::npos;
}

}  // namespace

std::vector<CodeLine> ExtractCode(const std::string& markdown) {
  std::vector<CodeLine> out;
  bool in_fence = false;
  std::string pending;  // fenced line continued with '\'
  int pending_line = 0;
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(markdown, '\n')) {
    ++number;
    std::string line(raw);
    const std::string trimmed(absl::StripLeadingAsciiWhitespace(line));
    if (absl::StartsWith(trimmed, "```") || absl::StartsWith(trimmed, "~~~")) {
      in_fence = !in_fence;
      continue;
    }
    // Fenced blocks and indented (4 spaces / tab) code blocks.
    const bool indented =
        absl::StartsWith(line, "    ") || absl::StartsWith(line, "\t");
    if (in_fence || (indented && !trimmed.empty()) || !pending.empty()) {
      if (pending.empty()) pending_line = number;
      std::string body = line;
      const bool continued =
          absl::EndsWith(absl::StripTrailingAsciiWhitespace(body), "\\");
      if (continued)
        body =
            std::string(absl::StripTrailingAsciiWhitespace(body))
                .substr(0, std::string(absl::StripTrailingAsciiWhitespace(body))
                                   .size() -
                               1);
      pending += body + " ";
      if (!continued) {
        out.push_back({pending_line, pending});
        pending.clear();
      }
      continue;
    }
    std::string code;
    AppendSpans(line, code);
    if (!code.empty()) out.push_back({number, code});
  }
  if (!pending.empty()) out.push_back({pending_line, pending});
  return out;
}

std::vector<DocClaim> SubcommandClaims(const std::string& file,
                                       const std::string& markdown) {
  std::vector<DocClaim> out;
  static const std::regex kWord("^[a-z][a-z_-]*$");
  for (const CodeLine& code : ExtractCode(markdown)) {
    const std::vector<std::string> tokens = Tokens(code.text);
    bool external =
        false;  // inside another program's arguments (cmake --target pcs ...)
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
      const std::string binary = Basename(tokens[i]);
      if (IsSeparator(tokens[i])) external = false;
      if (IsExternalProgram(binary)) external = true;
      if (external || (binary != "pcs" && binary != "pcs-client")) continue;
      std::string next = tokens[i + 1];
      while (!next.empty() &&
             std::string("`'\")").find(next.back()) != std::string::npos) {
        next.pop_back();
      }
      if (std::regex_match(next, kWord)) {
        out.push_back({absl::StrCat(file, ":", code.line), next, binary});
      }
    }
  }
  return out;
}

std::vector<DocClaim> FlagClaims(const std::string& file,
                                 const std::string& markdown) {
  std::vector<DocClaim> out;
  for (const CodeLine& code : ExtractCode(markdown)) {
    const std::vector<std::string> tokens = Tokens(code.text);
    std::string
        context;  // "" | "pcs" | "pcs <sub>" | "pcs-server" | "external"
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string& t = tokens[i];
      const std::string base = Basename(t);
      if (IsSeparator(t)) {
        context.clear();
      } else if (base == "pcs" || base == "pcs-client") {
        context = base;
        if (i + 1 < tokens.size() && !absl::StartsWith(tokens[i + 1], "-")) {
          std::string sub = tokens[i + 1];
          while (!sub.empty() &&
                 !std::islower(static_cast<unsigned char>(sub.back()))) {
            sub.pop_back();
          }
          context = absl::StrCat(base, " ", sub);
          ++i;
        }
      } else if (base == "pcs-server") {
        context = "pcs-server";
      } else if (absl::EndsWith(base, ".sh")) {
        std::string path = t;
        while (!path.empty() &&
               std::string("`'\"(").find(path.front()) != std::string::npos) {
          path.erase(0, 1);
        }
        if (absl::StartsWith(path, "./")) path = path.substr(2);
        context = absl::StrCat("script:", path);
      } else if (IsExternalProgram(base)) {
        context = "external";
      } else if (std::string flag = FlagName(t);
                 !flag.empty() && context != "external") {
        out.push_back({absl::StrCat(file, ":", code.line), flag, context});
      }
    }
  }
  return out;
}

std::vector<DocClaim> MetricClaims(const std::string& file,
                                   const std::string& text,
                                   const std::set<std::string>& not_metrics) {
  std::vector<DocClaim> out;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    const std::string line(raw);
    size_t pos = 0;
    while ((pos = line.find("pcs_", pos)) != std::string::npos) {
      const char before = pos == 0 ? ' ' : line[pos - 1];
      const bool word_start =
          !(std::isalnum(static_cast<unsigned char>(before)) || before == '_' ||
            before == '-' || before == '/');
      size_t end = pos + 4;
      while (end < line.size() &&
             (std::islower(static_cast<unsigned char>(line[end])) ||
              std::isdigit(static_cast<unsigned char>(line[end])) ||
              line[end] == '_')) {
        ++end;
      }
      const std::string name = line.substr(pos, end - pos);
      const char next = end < line.size() ? line[end] : ' ';
      const char after = end + 1 < line.size() ? line[end + 1] : ' ';
      const bool prefix =
          name.back() == '_' || next == '*' || (next == '.' && after == '*');
      // A file (pcs_drift.prom), a folder (pcs_client/) or a JSON string value
      // other than a query ("kind": "pcs_..."), not a metric.
      const bool file_name =
          (next == '.' && std::isalpha(static_cast<unsigned char>(after))) ||
          next == '/';
      const bool json_value =
          before == '"' && IsJsonNonQueryValue(line, pos - 1);
      const bool upper =
          std::isupper(static_cast<unsigned char>(next));  // pcs_Foo: not ours
      if (word_start && !prefix && !file_name && !json_value && !upper &&
          name.size() > 4 && !not_metrics.count(name)) {
        out.push_back({absl::StrCat(file, ":", line_number), name, ""});
      }
      pos = end;
    }
  }
  return out;
}

std::vector<DocClaim> RpcClaims(const std::string& file,
                                const std::string& markdown,
                                const std::set<std::string>& services) {
  std::vector<DocClaim> out;
  // Lookahead: "v1.PatternConfidence/ScorePattern" must yield both pairs.
  static const std::regex kQualified(
      "([A-Za-z][A-Za-z0-9]*)(?=[/.]([A-Z][A-Za-z0-9]*))");
  static const std::regex kPascal("^[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*$");
  static const std::regex kVerb(
      "^(Score|Evaluate|Describe|List|Get|Watch)[A-Z][A-Za-z0-9]*$");
  static const std::regex kRpcWord("\\b(RPC|RPCs|rpc|rpcs)\\b");
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(markdown, '\n')) {
    ++number;
    const std::string line(raw);
    const std::string where = absl::StrCat(file, ":", number);
    for (auto it = std::sregex_iterator(line.begin(), line.end(), kQualified);
         it != std::sregex_iterator(); ++it) {
      if (services.count((*it)[1].str())) {
        out.push_back({where, (*it)[2].str(), (*it)[1].str()});
      }
    }
    std::string code;
    AppendSpans(line, code);
    const bool rpc_line = std::regex_search(line, kRpcWord);
    for (absl::string_view piece :
         absl::StrSplit(code, absl::ByAnyChar(" ,;()`.:"))) {
      const std::string token(piece);
      if (std::regex_match(token, kVerb) ||
          (rpc_line && std::regex_match(token, kPascal))) {
        out.push_back({where, token, ""});
      }
    }
  }
  return out;
}

std::set<std::string> FlagsInHelp(const std::string& help) {
  std::set<std::string> out;
  static const std::regex kFlag("--[a-z][a-z0-9_-]*[a-z0-9]");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), kFlag);
       it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

std::set<std::string> SubcommandsInHelp(const std::string& help) {
  std::set<std::string> out;
  bool in_section = false;
  for (absl::string_view raw : absl::StrSplit(help, '\n')) {
    const std::string line(raw);
    if (absl::StartsWith(line, "Subcommands:")) {
      in_section = true;
      continue;
    }
    if (!in_section) continue;
    if (line.empty() || !std::isspace(static_cast<unsigned char>(line[0]))) {
      in_section = !line.empty() && in_section &&
                   std::isspace(static_cast<unsigned char>(line[0]));
      if (!in_section) break;
    }
    const std::vector<std::string> tokens = Tokens(line);
    if (!tokens.empty()) out.insert(tokens[0]);
  }
  return out;
}

}  // namespace pcs::testing
