#include "db/embedded_postgres.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pqxx/pqxx"

namespace pcs {
namespace {

namespace fs = std::filesystem;

// ---- Process-wide signal guard --------------------------------------------
// Fixed-size, lock-free tables so the handler only touches
// async-signal-safe state: kill(), access(), nanosleep(), sigaction(), raise().
constexpr int kMaxGuarded = 32;
constexpr int kPidFileMax = 512;
std::array<std::atomic<pid_t>, kMaxGuarded> g_pids{};
std::array<std::array<char, kPidFileMax>, kMaxGuarded> g_pid_files{};
constexpr std::array<int, 9> kGuardedSignals = {
    SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
std::array<struct sigaction, 9> g_old_actions{};
std::once_flag g_install_once;

bool IsFault(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL;
}

void GuardHandler(int sig) {
  const int saved_errno = errno;
  for (auto& pid : g_pids) {
    const pid_t p = pid.load();
    if (p > 0) kill(p, SIGINT);  // SIGINT = "fast" shutdown
  }
  // Wait (at most 10 s) until every postmaster removed its pid file.
  for (int tick = 0; tick < 1000; ++tick) {
    bool any = false;
    for (int i = 0; i < kMaxGuarded; ++i) {
      if (g_pids[i].load() > 0 && access(g_pid_files[i].data(), F_OK) == 0) {
        any = true;
      }
    }
    if (!any) break;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  for (size_t i = 0; i < kGuardedSignals.size(); ++i) {
    if (kGuardedSignals[i] == sig) sigaction(sig, &g_old_actions[i], nullptr);
  }
  errno = saved_errno;
  // A fault re-executes the faulting instruction under the old handler.
  if (!IsFault(sig)) raise(sig);
}

void InstallGuard() {
  std::call_once(g_install_once, [] {
    for (size_t i = 0; i < kGuardedSignals.size(); ++i) {
      struct sigaction action;
      std::memset(&action, 0, sizeof(action));
      action.sa_handler = GuardHandler;
      sigemptyset(&action.sa_mask);
      sigaction(kGuardedSignals[i], &action, &g_old_actions[i]);
    }
  });
}

int RegisterPostmaster(pid_t pid, const std::string& pid_file) {
  InstallGuard();
  for (int i = 0; i < kMaxGuarded; ++i) {
    pid_t expected = 0;
    if (g_pids[i].load() != 0) continue;
    std::snprintf(g_pid_files[i].data(), kPidFileMax, "%s", pid_file.c_str());
    if (g_pids[i].compare_exchange_strong(expected, pid)) return i;
  }
  return -1;  // table full: still stopped by Stop()/destructor
}

void UnregisterPostmaster(int slot) {
  if (slot >= 0) g_pids[slot].store(0);
}

// ---- Subprocesses
// ------------------------------------------------------------

bool RunningAsRoot() { return geteuid() == 0; }

// Runs argv (as user postgres when we are root), output appended to
// `log_path`. Returns an error with the tail of the log on failure.
absl::Status RunCommand(std::vector<std::string> argv,
                        const std::string& log_path) {
  if (RunningAsRoot()) {
    argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  }
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  const int log_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open ", log_path, ": ", std::strerror(errno)));
  }
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t child = fork();
  if (child == 0) {
    // Child: only async-signal-safe calls until exec. The server must not
    // inherit our pipes (ctest would wait for them), hence close_range.
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execvp(c_argv[0], c_argv.data());
    _exit(127);
  }
  close(log_fd);
  if (null_fd >= 0) close(null_fd);
  if (child < 0) {
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  std::ifstream in(log_path);
  std::stringstream text;
  text << in.rdbuf();
  std::string tail = text.str();
  if (tail.size() > 1500) tail = tail.substr(tail.size() - 1500);
  return absl::InternalError(
      absl::StrCat("'", absl::StrJoin(argv, " "), "' failed (status ", status,
                   "); output (", log_path, "):\n", tail));
}

absl::Status ChownToPostgres(const std::string& path) {
  if (!RunningAsRoot()) return absl::OkStatus();
  const struct passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    return absl::FailedPreconditionError(
        "running as root but there is no 'postgres' user to run the server "
        "(install the postgresql package)");
  }
  if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    return absl::InternalError(
        absl::StrCat("chown ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> MakeTempDir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  return pattern;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EmbeddedPostgres>> EmbeddedPostgres::Start(
    EmbeddedPostgresOptions options) {
  std::unique_ptr<EmbeddedPostgres> pg(
      new EmbeddedPostgres(std::move(options)));
  absl::Status status = pg->Init();
  if (status.ok()) status = pg->StartServer();
  if (status.ok()) status = pg->CreateDatabase();
  if (!status.ok()) {
    pg->Stop().IgnoreError();  // best effort; report the first error
    return absl::Status(status.code(),
                        absl::StrCat("embedded PostgreSQL failed to start: ",
                                     status.message()));
  }
  return pg;
}

EmbeddedPostgres::~EmbeddedPostgres() { Stop().IgnoreError(); }

absl::Status EmbeddedPostgres::Init() {
  if (options_.port == 0) {
    std::random_device rd;
    port_ = 20000 + static_cast<int>(rd() % 40000);
  } else {
    port_ = options_.port;
  }
  if (port_ == 5432) port_ = 5433;
  if (options_.root.empty()) {
    auto dir = MakeTempDir("pcs-pg-");
    if (!dir.ok()) return dir.status();
    root_ = *dir;
    owns_root_ = true;
  } else {
    std::error_code ec;
    root_ = fs::absolute(options_.root, ec).lexically_normal().string();
    fs::create_directories(root_, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot create ", root_, ": ", ec.message()));
    }
  }
  if (auto s = ChownToPostgres(root_); !s.ok()) return s;
  auto sock = MakeTempDir("pcs-sock-");
  if (!sock.ok()) return sock.status();
  socket_dir_ = *sock;
  if (auto s = ChownToPostgres(socket_dir_); !s.ok()) return s;
  data_dir_ = root_ + "/data";
  log_file_ = root_ + "/server.log";
  if (fs::exists(data_dir_ + "/PG_VERSION")) return absl::OkStatus();
  return InitDb();
}

absl::Status EmbeddedPostgres::InitDb() {
  const std::string init_log = root_ + "/initdb.log";
  if (auto s = RunCommand(
          {options_.bin_dir + "/initdb", "-D", data_dir_, "-U", "postgres",
           "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
          init_log);
      !s.ok()) {
    return s;
  }
  std::ofstream conf(data_dir_ + "/postgresql.conf", std::ios::app);
  conf << "\n# pcs embedded cluster (throwaway: not crash-safe)\n"
          "listen_addresses = ''\n"
          "fsync = off\n"
          "synchronous_commit = off\n"
          "full_page_writes = off\n"
          "max_wal_size = 2GB\n"
          "logging_collector = off\n";
  if (!conf) {
    return absl::InternalError(
        absl::StrCat("cannot write ", data_dir_, "/postgresql.conf"));
  }
  return absl::OkStatus();
}

absl::Status EmbeddedPostgres::StartServer() {
  const std::string pid_file = data_dir_ + "/postmaster.pid";
  if (fs::exists(pid_file)) {
    return absl::FailedPreconditionError(absl::StrCat(
        pid_file,
        " exists: another server may be running on this data folder "
        "(stop it with: runuser -u postgres -- ",
        options_.bin_dir, "/pg_ctl -D ", data_dir_, " stop -m fast)"));
  }
  if (auto s = RunCommand(
          {options_.bin_dir + "/pg_ctl", "-D", data_dir_, "-l", log_file_, "-w",
           "-t", std::to_string(options_.timeout_seconds), "-s", "-o",
           absl::StrCat("-k ", socket_dir_, " -p ", port_), "start"},
          root_ + "/pg_ctl.log");
      !s.ok()) {
    return s;
  }
  std::ifstream in(pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) {
    return absl::InternalError(absl::StrCat("cannot read pid from ", pid_file));
  }
  postmaster_pid_ = static_cast<pid_t>(pid);
  guard_slot_ = RegisterPostmaster(postmaster_pid_, pid_file);
  return absl::OkStatus();
}

absl::Status EmbeddedPostgres::CreateDatabase() {
  if (options_.database.empty() || options_.database == "postgres") {
    return absl::OkStatus();
  }
  try {
    pqxx::connection conn(ConnInfo("postgres"));
    pqxx::nontransaction tx(conn);
    const pqxx::result r = tx.exec_params(
        "SELECT 1 FROM pg_database WHERE datname = $1", options_.database);
    if (r.empty()) {
      tx.exec0("CREATE DATABASE " + tx.quote_name(options_.database));
    }
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(
        "creating database '", options_.database, "': ", e.what()));
  }
  return absl::OkStatus();
}

absl::Status EmbeddedPostgres::Stop() {
  absl::Status status;
  if (postmaster_pid_ != 0) {
    status = RunCommand(
        {options_.bin_dir + "/pg_ctl", "-D", data_dir_, "-m", "fast", "-w",
         "-t", std::to_string(options_.timeout_seconds), "-s", "stop"},
        root_ + "/pg_ctl.log");
    if (!status.ok() && !fs::exists(data_dir_ + "/postmaster.pid")) {
      status = absl::OkStatus();  // it was already gone
    }
    UnregisterPostmaster(guard_slot_);
    guard_slot_ = -1;
    postmaster_pid_ = 0;
  }
  std::error_code ec;
  if (!socket_dir_.empty()) fs::remove_all(socket_dir_, ec);
  socket_dir_.clear();
  if (owns_root_ && !root_.empty() && status.ok()) {
    fs::remove_all(root_, ec);
    root_.clear();
    owns_root_ = false;
  }
  return status;
}

std::string EmbeddedPostgres::ConnInfo(const std::string& database) const {
  return absl::StrCat("host=", socket_dir_, " port=", port_,
                      " user=postgres dbname=",
                      database.empty() ? options_.database : database);
}

}  // namespace pcs
