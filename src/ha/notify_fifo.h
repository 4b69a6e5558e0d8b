// keepalived's notify FIFO (global_defs notify_fifo / vrrp_notify_fifo): one line per
// VRRP state change, `INSTANCE "VI_1" MASTER 100` or `GROUP "G1" BACKUP 0`, written to
// a named pipe a reader (the notify_fifo_script, or anything else) consumes. The FIFO is
// opened read-write and non-blocking, as keepalived opens it: a write never blocks and
// never fails for want of a reader (lines wait in the pipe, 64 KiB of them); a full pipe
// drops the line, which is counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "ha/vrrp_machine.h"

namespace gale::ha {

// keepalived's line for a state change (vrrp_notify.c): TYPE "NAME" STATE PRIORITY, a
// group's priority 0. INIT, how a stopping instance ends, is STOP.
std::string fifo_line(bool group, std::string_view name, VrrpState state, uint8_t priority);

struct FifoOwner {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

class NotifyFifo {
 public:
  // Creates `path` (mode 0644 less the umask, chowned to `owner` when given) unless it
  // exists, then opens it; refuses a path that is not a FIFO, or one owned by someone
  // else than galed or `owner` (keepalived's check against a planted file).
  static Expected<NotifyFifo> open(const std::string& path, std::optional<FifoOwner> owner);
  NotifyFifo(NotifyFifo&& o) noexcept;
  NotifyFifo& operator=(NotifyFifo&&) = delete;
  ~NotifyFifo();  // closes (a reader sees end of file) and removes a FIFO it created

  const std::string& path() const { return path_; }
  // Writes `line` whole or not at all (a line of less than PIPE_BUF bytes is atomic).
  // False when the pipe is full: the line is dropped and counted.
  bool write(std::string_view line);
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  NotifyFifo(std::string path, int fd, bool created)
      : path_(std::move(path)), fd_(fd), created_(created) {}
  std::string path_;
  int fd_ = -1;
  bool created_ = false;
  std::atomic<uint64_t> dropped_ = 0;  // the VRRP thread and a reload may both write
};

}  // namespace gale::ha
