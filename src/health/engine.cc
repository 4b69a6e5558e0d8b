#include "health/engine.h"

#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <thread>

#include "ctl/script.h"
#include "health/plan.h"
#include "health/probe.h"

namespace gale::health {

namespace {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}
constexpr uint64_t kMs = 1000000;
constexpr uint64_t kWake = ~0ull;        // epoll tag of the command eventfd
constexpr uint64_t kChild = 1ull << 63;  // epoll tag bit of a pidfd being reaped

struct Checker {
  PlannedCheck plan;
  uint32_t server = 0;
  std::unique_ptr<Probe> probe;
  uint32_t seq = 0;  // bumped per attempt and per timer: older events and timers are stale
  int fd = -1;
  uint64_t started_ns = 0;
  bool up = true;
  bool has_run = false;
  uint32_t retry_it = 0;
  std::string reason;
  std::optional<uint32_t> weight;
  const std::string* server_key = nullptr;  // its Server's key in Loop::servers
};

struct Server {
  PlannedServer plan;  // checks moved out into Checkers
  std::vector<uint32_t> checkers;
  bool up = true;
};

struct Script {
  std::string command;
  std::string user;  // ctl/script_user.h
};

struct Timer {
  uint64_t at;
  uint32_t slot;
  uint32_t seq;
  bool operator>(const Timer& o) const { return at > o.at; }
};

}  // namespace

struct Engine::Loop {
  Report report;
  int ep = -1;
  int wake = -1;
  SSL_CTX* tls = nullptr;
  ProbeContext ctx;
  std::vector<std::unique_ptr<Checker>> checkers;  // by slot; null: free
  std::vector<uint32_t> free_slots;
  std::map<std::string, Server> servers;  // by PlannedServer::id
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
  std::mt19937_64 rng{std::random_device{}()};
  std::thread thread;
  std::atomic<uint64_t> attempts{0};
  // Commands from other threads.
  std::mutex mu;
  std::optional<std::vector<PlannedServer>> pending;
  std::vector<Script> scripts;
  bool stopping = false;

  Loop(Report r) : report(std::move(r)) {
    ep = epoll_create1(EPOLL_CLOEXEC);
    wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{.events = EPOLLIN, .data = {.u64 = kWake}};
    epoll_ctl(ep, EPOLL_CTL_ADD, wake, &ev);
    tls = SSL_CTX_new(TLS_client_method());
    // keepalived does not verify the server's certificate either; a server that just
    // closes (no close_notify) has still answered.
    SSL_CTX_set_verify(tls, SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_options(tls, SSL_OP_IGNORE_UNEXPECTED_EOF);
    ctx.tls = tls;
    ctx.adopt = [this](int pidfd) { watch_child(pidfd); };
  }
  ~Loop() {
    // The thread is gone: a MISC_CHECK killed now is reaped here (SIGKILL: at once).
    ctx.adopt = [](int pidfd) {
      siginfo_t info{};
      ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED);
      ::close(pidfd);
    };
    servers.clear();
    checkers.clear();  // kills running MISC_CHECKs (adopting their pidfds)
    if (tls) SSL_CTX_free(tls);
    ::close(wake);
    ::close(ep);
  }

  void watch_child(int pidfd) {
    epoll_event ev{.events = EPOLLIN, .data = {.u64 = kChild | static_cast<uint64_t>(pidfd)}};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ev) != 0) {
      siginfo_t info{};
      ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED);
      ::close(pidfd);
    }
  }
  void reap(int pidfd) {
    siginfo_t info{};
    if (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG) == 0 &&
        info.si_pid == 0)
      return;        // spurious: not exited yet
    ::close(pidfd);  // closing removes it from the epoll set
  }

  void arm(uint32_t slot, uint64_t at) {
    Checker& c = *checkers[slot];
    timers.push({.at = at, .slot = slot, .seq = ++c.seq});
  }

  // ---- the set of checkers ----

  void add_checker(Server& s, PlannedCheck plan) {
    uint32_t slot;
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
    } else {
      slot = static_cast<uint32_t>(checkers.size());
      checkers.emplace_back();
    }
    auto c = std::make_unique<Checker>();
    c->plan = std::move(plan);
    c->up = !c->plan.spec.alpha;  // an alpha checker starts failed
    const uint32_t warm = c->plan.spec.warmup_ms;
    checkers[slot] = std::move(c);
    s.checkers.push_back(slot);
    arm(slot, now_ns() + (warm ? rng() % (static_cast<uint64_t>(warm) * kMs) : 0));
  }

  void remove_checker(uint32_t slot) {
    checkers[slot].reset();
    free_slots.push_back(slot);
  }

  // The plan replaces the running set; unchanged checkers keep their state.
  void apply(std::vector<PlannedServer> plan) {
    std::map<std::string, Server> next;
    for (PlannedServer& ps : plan) {
      const std::string id = ps.id;
      auto old = servers.find(id);
      Server s;
      std::vector<PlannedCheck> checks = std::move(ps.checks);
      s.plan = std::move(ps);
      s.up = !s.plan.alpha;
      std::vector<uint32_t> kept_old;
      if (old != servers.end()) {
        s.up = old->second.up;
        kept_old = std::move(old->second.checkers);
        servers.erase(old);
      }
      for (PlannedCheck& pc : checks) {
        auto same = std::find_if(kept_old.begin(), kept_old.end(), [&](uint32_t slot) {
          return slot != UINT32_MAX && checkers[slot]->plan.id == pc.id;
        });
        if (same != kept_old.end()) {
          s.checkers.push_back(*same);
          *same = UINT32_MAX;
        } else {
          add_checker(s, std::move(pc));
        }
      }
      for (uint32_t slot : kept_old)
        if (slot != UINT32_MAX) remove_checker(slot);
      next.emplace(id, std::move(s));
    }
    for (auto& [id, s] : servers) {
      for (uint32_t slot : s.checkers)
        remove_checker(slot);
      // omega: a server that leaves the config while up is reported down by its script.
      if (s.plan.omega && s.up && !s.plan.notify_down.empty()) {
        const int pidfd = ctl::spawn_script(s.plan.notify_down, s.plan.script_user);
        if (pidfd >= 0) watch_child(pidfd);
      }
    }
    servers = std::move(next);
    // Every server's slot -> server link, and its state now (a removed down checker can
    // bring a server up; a new alpha server is down until checked).
    for (auto& [id, s] : servers) {
      for (uint32_t slot : s.checkers)
        checkers[slot]->server_key = &id;
      settle(s, {});
    }
  }

  // ---- attempts ----

  void begin(uint32_t slot) {
    Checker& c = *checkers[slot];
    c.started_ns = now_ns();
    const uint32_t limit_ms =
        c.plan.spec.kind == ctl::CheckKind::misc
            ? (c.plan.spec.misc_timeout_ms ? c.plan.spec.misc_timeout_ms : c.plan.delay_loop_ms)
            : c.plan.spec.connect_timeout_ms;
    arm(slot, c.started_ns + static_cast<uint64_t>(limit_ms) * kMs);
    c.fd = -1;
    c.probe = make_probe(c.plan, ctx);
    follow(slot, c.probe->start());
  }

  void follow(uint32_t slot, const Step& step) {
    Checker& c = *checkers[slot];
    if (step.done) return finish(slot, *step.done);
    epoll_event ev{.events = step.events,
                   .data = {.u64 = static_cast<uint64_t>(slot) << 32 | c.seq}};
    // The same fd number may be a new socket (the old one closed, so already out of the
    // set): MOD fails with ENOENT then, and ADD is right.
    if (step.fd == c.fd && epoll_ctl(ep, EPOLL_CTL_MOD, step.fd, &ev) == 0) return;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, step.fd, &ev) != 0 &&
        epoll_ctl(ep, EPOLL_CTL_MOD, step.fd, &ev) != 0)
      return finish(slot, {.up = false, .reason = "epoll_ctl failed"});
    c.fd = step.fd;
  }

  void finish(uint32_t slot, Verdict v) {
    Checker& c = *checkers[slot];
    const uint64_t now = now_ns();
    c.probe.reset();  // closes its sockets (they leave the epoll set)
    c.fd = -1;
    attempts.fetch_add(1, std::memory_order_relaxed);
    const uint64_t lat_us = (now - c.started_ns) / 1000;
    const ctl::CheckStats delta{.checks = 1,
                                .failures = v.up ? 0u : 1u,
                                .latency_us_sum = lat_us,
                                .last_latency_us = static_cast<uint32_t>(lat_us)};
    uint64_t next = now + static_cast<uint64_t>(c.plan.delay_loop_ms) * kMs;
    if (v.up) {
      c.up = true;
      c.retry_it = 0;
      c.reason.clear();
      c.weight = v.weight;
    } else if ((c.up || !c.has_run) && c.retry_it < c.plan.spec.retry) {
      ++c.retry_it;  // not down yet: keepalived retries an up checker first
      next = now + static_cast<uint64_t>(c.plan.spec.delay_before_retry_ms) * kMs;
    } else {
      c.up = false;
      c.retry_it = 0;
      c.reason = std::move(v.reason);
    }
    c.has_run = true;
    arm(slot, next);
    settle(servers.at(*c.server_key), delta);
  }

  // The server's state from its checkers; report it with this attempt's statistics, and
  // run notify_up / notify_down on a change.
  void settle(Server& s, const ctl::CheckStats& delta) {
    ctl::HealthState st;
    for (uint32_t slot : s.checkers) {
      const Checker& c = *checkers[slot];
      if (!c.up) {
        if (st.up) st.reason = c.reason.empty() ? "not checked yet (alpha)" : c.reason;
        st.up = false;
      }
      if (c.weight) st.weight = c.weight;
    }
    const bool changed = st.up != s.up;
    s.up = st.up;
    if (changed) {
      const std::string& script = st.up ? s.plan.notify_up : s.plan.notify_down;
      if (!script.empty()) {
        const int pidfd = ctl::spawn_script(script, s.plan.script_user);
        if (pidfd >= 0) watch_child(pidfd);
      }
    }
    if (!st.up) st.weight.reset();
    if (delta.checks == 0 && !changed && st.up) return;
    for (const ctl::RealServerRef& ref : s.plan.refs)
      report(ref, st, delta);
  }

  void on_timer(const Timer& t) {
    if (t.slot >= checkers.size() || !checkers[t.slot] || checkers[t.slot]->seq != t.seq) return;
    Checker& c = *checkers[t.slot];
    if (c.probe)
      finish(t.slot, c.probe->on_timeout());
    else
      begin(t.slot);
  }

  void on_event(uint64_t tag, uint32_t events) {
    const uint32_t slot = static_cast<uint32_t>(tag >> 32);
    if (slot >= checkers.size() || !checkers[slot]) return;
    Checker& c = *checkers[slot];
    if (c.seq != static_cast<uint32_t>(tag) || !c.probe) return;
    follow(slot, c.probe->on_ready(events));
  }

  void take_commands(bool& stop) {
    uint64_t n;
    while (::read(wake, &n, sizeof n) > 0) {
    }
    std::optional<std::vector<PlannedServer>> plan;
    std::vector<Script> run;
    {
      std::lock_guard lock(mu);
      plan.swap(pending);
      run.swap(scripts);
      stop = stopping;
    }
    if (stop)  // omega: the servers still up are reported down by their scripts
      for (const auto& [id, s] : servers)
        if (s.plan.omega && s.up && !s.plan.notify_down.empty())
          run.push_back({s.plan.notify_down, s.plan.script_user});
    for (const Script& script : run) {
      const int pidfd = ctl::spawn_script(script.command, script.user);
      if (pidfd < 0) continue;
      if (stop)
        ::close(pidfd);  // galed is exiting: the script outlives it
      else
        watch_child(pidfd);
    }
    if (plan && !stop) apply(std::move(*plan));
  }

  void run() {
    epoll_event evs[256];
    bool stop = false;
    take_commands(stop);
    while (!stop) {
      // Timers due now (and those they arm for now) first, then wait for the next.
      int timeout = -1;
      while (!timers.empty()) {
        const uint64_t now = now_ns();
        const Timer t = timers.top();
        if (t.at > now) {
          timeout = static_cast<int>((t.at - now + kMs - 1) / kMs);
          break;
        }
        timers.pop();
        on_timer(t);
      }
      const int n = epoll_wait(ep, evs, 256, timeout);
      for (int i = 0; i < n; ++i) {
        const uint64_t tag = evs[i].data.u64;
        if (tag == kWake)
          take_commands(stop);
        else if (tag & kChild)
          reap(static_cast<int>(tag & 0xffffffff));
        else
          on_event(tag, evs[i].events);
      }
    }
  }
};

Engine::Engine(Report report) : loop_(std::make_unique<Loop>(std::move(report))) {}

Engine::~Engine() {
  stop();
}

void Engine::start(const ctl::Config& config) {
  update(config);
  if (loop_->thread.joinable()) return;
  // SSL_write may write to a socket the server closed: a broken pipe is an error to
  // report, never a signal that kills galed.
  struct sigaction old {};
  sigaction(SIGPIPE, nullptr, &old);
  if (old.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
  loop_->thread = std::thread([l = loop_.get()] { l->run(); });
  pthread_setname_np(loop_->thread.native_handle(), "gale-health");
}

void Engine::update(const ctl::Config& config) {
  std::vector<PlannedServer> plan = plan_checks(config);
  {
    std::lock_guard lock(loop_->mu);
    loop_->pending = std::move(plan);
  }
  const uint64_t one = 1;
  (void)!::write(loop_->wake, &one, sizeof one);
}

void Engine::run_script(std::string command, std::string user) {
  {
    std::lock_guard lock(loop_->mu);
    loop_->scripts.push_back({std::move(command), std::move(user)});
  }
  const uint64_t one = 1;
  (void)!::write(loop_->wake, &one, sizeof one);
}

void Engine::stop() {
  if (!loop_->thread.joinable()) return;
  {
    std::lock_guard lock(loop_->mu);
    loop_->stopping = true;
  }
  const uint64_t one = 1;
  (void)!::write(loop_->wake, &one, sizeof one);
  loop_->thread.join();
}

double Engine::cpu_seconds() const {
  if (!loop_->thread.joinable()) return 0;
  clockid_t cid;
  if (pthread_getcpuclockid(const_cast<std::thread&>(loop_->thread).native_handle(), &cid) != 0)
    return 0;
  timespec ts;
  clock_gettime(cid, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

uint64_t Engine::attempts() const {
  return loop_->attempts.load(std::memory_order_relaxed);
}

}  // namespace gale::health
