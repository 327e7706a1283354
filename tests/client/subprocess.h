#ifndef PCS_TESTS_CLIENT_SUBPROCESS_H_
#define PCS_TESTS_CLIENT_SUBPROCESS_H_

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

extern char** environ;

namespace pcs::testing {

// Runs a shell command; returns (exit code, stdout + stderr).
inline std::pair<int, std::string> RunCommand(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  std::string output;
  char buf[1024];
  while (pipe && std::fgets(buf, sizeof(buf), pipe)) output += buf;
  int rc = pipe ? ::pclose(pipe) : -1;
  return {rc == -1 ? -1 : WEXITSTATUS(rc), output};
}

// A child process whose stdout is readable line by line (for the
// "listening grpc_port=..." line of pcs-server). Stderr is inherited.
class Subprocess {
 public:
  explicit Subprocess(std::vector<std::string> args) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(),
                      environ) != 0) {
      pid_ = 0;
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_ = ::fdopen(fds[0], "r");
  }
  ~Subprocess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) ::fclose(out_);
  }
  bool started() const { return pid_ > 0; }
  // Next stdout line ("" at EOF); blocks.
  std::string ReadLine() {
    char buf[1024];
    if (out_ == nullptr || std::fgets(buf, sizeof(buf), out_) == nullptr) {
      return "";
    }
    return buf;
  }
  // Sends `signal` and waits; returns the exit code (-signal if killed).
  int Stop(int signal = SIGTERM) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

 private:
  pid_t pid_ = 0;
  FILE* out_ = nullptr;
};

}  // namespace pcs::testing

#endif  // PCS_TESTS_CLIENT_SUBPROCESS_H_
