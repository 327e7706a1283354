#include "tests/regression/regression_env.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "pqxx/pqxx"

namespace pcs::testing {

namespace fs = std::filesystem;

absl::StatusOr<int> WriteTruncatedCsv(const std::string& source_dir,
                                      const std::string& symbol,
                                      const std::string& cutoff,
                                      const fs::path& target_dir) {
  const std::string from = absl::StrCat(source_dir, "/", symbol, ".csv");
  std::ifstream in(from);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", from));
  fs::create_directories(target_dir);
  const fs::path to = target_dir / absl::StrCat(symbol, ".csv");
  std::ofstream out(to, std::ios::trunc);
  std::string line;
  int written = 0;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      out << line << "\n";
      header = false;
      continue;
    }
    const bool dated = line.size() >= 10 && line[4] == '-' && line[7] == '-';
    if (dated && line.compare(0, 10, cutoff) >= 0) continue;
    out << line << "\n";
    ++written;
  }
  if (!out.good())
    return absl::InternalError(absl::StrCat("cannot write ", to.string()));
  return written;
}

CommandResult RunProgram(const std::vector<std::string>& argv) {
  CommandResult result;
  char path_template[] = "/tmp/pcs_regression_outXXXXXX";
  const int fd = ::mkstemp(path_template);
  if (fd < 0) return result;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::perror("execv");
    ::_exit(127);
  }
  int status = 0;
  if (pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  ::close(fd);
  std::ifstream in(path_template);
  result.output.assign(std::istreambuf_iterator<char>(in), {});
  ::unlink(path_template);
  return result;
}

std::vector<std::string> FullHistorySymbols(const std::string& dir, int count,
                                            const std::string& market) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".csv" && entry.path().stem() != market) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const fs::path& file : files) {
    if (static_cast<int>(out.size()) == count) break;
    std::ifstream in(file);
    if (std::count(std::istreambuf_iterator<char>(in), {}, '\n') > 4700) {
      out.push_back(file.stem().string());
    }
  }
  return out;
}

nlohmann::json LastJsonObject(const std::string& output) {
  const size_t line_start = output.find("\n{");
  const size_t begin =
      line_start == std::string::npos ? output.find('{') : line_start + 1;
  const size_t end = output.rfind('}');
  if (begin == std::string::npos || end == std::string::npos || end < begin)
    return nullptr;
  return nlohmann::json::parse(output.substr(begin, end - begin + 1), nullptr,
                               false);
}

std::string QueryScalar(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  pqxx::read_transaction tx(conn);
  const pqxx::result r = tx.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].c_str();
}

}  // namespace pcs::testing
