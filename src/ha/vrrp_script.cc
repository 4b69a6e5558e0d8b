#include "ha/vrrp_script.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "ctl/script.h"

namespace gale::ha {

VrrpScriptRun::~VrrpScriptRun() {
  if (pidfd_ < 0) return;
  ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
  siginfo_t info{};
  ::waitid(P_PIDFD, static_cast<id_t>(pidfd_), &info, WEXITED);  // killed: at once
  ::close(pidfd_);
}

Micros VrrpScriptRun::deadline() const {
  if (pidfd_ < 0) return next_;
  if (killed_) return INT64_MAX;  // its exit (the pidfd) ends it
  return started_ + (cfg_.timeout ? cfg_.timeout : cfg_.interval);
}

void VrrpScriptRun::kill_running() {
  ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
  killed_ = true;
}

std::optional<bool> VrrpScriptRun::poll(Micros now, std::string& error) {
  if (pidfd_ >= 0) {
    siginfo_t info{};
    if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_), &info, WEXITED | WNOHANG) == 0 &&
        info.si_pid != 0) {
      ::close(pidfd_);
      pidfd_ = -1;
      if (killed_) return std::nullopt;  // its failure was reported at the timeout
      return info.si_code == CLD_EXITED && info.si_status == 0;
    }
    if (killed_ || now < deadline()) return std::nullopt;
    kill_running();
    error = "timed out";
    return false;
  }
  if (now < next_) return std::nullopt;
  // The next run: one interval after this one started (later if this one overruns).
  started_ = now;
  next_ = now + cfg_.interval;
  killed_ = false;
  const int fd = ctl::spawn_script(cfg_.command, cfg_.user);
  if (fd < 0) {
    error = fd == -ESRCH ? "user " + cfg_.user + " does not exist"
                         : std::string("cannot start: ") + std::strerror(-fd);
    return false;
  }
  pidfd_ = fd;
  return std::nullopt;
}

}  // namespace gale::ha
