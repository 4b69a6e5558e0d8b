// The I/O around tracking, on a scratch directory: a track_file's value through inotify
// (written, renamed into place, deleted), processes counted from /proc, and the notify
// FIFO (keepalived's line format, created and removed, never blocking when full).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "ha/notify_fifo.h"
#include "ha/track_watch.h"

namespace gale::ha {
namespace {

struct ScratchDir {
  std::string path;
  ScratchDir() {
    char tmpl[] = "/tmp/gale-track-watch.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~ScratchDir() { (void)!std::system(("rm -rf " + path).c_str()); }
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// The changes inotify reports within a second.
std::vector<size_t> changes(FileWatch& w) {
  pollfd p{.fd = w.fd(), .events = POLLIN, .revents = 0};
  if (::poll(&p, 1, 1000) != 1) return {};
  return w.drain();
}

TEST(FileWatch, FollowsWritesRenamesAndDeletes) {
  ScratchDir d;
  const std::string f = d.path + "/prio";
  auto w = FileWatch::open(
      {{.name = "prio", .path = f}, {.name = "init", .path = d.path + "/i", .init_value = -7}});
  ASSERT_TRUE(w.has_value()) << w.error().message;
  EXPECT_EQ(w->value(0), 0);   // missing: 0
  EXPECT_EQ(w->value(1), -7);  // init_file wrote it
  write_file(f, "42\n");
  EXPECT_EQ(changes(*w), std::vector<size_t>{0});
  EXPECT_EQ(w->value(0), 42);
  write_file(d.path + "/next", "0x10");
  ASSERT_EQ(std::rename((d.path + "/next").c_str(), f.c_str()), 0);
  EXPECT_EQ(changes(*w), std::vector<size_t>{0});
  EXPECT_EQ(w->value(0), 16);
  write_file(f, "99999999999");  // out of range: the value is kept
  EXPECT_TRUE(changes(*w).empty());
  EXPECT_EQ(w->value(0), 16);
  ASSERT_EQ(::unlink(f.c_str()), 0);
  EXPECT_EQ(changes(*w), std::vector<size_t>{0});
  EXPECT_EQ(w->value(0), 0);
}

TEST(FileWatch, InitFileKeepsAnExistingFileUnlessOverwrite) {
  ScratchDir d;
  write_file(d.path + "/a", "5\n");
  write_file(d.path + "/b", "5\n");
  auto w = FileWatch::open(
      {{.name = "a", .path = d.path + "/a", .init_value = 1},
       {.name = "b", .path = d.path + "/b", .init_value = 2, .init_overwrite = true}});
  ASSERT_TRUE(w.has_value()) << w.error().message;
  EXPECT_EQ(w->value(0), 5);
  EXPECT_EQ(w->value(1), 2);
}

TEST(FileWatch, RefusesADirectoryThatDoesNotExist) {
  auto w = FileWatch::open({{.name = "x", .path = "/nonexistent-gale-dir/x"}});
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().message.find("track_file x: directory /nonexistent-gale-dir/"),
            std::string::npos)
      << w.error().message;
}

TEST(CountProcesses, CountsThisProcessByCommAndByArgv0) {
  std::ifstream in("/proc/self/cmdline");
  std::string argv0;
  std::getline(in, argv0, '\0');
  std::ifstream comm_in("/proc/self/comm");
  std::string comm;
  std::getline(comm_in, comm);
  const auto n = count_processes(
      {{.name = comm}, {.name = argv0, .full_command = true}, {.name = "no-such-process-gale"}});
  ASSERT_EQ(n.size(), 3u);
  EXPECT_GE(n[0], 1u);
  EXPECT_GE(n[1], 1u);
  EXPECT_EQ(n[2], 0u);
}

// With the kernel's process events (the initial network namespace, CAP_NET_ADMIN), a
// process that starts or ends is counted well before the next scan.
TEST(ProcessWatch, ProcessEventsHastenTheCount) {
  ScratchDir d;
  const std::string name = "gtw" + std::to_string(::getpid() % 100000);
  const std::string bin = d.path + "/" + name;
  ASSERT_EQ(std::system(("cp /bin/sleep " + bin).c_str()), 0);
  ProcessWatch w({{.name = name}}, /*interval=*/20 * 1000000);
  if (!w.has_events()) GTEST_SKIP() << "no process events here (a network namespace?)";
  EXPECT_EQ(w.counts(), std::vector<uint32_t>{0});
  const pid_t child = ::fork();
  if (child == 0) {
    ::execl(bin.c_str(), name.c_str(), "100", nullptr);
    ::_exit(127);
  }
  const auto count_within = [&w](uint32_t want, int ms) {
    pollfd p{.fd = w.fd(), .events = POLLIN, .revents = 0};
    for (int t = 0; t < ms; t += 10) {
      if (w.counts() == std::vector<uint32_t>{want}) return true;
      ::poll(&p, 1, 10);
    }
    return w.counts() == std::vector<uint32_t>{want};
  };
  EXPECT_TRUE(count_within(1, 2000));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(count_within(0, 2000));
}

TEST(NotifyFifo, KeepalivedsLineFormat) {
  EXPECT_EQ(fifo_line(false, "VI_1", VrrpState::master, 100), "INSTANCE \"VI_1\" MASTER 100\n");
  EXPECT_EQ(fifo_line(true, "G1", VrrpState::backup, 77), "GROUP \"G1\" BACKUP 0\n");
  EXPECT_EQ(fifo_line(false, "VI_1", VrrpState::fault, 150), "INSTANCE \"VI_1\" FAULT 150\n");
  EXPECT_EQ(fifo_line(false, "VI_1", VrrpState::init, 150), "INSTANCE \"VI_1\" STOP 150\n");
}

TEST(NotifyFifo, CreatedWrittenWithoutAReaderDropsWhenFullAndRemoved) {
  ScratchDir d;
  const std::string path = d.path + "/notify.fifo";
  {
    auto f = NotifyFifo::open(path, std::nullopt);
    ASSERT_TRUE(f.has_value()) << f.error().message;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_TRUE(f->write("INSTANCE \"VI_1\" MASTER 100\n"));  // no reader: it waits
    const int r = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(r, 0);
    char buf[64] = {};
    EXPECT_EQ(::read(r, buf, sizeof buf), 27);
    EXPECT_STREQ(buf, "INSTANCE \"VI_1\" MASTER 100\n");
    // Nobody reads: the pipe fills, and then lines are dropped, not waited for.
    const std::string line(100, 'x');
    size_t written = 0;
    while (f->write(line) && written < 100000)
      ++written;
    EXPECT_GT(written, 100u);
    EXPECT_EQ(f->dropped(), 1u);
    ::close(r);
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);  // removed: galed created it
}

TEST(NotifyFifo, RefusesAPathThatIsNotAFifo) {
  ScratchDir d;
  write_file(d.path + "/plain", "");
  auto f = NotifyFifo::open(d.path + "/plain", std::nullopt);
  ASSERT_FALSE(f.has_value());
  EXPECT_NE(f.error().message.find("not a FIFO"), std::string::npos) << f.error().message;
  EXPECT_EQ(::access((d.path + "/plain").c_str(), F_OK), 0);  // and leaves it alone
}

}  // namespace
}  // namespace gale::ha
