#include "server/process_metrics.h"

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/metrics_registry.h"

namespace pcs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A fake /proc/<pid> folder: stat, limits and three fds.
fs::path FakeProcDir() {
  const fs::path dir = fs::path(::testing::TempDir()) /
                       ("pcs_fake_proc_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "fd");
  for (const char* fd : {"0", "1", "2"}) std::ofstream(dir / "fd" / fd) << "";
  // Fields 14/15 utime/stime = 250/150 ticks, 20 threads = 7,
  // 22 starttime = 1000 ticks, 23 vsize = 123456789, 24 rss = 100 pages.
  // The command name holds a space and a ')' to test the parsing.
  std::ofstream(dir / "stat")
      << "4242 (pcs server) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 "
         "0 0 20 0 7 0 1000 123456789 100 18446744073709551615 1 1 0 0 0 0 0 "
         "0 0 0 0 0 17 1 0 0 0 0 0\n";
  std::ofstream(dir / "limits")
      << "Limit                     Soft Limit           Hard Limit           "
         "Units     \n"
      << "Max cpu time              unlimited            unlimited            "
         "seconds   \n"
      << "Max open files            4096                 524288               "
         "files     \n";
  return dir;
}

TEST(ProcessMetricsTest, ReadsAFakeProcFolder) {
  const fs::path dir = FakeProcDir();
  const ProcessSample s = ReadProcessSample(dir.string());
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  ASSERT_TRUE(s.cpu_seconds.has_value());
  EXPECT_DOUBLE_EQ(*s.cpu_seconds, 400 / ticks);
  ASSERT_TRUE(s.threads.has_value());
  EXPECT_EQ(*s.threads, 7);
  ASSERT_TRUE(s.virtual_bytes.has_value());
  EXPECT_EQ(*s.virtual_bytes, 123456789);
  ASSERT_TRUE(s.resident_bytes.has_value());
  EXPECT_EQ(*s.resident_bytes, 100 * page);
  ASSERT_TRUE(s.open_fds.has_value());
  EXPECT_EQ(*s.open_fds, 3);
  ASSERT_TRUE(s.max_fds.has_value());
  EXPECT_EQ(*s.max_fds, 4096);
  // Start time = boot time (from the real /proc/stat) + 1000 ticks.
  ASSERT_TRUE(s.start_time_seconds.has_value());
  EXPECT_GT(*s.start_time_seconds, 1e9);
  fs::remove_all(dir);
}

TEST(ProcessMetricsTest, MissingFilesLeaveTheirMetricsOut) {
  const ProcessSample s = ReadProcessSample("/nonexistent/pcs-proc");
  EXPECT_FALSE(s.cpu_seconds.has_value());
  EXPECT_FALSE(s.open_fds.has_value());
  EXPECT_FALSE(s.max_fds.has_value());
  MetricsRegistry registry;
  registry.AddCollectable(
      std::make_shared<ProcessMetrics>("/nonexistent/pcs-proc"));
  EXPECT_THAT(registry.Render(), ::testing::Not(HasSubstr("process_")));
}

TEST(ProcessMetricsTest, ThisProcessOnTheMetricsPage) {
  const ProcessSample s = ReadProcessSample("/proc/self");
  ASSERT_TRUE(s.resident_bytes.has_value());
  EXPECT_GT(*s.resident_bytes, 0);
  ASSERT_TRUE(s.virtual_bytes.has_value());
  EXPECT_GE(*s.virtual_bytes, *s.resident_bytes);
  ASSERT_TRUE(s.open_fds.has_value());
  EXPECT_GE(*s.open_fds, 3);  // stdin, stdout, stderr at least
  ASSERT_TRUE(s.start_time_seconds.has_value());
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(*s.start_time_seconds, now + 1);
  EXPECT_GT(*s.start_time_seconds, now - 24 * 3600);

  MetricsRegistry registry;
  registry.AddCollectable(std::make_shared<ProcessMetrics>());
  const std::string page = registry.Render();
  for (const char* name :
       {"process_cpu_seconds_total", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_start_time_seconds",
        "process_open_fds", "process_max_fds", "process_threads"}) {
    EXPECT_THAT(page, HasSubstr(std::string("\n") + name + " ")) << page;
  }
  EXPECT_THAT(page, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
}

}  // namespace
}  // namespace pcs
