// The kernel's process events (the proc connector, what keepalived's track_process.c
// follows): a process exec'd, changed its name, forked or exited. vrrp_track_process
// takes them as hints to count again at once instead of at its next /proc scan. The
// kernel delivers them only in the initial network namespace and to CAP_NET_ADMIN:
// open() says when they are not to be had (inside `ip netns exec` it is refused with
// ECONNREFUSED) and the scan alone then does the work.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

namespace gale::ha {

struct ProcEvent {
  enum class Kind : uint8_t { exec, comm, fork, exit };
  Kind kind = Kind::exec;
  int pid = 0;     // the process (a fork's child)
  int parent = 0;  // a fork's parent
};

class ProcEvents {
 public:
  static std::optional<ProcEvents> open();
  ProcEvents(ProcEvents&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ProcEvents& operator=(ProcEvents&&) = delete;
  ~ProcEvents();

  int fd() const { return fd_; }  // non-blocking
  // Hands every waiting event of a process (not of a thread) to `on`. False when some
  // were lost (the socket's buffer overflowed): anything may have changed.
  bool drain(const std::function<void(const ProcEvent&)>& on);

 private:
  explicit ProcEvents(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace gale::ha
