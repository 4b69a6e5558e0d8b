// The health engine: every checker of every real server, on one thread, event-driven
// (epoll; non-blocking sockets; MISC_CHECK and notify scripts watched through pidfds;
// deadlines in a min-heap), with keepalived's semantics:
//  - an attempt every delay_loop; warmup: the first one after a random delay up to it;
//  - an attempt has connect_timeout (MISC_CHECK: misc_timeout, else delay_loop) to end;
//  - a failure of an up checker is retried `retry` times, delay_before_retry apart,
//    before the checker goes down; a down checker is not retried;
//  - alpha: checkers start down (the server is reported down at once) until a success;
//  - a server is up only when all its checkers are; notify_up / notify_down run on its
//    transitions, in the background.
// Results go to the Report callback on the engine thread, after every attempt: the
// server's state (the receiver acts on changes) and that attempt's statistics.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "ctl/config.h"
#include "ctl/listing.h"
#include "ctl/model.h"

namespace gale::health {

using Report = std::function<void(const ctl::RealServerRef&, const ctl::HealthState&,
                                  const ctl::CheckStats& delta)>;

class Engine {
 public:
  explicit Engine(Report report);
  ~Engine();  // stops the thread, kills running MISC_CHECKs
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts the thread with the config's checkers (a second call acts as update()).
  void start(const ctl::Config& config);
  // A reload, from any thread: checkers whose settings are unchanged keep their state
  // and schedule; changed and new ones start afresh; removed ones stop.
  void update(const ctl::Config& config);
  // Stops the thread; with omega, the notify_down of every real server that is up runs
  // first (keepalived's omega at shutdown).
  void stop();
  // Runs a script in the background on the engine thread, as `user` (global_defs'
  // script_user), and reaps it (galed's quorum_up / quorum_down).
  void run_script(std::string command, std::string user);

  // The engine thread's CPU time so far (seconds), and attempts completed.
  double cpu_seconds() const;
  uint64_t attempts() const;

 private:
  struct Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace gale::health
