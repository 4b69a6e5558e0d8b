// The calling thread's scheduling, as keepalived sets its VRRP process's with
// global_defs' vrrp_rt_priority (SCHED_RR), vrrp_priority (nice), vrrp_cpu_affinity and
// vrrp_rlimit_rttime: so that adverts and takeovers keep their centisecond timing while
// the dataplane's workers keep every core busy.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gale::host {

struct ThreadSched {
  // SCHED_RR at this priority (1-99), reset to the default policy in what the thread
  // forks; 0: the default policy.
  int rt_priority = 0;
  std::optional<int> nice;  // -20..19 (the thread's own, Linux's per-thread nice)
  std::vector<int> cpus;    // the CPUs it may run on; empty: any
  // With rt_priority: RLIMIT_RTTIME in microseconds (the CPU time a real-time thread may
  // take without blocking before the kernel signals the process), keepalived's 10000 by
  // default; 0: left as it is.
  unsigned rlimit_rttime_us = 10000;
};

// Applies `s` to the calling thread: each setting that fails (no CAP_SYS_NICE, a CPU
// that does not exist) is a line of the result, the others still apply.
std::vector<std::string> apply_thread_sched(const ThreadSched& s);

}  // namespace gale::host
