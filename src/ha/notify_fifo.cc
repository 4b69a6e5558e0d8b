#include "ha/notify_fifo.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gale::ha {

std::string fifo_line(bool group, std::string_view name, VrrpState state, uint8_t priority) {
  const std::string s = state == VrrpState::init ? "STOP" : to_string(state);
  std::string line = group ? "GROUP \"" : "INSTANCE \"";
  line += name;
  line += "\" ";
  line += s;
  line += ' ';
  line += std::to_string(group ? 0 : priority);
  line += '\n';
  return line;
}

Expected<NotifyFifo> NotifyFifo::open(const std::string& path, std::optional<FifoOwner> owner) {
  bool created = false;
  if (::mkfifo(path.c_str(), S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH) == 0) {
    created = true;
    if (owner && ::chown(path.c_str(), owner->uid, owner->gid) != 0) {
      const int err = errno;
      ::unlink(path.c_str());
      return fail("notify fifo " + path + ": chown: " + std::strerror(err));
    }
  } else if (errno != EEXIST) {
    return fail("notify fifo " + path + ": " + std::strerror(errno));
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
  if (fd < 0) {
    const int err = errno;
    if (created) ::unlink(path.c_str());
    return fail("notify fifo " + path + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode) ||
      (st.st_uid != ::geteuid() && (!owner || st.st_uid != owner->uid))) {
    ::close(fd);
    if (created) ::unlink(path.c_str());
    return fail("notify fifo " + path + ": not a FIFO owned by galed or the FIFO's user");
  }
  return NotifyFifo(path, fd, created);
}

NotifyFifo::NotifyFifo(NotifyFifo&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), created_(o.created_), dropped_(o.dropped()) {
  o.fd_ = -1;
  o.created_ = false;
}

NotifyFifo::~NotifyFifo() {
  // Unlinked first, so that a reader reopening it on end of file cannot find it again.
  if (created_) ::unlink(path_.c_str());
  if (fd_ >= 0) ::close(fd_);
}

bool NotifyFifo::write(std::string_view line) {
  for (;;) {
    const ssize_t n = ::write(fd_, line.data(), line.size());
    if (n == static_cast<ssize_t>(line.size())) return true;
    if (n < 0 && errno == EINTR) continue;
    dropped_.fetch_add(
        1, std::memory_order_relaxed);  // EAGAIN: full (a short write cannot happen below PIPE_BUF)
    return false;
  }
}

}  // namespace gale::ha
