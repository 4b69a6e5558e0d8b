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
#include <ctime>
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

namespace {

// Whether any match counts the process in /proc/`pid` (`dir`), by its stat and, when a
// match needs it, its command line. Zombies never count.
std::vector<bool> which_match(const std::vector<ProcessMatch>& matches, const std::string& dir,
                              bool cmdline) {
  std::vector<bool> out(matches.size(), false);
  // comm is between the first '(' and the last ')' of stat; the state follows.
  const std::string stat = slurp(dir + "/stat", 512);
  const size_t open = stat.find('(');
  const size_t close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open ||
      close + 2 >= stat.size() || stat[close + 2] == 'Z')
    return out;
  const std::string_view comm(stat.data() + open + 1, close - open - 1);
  const std::string cmd = cmdline ? slurp(dir + "/cmdline", 4096) : std::string();
  for (size_t i = 0; i < matches.size(); ++i)
    out[i] = process_matches(matches[i], comm, cmd);
  return out;
}

bool needs_cmdline(const std::vector<ProcessMatch>& matches) {
  return std::any_of(matches.begin(), matches.end(),
                     [](const ProcessMatch& m) { return m.full_command; });
}

// count_processes, and the pids it counted.
std::vector<uint32_t> scan(const std::vector<ProcessMatch>& matches, std::set<int>* pids) {
  std::vector<uint32_t> counts(matches.size(), 0);
  if (pids) pids->clear();
  const bool cmdline = needs_cmdline(matches);
  DIR* proc = ::opendir("/proc");
  if (!proc) return counts;
  while (const dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    const std::vector<bool> hit = which_match(matches, std::string("/proc/") + e->d_name, cmdline);
    bool any = false;
    for (size_t i = 0; i < matches.size(); ++i)
      if (hit[i]) {
        ++counts[i];
        any = true;
      }
    if (any && pids) pids->insert(std::atoi(e->d_name));
  }
  ::closedir(proc);
  return counts;
}

Micros now_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Micros{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

// Event-driven scans come at most this often (a tracked server forking busily).
constexpr Micros kMinRescan = 100000;

}  // namespace

std::vector<uint32_t> count_processes(const std::vector<ProcessMatch>& matches) {
  return scan(matches, nullptr);
}

ProcessWatch::ProcessWatch(std::vector<ProcessMatch> matches, Micros interval)
    : matches_(std::move(matches)),
      interval_(interval),
      events_(ProcEvents::open()) {  // before the first scan: no change falls between
  std::set<int> pids;
  counts_ = scan(matches_, &pids);
  fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this, pids = std::move(pids)]() mutable { run(std::move(pids)); });
}

// Scans every interval; with the proc connector, also soon after an event that may
// change a count: a counted process exits or forks, or any process execs or renames
// itself into (or out of) a match.
void ProcessWatch::run(std::set<int> pids) {
  std::optional<ProcEvents>& events = events_;
  const bool cmdline = needs_cmdline(matches_);
  Micros last = now_us();
  Micros due = last + interval_;
  std::vector<uint32_t> published = counts_;
  for (;;) {
    pollfd p[2] = {{.fd = stop_fd_, .events = POLLIN, .revents = 0},
                   {.fd = events ? events->fd() : -1, .events = POLLIN, .revents = 0}};
    const Micros wait = std::max<Micros>(0, due - now_us());
    if (::poll(p, 2, static_cast<int>((wait + 999) / 1000)) < 0 && errno != EINTR) break;
    if (p[0].revents & POLLIN) break;
    if (p[1].revents & POLLIN) {
      bool relevant = false;
      const bool complete = events->drain([&](const ProcEvent& e) {
        if (relevant) return;
        switch (e.kind) {
          case ProcEvent::Kind::exit:
            relevant = pids.count(e.pid) > 0;
            break;
          case ProcEvent::Kind::fork:
            relevant = pids.count(e.parent) > 0;
            break;
          case ProcEvent::Kind::exec:
          case ProcEvent::Kind::comm: {
            const auto hit = which_match(matches_, "/proc/" + std::to_string(e.pid), cmdline);
            relevant =
                pids.count(e.pid) > 0 || std::find(hit.begin(), hit.end(), true) != hit.end();
            break;
          }
        }
      });
      if (!complete || relevant) due = std::min(due, last + kMinRescan);
    }
    const Micros now = now_us();
    if (now < due) continue;
    auto c = scan(matches_, &pids);
    last = now;
    due = now + interval_;
    if (c == published) continue;
    published = c;
    {
      std::lock_guard lock(mu_);
      counts_ = std::move(c);
    }
    const uint64_t one = 1;
    (void)!::write(fd_, &one, sizeof one);
  }
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
