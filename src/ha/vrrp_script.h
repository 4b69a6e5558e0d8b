// One vrrp_script run periodically on the VRRP engine's thread without ever blocking it:
// spawned in the background (ctl::spawn_script: /bin/sh -c, as its user), its exit watched
// through a pidfd the engine polls, killed at its timeout (a failure). The damping of the
// results and what they do to instances are tracking.h's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ha/vrrp_machine.h"

namespace gale::ha {

struct VrrpScriptConfig {
  std::string name;
  std::string command;
  std::string user;  // "USER [GROUP]"; "": keepalived's default (ctl/script_user.h)
  Micros interval = 1000000;
  Micros timeout = 0;  // 0: the interval
  uint32_t rise = 1;
  uint32_t fall = 1;
  bool init_fail = false;
};

class VrrpScriptRun {
 public:
  explicit VrrpScriptRun(VrrpScriptConfig c) : cfg_(std::move(c)) {}
  ~VrrpScriptRun();  // kills a run in progress
  VrrpScriptRun(const VrrpScriptRun&) = delete;
  VrrpScriptRun& operator=(const VrrpScriptRun&) = delete;

  const VrrpScriptConfig& config() const { return cfg_; }
  int fd() const { return pidfd_; }  // the running script's pidfd (-1: none)
  Micros deadline() const;           // the next start, or the running one's timeout
  // Starts a run that is due, reaps one that exited, kills one past its timeout. The
  // result of a run that ended now (exit status 0: true), else nothing. `error` says why
  // a run could not start (that run counts as a failure).
  std::optional<bool> poll(Micros now, std::string& error);

 private:
  void kill_running();

  VrrpScriptConfig cfg_;
  int pidfd_ = -1;
  bool killed_ = false;  // timed out: its exit is reaped, not reported
  Micros started_ = 0;
  Micros next_ = 0;  // the next start
};

}  // namespace gale::ha
