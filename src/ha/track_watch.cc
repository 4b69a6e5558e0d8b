#include "ha/track_watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace gale::ha {

namespace {

// Up to `max` bytes of a file ("" when it cannot be read).
std::string slurp(const std::string& path, size_t max) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out(max, '\0');
  size_t got = 0;
  while (got < max) {
    const ssize_t n = ::read(fd, out.data() + got, max - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

}  // namespace

Expected<FileWatch> FileWatch::open(std::vector<WatchedFile> files) {
  FileWatch w;
  w.fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (w.fd_ < 0) return fail(std::string("inotify: ") + std::strerror(errno));
  for (const WatchedFile& f : files) {
    const size_t slash = f.path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : f.path.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? f.path : f.path.substr(slash + 1);
    char real[PATH_MAX];
    if (!::realpath(dir.c_str(), real))
      return fail("track_file " + f.name + ": directory " + dir + ": " + std::strerror(errno));
    if (f.init_value) {
      struct stat st {};
      const bool exists = ::stat(f.path.c_str(), &st) == 0;
      if (!exists || (f.init_overwrite && S_ISREG(st.st_mode))) {
        const std::string text = std::to_string(*f.init_value) + "\n";
        const int fd = ::open(f.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
          return fail("track_file " + f.name + ": init_file " + f.path + ": " +
                      std::strerror(errno));
        ::close(fd);
      }
    }
    // The directory, as keepalived: the file may be replaced by a rename or not exist yet.
    const int wd = inotify_add_watch(w.fd_, real, IN_CLOSE_WRITE | IN_DELETE | IN_MOVE);
    if (wd < 0)
      return fail("track_file " + f.name + ": watching " + real + ": " + std::strerror(errno));
    w.wds_.push_back(wd);
    w.base_.push_back(base);
  }
  w.files_ = std::move(files);
  w.values_.assign(w.files_.size(), 0);
  for (size_t i = 0; i < w.files_.size(); ++i)
    w.reread(i);
  return w;
}

FileWatch::FileWatch(FileWatch&& o) noexcept
    : fd_(o.fd_),
      files_(std::move(o.files_)),
      wds_(std::move(o.wds_)),
      base_(std::move(o.base_)),
      values_(std::move(o.values_)) {
  o.fd_ = -1;
}

FileWatch::~FileWatch() {
  if (fd_ >= 0) ::close(fd_);
}

bool FileWatch::reread(size_t i) {
  const auto v = parse_track_file(slurp(files_[i].path, 127));
  if (!v || *v == values_[i]) return false;  // out of range: kept, as keepalived
  values_[i] = *v;
  return true;
}

std::vector<size_t> FileWatch::drain() {
  std::vector<size_t> changed;
  const auto mark = [&changed](size_t i) {
    if (std::find(changed.begin(), changed.end(), i) == changed.end()) changed.push_back(i);
  };
  alignas(inotify_event) char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) {  // events lost: read every file again
        for (size_t i = 0; i < files_.size(); ++i)
          if (reread(i)) mark(i);
        continue;
      }
      if ((ev->mask & IN_ISDIR) || ev->len == 0) continue;
      const std::string_view name(ev->name);
      for (size_t i = 0; i < files_.size(); ++i) {
        if (wds_[i] != ev->wd || base_[i] != name) continue;
        if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {  // gone: 0, as keepalived
          if (values_[i] != 0) mark(i);
          values_[i] = 0;
        } else if (reread(i)) {
          mark(i);
        }
      }
    }
  }
  return changed;
}

std::vector<uint32_t> count_processes(const std::vector<ProcessMatch>& matches) {
  std::vector<uint32_t> counts(matches.size(), 0);
  bool cmdline = false;
  for (const ProcessMatch& m : matches)
    cmdline = cmdline || m.full_command;
  DIR* proc = ::opendir("/proc");
  if (!proc) return counts;
  while (const dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    const std::string dir = std::string("/proc/") + e->d_name;
    // comm is between the first '(' and the last ')' of stat; the state follows.
    const std::string stat = slurp(dir + "/stat", 512);
    const size_t open = stat.find('(');
    const size_t close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open ||
        close + 2 >= stat.size())
      continue;
    if (stat[close + 2] == 'Z') continue;  // a zombie has ended
    const std::string_view comm(stat.data() + open + 1, close - open - 1);
    const std::string cmd = cmdline ? slurp(dir + "/cmdline", 4096) : std::string();
    for (size_t i = 0; i < matches.size(); ++i)
      if (process_matches(matches[i], comm, cmd)) ++counts[i];
  }
  ::closedir(proc);
  return counts;
}

ProcessWatch::ProcessWatch(std::vector<ProcessMatch> matches, Micros interval)
    : matches_(std::move(matches)), interval_(interval) {
  counts_ = count_processes(matches_);
  fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] {
    pollfd p{.fd = stop_fd_, .events = POLLIN, .revents = 0};
    while (::poll(&p, 1, static_cast<int>(interval_ / 1000)) == 0 || (p.revents & POLLIN) == 0) {
      auto c = count_processes(matches_);
      {
        std::lock_guard lock(mu_);
        counts_ = std::move(c);
      }
      const uint64_t one = 1;
      (void)!::write(fd_, &one, sizeof one);
    }
  });
}

ProcessWatch::~ProcessWatch() {
  const uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
  ::close(stop_fd_);
}

std::vector<uint32_t> ProcessWatch::counts() {
  uint64_t n = 0;
  (void)!::read(fd_, &n, sizeof n);
  std::lock_guard lock(mu_);
  return counts_;
}

}  // namespace gale::ha
