// apply_thread_sched as the kernel reports it back: the policy and priority
// (sched_getscheduler, sched_getparam), the thread's nice (getpriority by thread id), its CPUs
// (pthread_getaffinity_np) and RLIMIT_RTTIME. Raising priorities needs CAP_SYS_NICE:
// without it (not root) the test checks that each refusal is reported and skips the rest.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "host/thread_sched.h"

namespace gale::host {
namespace {

TEST(ThreadSched, WhatTheKernelReportsBack) {
  const rlimit saved = [] {
    rlimit r{};
    getrlimit(RLIMIT_RTTIME, &r);
    return r;
  }();
  std::vector<std::string> failed;
  int policy = -1, prio = -1, nice = 99, cpus = -1;
  bool on_cpu0 = false;
  std::thread t([&] {
    failed =
        apply_thread_sched({.rt_priority = 7, .nice = 3, .cpus = {0}, .rlimit_rttime_us = 20000});
    policy = sched_getscheduler(gettid());
    sched_param p{};
    sched_getparam(gettid(), &p);
    prio = p.sched_priority;
    errno = 0;
    nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    cpu_set_t set;
    CPU_ZERO(&set);
    pthread_getaffinity_np(pthread_self(), sizeof set, &set);
    cpus = CPU_COUNT(&set);
    on_cpu0 = CPU_ISSET(0, &set);
  });
  t.join();
  rlimit now{};
  getrlimit(RLIMIT_RTTIME, &now);
  setrlimit(RLIMIT_RTTIME, &saved);
  // Lowering priority (nice 3) and narrowing CPUs need no privilege.
  EXPECT_EQ(nice, 3);
  EXPECT_EQ(cpus, 1);
  EXPECT_TRUE(on_cpu0);
  if (geteuid() != 0) {
    EXPECT_FALSE(failed.empty()) << "SCHED_RR without CAP_SYS_NICE must be reported";
    GTEST_SKIP() << "not root: SCHED_RR not checked";
  }
  // A container without a real-time budget (cpu.rt_runtime_us 0) refuses even root.
  if (failed.size() == 1 && failed[0].starts_with("SCHED_RR") &&
      failed[0].ends_with(std::strerror(EPERM)))
    GTEST_SKIP() << "no real-time budget here: " << failed[0];
  EXPECT_TRUE(failed.empty()) << failed.front();
  EXPECT_EQ(policy, SCHED_RR | SCHED_RESET_ON_FORK) << "forked scripts run as normal processes";
  EXPECT_EQ(prio, 7);
  EXPECT_EQ(now.rlim_cur, 20000u);
  EXPECT_EQ(now.rlim_max, 20000u);
}

TEST(ThreadSched, AFailureIsReportedAndTheRestApplies) {
  std::vector<std::string> failed;
  int nice = 99;
  std::thread t([&] {
    // CPU 1023 does not exist here: the affinity fails; the nice still applies.
    failed = apply_thread_sched({.nice = 5, .cpus = {1023}});
    nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  });
  t.join();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].rfind("CPU affinity: ", 0), 0u) << failed[0];
  EXPECT_EQ(nice, 5);
}

}  // namespace
}  // namespace gale::host
