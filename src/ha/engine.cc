#include "ha/engine.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "ha/sync_group.h"
#include "ha/tracking.h"
#include "host/link_watch.h"

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
    std::optional<Vmac> vmac;  // before inst: outlives its socket
    std::optional<VrrpInstance> inst;
    Micros garp_again = INT64_MAX;    // the delayed round of gratuitous ARPs
    Micros garp_refresh = INT64_MAX;  // the next refresh (garp_master_refresh)
    Micros lower_again = INT64_MAX;   // the delayed round after a lower priority was heard
    std::optional<size_t> group;      // its sync group
    bool own_fault = false;           // its own tracking says FAULT
  };
  struct Script {
    std::unique_ptr<VrrpScriptRun> run;
    ScriptDamping damping;
  };
  struct Group {
    EngineSyncGroup cfg;
    std::optional<VrrpState> state;  // as last told
  };
  struct Process {
    EngineProcess cfg;
    ProcessQuorum quorum;
    uint32_t count = 0;  // as last scanned
  };
  OnChange on_change;
  BeforeMaster before_master;
  OnLog on_log;
  std::vector<std::unique_ptr<Running>> running;
  std::vector<Script> scripts;
  std::vector<Group> groups;
  std::optional<host::LinkWatch> links_watch;
  std::optional<host::Rtnetlink> nl;  // virtual_routes' requests, opened at first use
  AnnounceQueue announces;            // gratuitous ARPs and NAs, paced per interface
  Announcer announcer;
  Micros announce_at = INT64_MAX;     // the next queued announcement due
  host::ThreadSched sched;            // applied by the thread itself
  std::map<std::string, bool> links;  // tracked links: running or not
  std::optional<FileWatch> files;
  std::vector<Process> processes;
  std::unique_ptr<ProcessWatch> process_watch;
  int wake = -1;
  std::thread thread;
  mutable std::mutex mu;  // guards the status copy
  std::vector<InstanceStatus> status;

  void log(const std::string& line) {
    if (on_log) on_log(line);
  }

  // Queues `count` announcements of every VIP of `r` (gratuitous ARPs or unsolicited
  // NAs) and sends what is due now (all of it unless vrrp_garp/gna_interval paces it).
  void announce(const Running& r, int count, std::string* err = nullptr) {
    announces.push(r.cfg.vips, count);
    flush_announces(now_us(), err);
  }
  // Sends the queued announcements that are due; the first failure goes to `err`, or to
  // the log.
  void flush_announces(Micros now, std::string* err = nullptr) {
    std::string first;
    announce_at = announces.run(now, [&](const Vip& v) {
      if (auto r = announcer.send(v); !r && first.empty()) first = r.error().message;
    });
    if (first.empty()) return;
    if (err && err->empty())
      *err = first;
    else if (!err)
      log(first);
  }

  // Adds (or removes) the instance's virtual_routes; the first failure goes to `err`.
  void route_all(const Running& r, bool add, std::string& err) {
    if (r.cfg.routes.empty()) return;
    if (!nl) {
      auto opened = host::Rtnetlink::open();
      if (!opened) {
        if (err.empty()) err = "virtual_routes: " + opened.error().message;
        return;
      }
      nl.emplace(std::move(*opened));
    }
    for (const host::RouteSpec& rt : r.cfg.routes) {
      auto res = add ? host::add_route(*nl, rt) : host::remove_route(*nl, rt);
      if (!res && err.empty()) err = res.error().message;
    }
  }

  // The VIP work of a state change, the owner's callback, then the sync group's moves.
  void changed(Running& r, VrrpState s) {
    std::string err;
    const bool master = s == VrrpState::master;
    if (master && before_master) before_master(r.cfg.vrrp.name);
    // Routes leave before the VIPs (a gateway may be reached through a VIP's subnet).
    if (!master) route_all(r, false, err);
    if (!master) announces.forget(r.cfg.vips);  // no longer ours to announce
    for (const Vip& v : r.cfg.vips) {
      auto res = master ? add_vip(v) : remove_vip(v);
      if (!res && err.empty()) err = res.error().message;
    }
    if (master) announce(r, r.cfg.garp_repeat, &err);
    if (master) route_all(r, true, err);
    r.garp_again =
        master && r.cfg.garp_master_delay ? now_us() + r.cfg.garp_master_delay : INT64_MAX;
    r.garp_refresh = master && r.cfg.garp_refresh ? now_us() + r.cfg.garp_refresh : INT64_MAX;
    if (!master) r.lower_again = INT64_MAX;
    if (on_change)
      on_change(
          {.name = r.cfg.vrrp.name, .state = s, .priority = r.inst->priority(), .error = err});
    if (!r.group) return;
    Group& g = groups[*r.group];
    const Micros now = now_us();
    for (size_t m : g.cfg.members) {
      Running& o = *running[m];
      if (&o == &r) continue;
      const SyncMove move = sync_move(s, o.inst->state());
      if (move == SyncMove::to_master) o.inst->sync_master(now);
      if (move == SyncMove::to_backup) o.inst->sync_backup(now);
    }
    std::vector<VrrpState> states;
    for (size_t m : g.cfg.members)
      states.push_back(running[m]->inst->state());
    const auto gs = group_state(states);
    if (gs && gs != g.state) {
      g.state = gs;
      if (on_change) on_change({.name = g.cfg.name, .group = true, .state = *gs});
    }
  }

  // Reads every tracked link; true when one changed.
  bool refresh_links() {
    bool changed = false;
    for (auto& [name, up] : links) {
      const bool now = host::link_running(name);
      if (now == up) continue;
      up = now;
      changed = true;
      log("link " + name + " is " + (now ? "up" : "down"));
    }
    return changed;
  }

  // Tracking's verdict on every instance: its priority, and FAULT (its own, or its sync
  // group's: any member's own FAULT is every member's).
  void retrack(Micros now) {
    std::vector<uint8_t> prio(running.size());
    for (size_t i = 0; i < running.size(); ++i) {
      Running& r = *running[i];
      std::vector<Tracked> tracked;
      std::vector<TrackedFile> tracked_files;
      for (const EngineTrack& t : r.cfg.tracks) {
        if (t.file) {
          tracked_files.push_back(
              {.value = files->value(*t.file), .weight = t.weight, .reverse = t.reverse});
          continue;
        }
        tracked.push_back({.weight = t.weight,
                           .reverse = t.reverse,
                           .up = t.script    ? scripts[*t.script].damping.ok()
                                 : t.process ? processes[*t.process].quorum.up()
                                             : std::optional<bool>(links[t.ifname])});
      }
      const TrackVerdict v = evaluate(r.cfg.vrrp.machine.priority, tracked, tracked_files);
      r.own_fault = v.fault;
      prio[i] = v.priority;
    }
    for (size_t i = 0; i < running.size(); ++i) {
      Running& r = *running[i];
      bool fault = r.own_fault;
      if (r.group)
        for (size_t m : groups[*r.group].cfg.members)
          fault = fault || running[m]->own_fault;
      if (prio[i] != r.inst->priority() && r.inst->state() != VrrpState::init)
        log("(" + r.cfg.vrrp.name + ") effective priority " + std::to_string(prio[i]));
      r.inst->set_priority(prio[i], now);
      r.inst->set_fault(fault, now);
    }
  }

  // Runs what is due of every script; true when a verdict changed.
  bool run_scripts(Micros now, const std::vector<bool>& readable) {
    bool changed = false;
    for (size_t i = 0; i < scripts.size(); ++i) {
      Script& s = scripts[i];
      if (!readable[i] && now < s.run->deadline()) continue;
      std::string err;
      const auto result = s.run->poll(now, err);
      const std::string& name = s.run->config().name;
      if (!err.empty()) log("VRRP_Script(" + name + ") " + err);
      if (!result || !s.damping.record(*result)) continue;
      log("VRRP_Script(" + name + ") " + (*s.damping.ok() ? "succeeded" : "failed"));
      changed = true;
    }
    return changed;
  }

  // Takes the tracked files' changes; true when one changed.
  bool read_files() {
    bool changed = false;
    for (size_t i : files->drain()) {
      log("track_file " + files->file(i).name + " is now " + std::to_string(files->value(i)));
      changed = true;
    }
    return changed;
  }

  // Records the processes' counts (a new scan, or a delay that ran out); true when a
  // quorum verdict changed.
  bool tally_processes(Micros now, bool scanned) {
    if (scanned) {
      const std::vector<uint32_t> counts = process_watch->counts();
      for (size_t i = 0; i < processes.size() && i < counts.size(); ++i)
        processes[i].count = counts[i];
    }
    bool changed = false;
    for (Process& p : processes) {
      if (!scanned && now < p.quorum.deadline()) continue;
      if (!p.quorum.record(p.count, now)) continue;
      log(std::string("Quorum ") + (*p.quorum.up() ? "gained" : "lost") + " for tracked process " +
          p.cfg.name + " (" + std::to_string(p.count) + " running)");
      changed = true;
    }
    return changed;
  }

  void publish() {
    std::lock_guard lock(mu);
    for (size_t i = 0; i < running.size(); ++i) {
      const Running& r = *running[i];
      status[i] = {.name = r.cfg.vrrp.name,
                   .state = r.inst->state(),
                   .priority = r.inst->priority(),
                   .configured_priority = r.cfg.vrrp.machine.priority,
                   .vips = r.cfg.vrrp.vips,
                   .counters = r.inst->counters()};
    }
  }

  void run() {
    pthread_setname_np(pthread_self(), "gale-vrrp");
    if (sched.rt_priority || sched.nice || !sched.cpus.empty()) {
      const std::vector<std::string> failed = host::apply_thread_sched(sched);
      for (const std::string& f : failed)
        log("scheduling not applied: " + f);
      if (failed.empty())
        log("scheduling: " +
            (sched.rt_priority ? "SCHED_RR priority " + std::to_string(sched.rt_priority)
                               : std::string("default policy")) +
            (sched.nice ? ", nice " + std::to_string(*sched.nice) : "") +
            (sched.cpus.empty() ? "" : ", " + std::to_string(sched.cpus.size()) + " CPU(s)"));
    }
    refresh_links();
    if (process_watch) {
      log(std::string("vrrp_track_process: /proc counted every second") +
          (process_watch->has_events()
               ? " and at the kernel's process events"
               : " (no process events here: not the initial network namespace, or no "
                 "CAP_NET_ADMIN)"));
      tally_processes(now_us(), true);
    }
    retrack(now_us());  // before start: a failed link starts its instance in FAULT
    for (auto& r : running)
      r->inst->start(now_us());
    publish();
    for (;;) {
      std::vector<pollfd> fds{{.fd = wake, .events = POLLIN}};
      Micros next = INT64_MAX;
      for (auto& r : running) {
        fds.push_back({.fd = r->inst->fd(), .events = POLLIN});
        next =
            std::min({next, r->inst->deadline(), r->garp_again, r->garp_refresh, r->lower_again});
      }
      next = std::min(next, announce_at);
      const size_t link_at = fds.size();
      fds.push_back({.fd = links_watch ? links_watch->fd() : -1, .events = POLLIN});
      const size_t files_at = fds.size();
      fds.push_back({.fd = files ? files->fd() : -1, .events = POLLIN});
      fds.push_back({.fd = process_watch ? process_watch->fd() : -1, .events = POLLIN});
      for (const Process& p : processes)
        next = std::min(next, p.quorum.deadline());
      const size_t scripts_at = fds.size();
      for (Script& s : scripts) {
        fds.push_back({.fd = s.run->fd(), .events = POLLIN});  // -1: ignored by poll
        next = std::min(next, s.run->deadline());
      }
      const Micros wait = next == INT64_MAX ? 1000000 : next - now_us();
      const int ms = static_cast<int>(std::clamp<Micros>((wait + 999) / 1000, 0, 1000));
      if (poll(fds.data(), fds.size(), ms) < 0) continue;
      if (fds[0].revents & POLLIN) break;
      const Micros now = now_us();
      for (size_t i = 0; i < running.size(); ++i) {
        Running& r = *running[i];
        const uint64_t lower = r.inst->counters().heard_lower;
        if (fds[i + 1].revents & POLLIN) r.inst->on_readable(now);
        // A peer that took over while it could not hear us (a healed split): clients
        // that followed its ARPs are moved back (keepalived's garp_lower_prio_*).
        if (r.inst->counters().heard_lower != lower && r.inst->state() == VrrpState::master &&
            r.cfg.garp_lower_repeat > 0) {
          announce(r, r.cfg.garp_lower_repeat);
          if (r.cfg.garp_lower_delay) r.lower_again = now + r.cfg.garp_lower_delay;
        }
        if (now >= r.inst->deadline()) r.inst->on_timer(now);
        if (now >= r.garp_again) {
          r.garp_again = INT64_MAX;
          announce(r, r.cfg.garp_repeat);
        }
        if (now >= r.lower_again) {
          r.lower_again = INT64_MAX;
          announce(r, r.cfg.garp_lower_repeat);
        }
        if (now >= r.garp_refresh) {
          r.garp_refresh = now + r.cfg.garp_refresh;
          announce(r, r.cfg.garp_refresh_repeat);
        }
      }
      if (now >= announce_at) flush_announces(now);
      bool retrack_now = false;
      if ((fds[link_at].revents & POLLIN) && links_watch->drain()) retrack_now = refresh_links();
      std::vector<bool> readable(scripts.size());
      for (size_t i = 0; i < scripts.size(); ++i)
        readable[i] = fds[scripts_at + i].revents != 0;
      if (run_scripts(now, readable)) retrack_now = true;
      if ((fds[files_at].revents & POLLIN) && read_files()) retrack_now = true;
      if (process_watch && tally_processes(now, (fds[files_at + 1].revents & POLLIN) != 0))
        retrack_now = true;
      if (retrack_now) retrack(now);
      publish();
    }
    const Micros now = now_us();
    for (auto& r : running)
      r->inst->stop(now);  // priority 0 from a MASTER; the callback removes the VIPs
    publish();
  }
};

Engine::Engine(OnChange on_change, OnLog on_log, BeforeMaster before_master)
    : loop_(std::make_unique<Loop>()) {
  loop_->on_change = std::move(on_change);
  loop_->on_log = std::move(on_log);
  loop_->before_master = std::move(before_master);
}

Engine::~Engine() {
  stop();
}

Expected<void> Engine::start(EngineConfig config) {
  if (loop_->thread.joinable()) return fail("VRRP engine already started");
  Loop& l = *loop_;
  l.announces = AnnounceQueue(config.pacing);
  l.sched = config.sched;
  for (VrrpScriptConfig& s : config.scripts) {
    const ScriptDamping d(s.rise, s.fall, s.init_fail);
    l.scripts.push_back({.run = std::make_unique<VrrpScriptRun>(std::move(s)), .damping = d});
  }
  if (!config.files.empty()) {
    auto w = FileWatch::open(std::move(config.files));
    if (!w) return fail(w.error().message);
    l.files.emplace(std::move(*w));
  }
  std::vector<ProcessMatch> matches;
  for (EngineProcess& p : config.processes) {
    matches.push_back(p.match);
    const ProcessQuorum q(p.quorum, p.quorum_max, p.fork_delay, p.terminate_delay);
    l.processes.push_back({.cfg = std::move(p), .quorum = q});
  }
  if (!matches.empty())
    l.process_watch = std::make_unique<ProcessWatch>(std::move(matches), 1000000);
  for (EngineInstance& e : config.instances) {
    auto r = std::make_unique<Loop::Running>();
    r->cfg = std::move(e);
    for (const EngineTrack& t : r->cfg.tracks) {
      if ((t.script && *t.script >= l.scripts.size()) ||
          (t.file && (!l.files || *t.file >= l.files->count())) ||
          (t.process && *t.process >= l.processes.size()))
        return fail(r->cfg.vrrp.name + ": tracks something that does not exist");
      if (!t.script && !t.file && !t.process) l.links.emplace(t.ifname, true);
    }
    if (r->cfg.vmac) {
      auto v = Vmac::create(*r->cfg.vmac);
      if (!v) return fail(r->cfg.vrrp.name + ": " + v.error().message);
      r->vmac.emplace(std::move(*v));
    }
    Loop::Running* raw = r.get();
    auto inst = VrrpInstance::open(raw->cfg.vrrp, [&l, raw](VrrpState s) { l.changed(*raw, s); });
    if (!inst) return fail(inst.error().message);
    r->inst.emplace(std::move(*inst));
    l.running.push_back(std::move(r));
  }
  for (size_t g = 0; g < config.groups.size(); ++g) {
    for (size_t m : config.groups[g].members) {
      if (m >= l.running.size())
        return fail("sync group " + config.groups[g].name + ": no such member");
      l.running[m]->group = g;
    }
    l.groups.push_back({.cfg = std::move(config.groups[g])});
  }
  if (!l.links.empty()) {
    auto w = host::LinkWatch::open();
    if (!w) return fail("track_interface: " + w.error().message);
    l.links_watch.emplace(std::move(*w));
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
