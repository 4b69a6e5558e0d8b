#include "ha/engine.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>

namespace gale::ha {

namespace {

Micros now_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Micros{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

struct Engine::Loop {
  struct Running {
    EngineInstance cfg;
    std::optional<VrrpInstance> inst;
    Micros garp_again = INT64_MAX;  // the delayed round of gratuitous ARPs
  };
  OnChange on_change;
  BeforeMaster before_master;
  std::vector<std::unique_ptr<Running>> running;
  int wake = -1;
  std::thread thread;
  mutable std::mutex mu;  // guards the status copy
  std::vector<InstanceStatus> status;

  // The VIP work of a state change, then the owner's callback.
  void changed(Running& r, VrrpState s) {
    std::string err;
    const bool master = s == VrrpState::master;
    if (master && before_master) before_master(r.cfg.vrrp.name);
    for (const Vip& v : r.cfg.vips) {
      auto res = master ? add_vip(v) : remove_vip(v);
      if (res && master && v.addr.is_v4()) res = send_garp(v, r.cfg.garp_repeat);
      if (!res && err.empty()) err = res.error().message;
    }
    r.garp_again =
        master && r.cfg.garp_master_delay ? now_us() + r.cfg.garp_master_delay : INT64_MAX;
    if (on_change) on_change(r.cfg.vrrp.name, s, err);
  }

  void publish() {
    std::lock_guard lock(mu);
    for (size_t i = 0; i < running.size(); ++i)
      status[i] = {.name = running[i]->cfg.vrrp.name,
                   .state = running[i]->inst->state(),
                   .counters = running[i]->inst->counters()};
  }

  void run() {
    for (auto& r : running)
      r->inst->start(now_us());
    publish();
    for (;;) {
      std::vector<pollfd> fds{{.fd = wake, .events = POLLIN}};
      Micros next = INT64_MAX;
      for (auto& r : running) {
        fds.push_back({.fd = r->inst->fd(), .events = POLLIN});
        next = std::min({next, r->inst->deadline(), r->garp_again});
      }
      const Micros wait = next == INT64_MAX ? 1000000 : next - now_us();
      const int ms = static_cast<int>(std::clamp<Micros>((wait + 999) / 1000, 0, 1000));
      if (poll(fds.data(), fds.size(), ms) < 0) continue;
      if (fds[0].revents & POLLIN) break;
      const Micros now = now_us();
      for (size_t i = 0; i < running.size(); ++i) {
        Running& r = *running[i];
        if (fds[i + 1].revents & POLLIN) r.inst->on_readable(now);
        if (now >= r.inst->deadline()) r.inst->on_timer(now);
        if (now >= r.garp_again) {
          r.garp_again = INT64_MAX;
          for (const Vip& v : r.cfg.vips)
            if (v.addr.is_v4()) (void)send_garp(v, r.cfg.garp_repeat);
        }
      }
      publish();
    }
    const Micros now = now_us();
    for (auto& r : running)
      r->inst->stop(now);  // priority 0 from a MASTER; the callback removes the VIPs
    publish();
  }
};

Engine::Engine(OnChange on_change, BeforeMaster before_master) : loop_(std::make_unique<Loop>()) {
  loop_->on_change = std::move(on_change);
  loop_->before_master = std::move(before_master);
}

Engine::~Engine() {
  stop();
}

Expected<void> Engine::start(std::vector<EngineInstance> instances) {
  if (loop_->thread.joinable()) return fail("VRRP engine already started");
  Loop& l = *loop_;
  for (EngineInstance& e : instances) {
    auto r = std::make_unique<Loop::Running>();
    r->cfg = std::move(e);
    Loop::Running* raw = r.get();
    auto inst = VrrpInstance::open(raw->cfg.vrrp, [&l, raw](VrrpState s) { l.changed(*raw, s); });
    if (!inst) return fail(inst.error().message);
    r->inst.emplace(std::move(*inst));
    l.running.push_back(std::move(r));
  }
  l.status.resize(l.running.size());
  l.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (l.wake < 0) return fail("VRRP engine: eventfd failed");
  l.thread = std::thread([&l] { l.run(); });
  return {};
}

void Engine::stop() {
  if (!loop_->thread.joinable()) return;
  const uint64_t one = 1;
  (void)!::write(loop_->wake, &one, sizeof one);
  loop_->thread.join();
  ::close(loop_->wake);
  loop_->wake = -1;
}

std::vector<InstanceStatus> Engine::status() const {
  std::lock_guard lock(loop_->mu);
  return loop_->status;
}

}  // namespace gale::ha
