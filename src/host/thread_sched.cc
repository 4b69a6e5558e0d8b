#include "host/thread_sched.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gale::host {

std::vector<std::string> apply_thread_sched(const ThreadSched& s) {
  std::vector<std::string> failed;
  const auto fail = [&failed](const std::string& what, int err) {
    failed.push_back(what + ": " + std::strerror(err));
  };
  if (s.rt_priority > 0) {
    if (s.rlimit_rttime_us > 0) {
      const rlimit lim{.rlim_cur = s.rlimit_rttime_us, .rlim_max = s.rlimit_rttime_us};
      if (setrlimit(RLIMIT_RTTIME, &lim) != 0)
        fail("RLIMIT_RTTIME " + std::to_string(s.rlimit_rttime_us) + " us", errno);
    }
    // SCHED_RESET_ON_FORK: the scripts it forks (vrrp_script, notify) run as normal
    // processes, not real-time ones under the RLIMIT_RTTIME cap.
    const sched_param p{.sched_priority = s.rt_priority};
    if (sched_setscheduler(gettid(), SCHED_RR | SCHED_RESET_ON_FORK, &p) != 0)
      fail("SCHED_RR priority " + std::to_string(s.rt_priority), errno);
  }
  // Linux's nice is per thread: PRIO_PROCESS with the thread's id.
  if (s.nice && setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), *s.nice) != 0)
    fail("nice " + std::to_string(*s.nice), errno);
  if (!s.cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : s.cpus)
      if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_SET(cpu, &set);
    if (const int e = pthread_setaffinity_np(pthread_self(), sizeof set, &set); e != 0)
      fail("CPU affinity", e);
  }
  return failed;
}

}  // namespace gale::host
