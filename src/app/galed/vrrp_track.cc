// galed's side of keepalived's track_file and vrrp_track_process (the lines each
// instance tracks, as indices into the engine's lists) and of its notify FIFOs (opened
// before the VRRP engine starts, written on its thread; docs/ha.md, "Notifications").
#include <algorithm>
#include <functional>

#include "app/galed/daemon.h"
#include "ctl/script_user.h"
#include "ha/engine.h"
#include "ha/sync_group.h"
#include "health/engine.h"

namespace gale::app {

// What of the config the track_files, vrrp_track_processes and FIFOs use, for
// vrrp_fingerprint.
void track_fingerprint(const ctl::Config& c, const std::function<void(const std::string&)>& add) {
  for (const ctl::TrackFile& t : c.track_files)
    add(t.name + " " + t.path + " " + std::to_string(t.weight) + (t.reverse ? " reverse" : ""));
  for (const ctl::TrackProcess& t : c.track_processes) {
    add(t.name + " " + t.process + " " + std::to_string(int(t.param_match)) + " " +
        std::to_string(t.full_command) + " " + std::to_string(t.weight) + " " +
        std::to_string(t.reverse) + " " + std::to_string(t.quorum) + " " +
        std::to_string(t.quorum_max) + " " + std::to_string(t.fork_delay_ms) + " " +
        std::to_string(t.terminate_delay_ms));
    for (const std::string& p : t.params)
      add(p);
  }
  for (const ctl::VrrpInstance& vi : c.vrrp_instances)
    for (const auto& list :
         {ctl::resolved_track_files(c, vi), ctl::resolved_track_processes(c, vi)})
      for (const ctl::ResolvedTrack& t : list)
        add(std::to_string(t.index) + " " + std::to_string(t.weight) + " " +
            std::to_string(t.reverse));
  for (const ctl::NotifyFifo* n : {&c.global.notify_fifo, &c.global.vrrp_notify_fifo})
    add(n->path + " " + n->owner + " " + n->script);
}

// config.h's ProcessParamMatch and tracking.h's ParamMatch name the same four rules.
static_assert(static_cast<int>(ctl::ProcessParamMatch::initial) ==
              static_cast<int>(ha::ParamMatch::initial));

// The track_files and vrrp_track_processes `vi` tracks (its own and its sync group's), as
// indices into the engine's lists (only what some instance tracks is watched).
void add_file_and_process_tracks(const ctl::Config& c, const ctl::VrrpInstance& vi,
                                 ha::EngineInstance& e, ha::EngineConfig& ec) {
  for (const ctl::ResolvedTrack& t : ctl::resolved_track_files(c, vi)) {
    const ctl::TrackFile& f = c.track_files[t.index];
    auto at = std::find_if(ec.files.begin(), ec.files.end(),
                           [&](const ha::WatchedFile& w) { return w.name == f.name; });
    if (at == ec.files.end())
      at = ec.files.insert(ec.files.end(), {.name = f.name,
                                            .path = f.path,
                                            .init_value = f.init_value,
                                            .init_overwrite = f.init_overwrite});
    e.tracks.push_back({.file = static_cast<size_t>(at - ec.files.begin()),
                        .weight = t.weight,
                        .reverse = t.reverse});
  }
  for (const ctl::ResolvedTrack& t : ctl::resolved_track_processes(c, vi)) {
    const ctl::TrackProcess& p = c.track_processes[t.index];
    auto at = std::find_if(ec.processes.begin(), ec.processes.end(),
                           [&](const ha::EngineProcess& x) { return x.name == p.name; });
    if (at == ec.processes.end())
      at = ec.processes.insert(ec.processes.end(),
                               {.name = p.name,
                                .match = {.name = p.process,
                                          .params = p.params,
                                          .param_match = static_cast<ha::ParamMatch>(p.param_match),
                                          .full_command = p.full_command},
                                .quorum = p.quorum,
                                .quorum_max = p.quorum_max,
                                .fork_delay = ha::Micros{p.fork_delay_ms} * 1000,
                                .terminate_delay = ha::Micros{p.terminate_delay_ms} * 1000});
    e.tracks.push_back({.process = static_cast<size_t>(at - ec.processes.begin()),
                        .weight = t.weight,
                        .reverse = t.reverse});
  }
}

// global_defs notify_fifo and vrrp_notify_fifo, each with its script (run with the
// FIFO's path as its last argument, as keepalived runs it). A FIFO that cannot be
// opened is logged and left out, as keepalived does.
void Daemon::open_vrrp_fifos(const ctl::Config& c) {
  for (const ctl::NotifyFifo* f : {&c.global.notify_fifo, &c.global.vrrp_notify_fifo}) {
    if (f->path.empty()) continue;
    std::optional<ha::FifoOwner> owner;
    if (auto who = ctl::resolve_script_user(f->owner); who && *who)
      owner = ha::FifoOwner{.uid = (*who)->uid, .gid = (*who)->gid};
    auto fifo = ha::NotifyFifo::open(f->path, owner);
    if (!fifo) {
      log("vrrp: " + fifo.error().message);
      continue;
    }
    if (!f->script.empty() && health_) {
      std::string quoted = "'";
      for (char ch : f->path)
        quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
      health_->run_script(f->script + " " + quoted + "'", c.global.script_user);
    }
    vrrp_fifos_.push_back(std::move(*fifo));
  }
}

// keepalived writes the groups' lines, then the instances'.
void Daemon::vrrp_states_to_fifos() {
  if (!vrrp_ || vrrp_fifos_.empty()) return;
  const std::vector<ha::InstanceStatus> now = vrrp_->status();
  std::vector<std::string> lines;
  for (const VrrpNotify& n : vrrp_notify_) {
    if (!n.group) continue;
    std::vector<ha::VrrpState> states;
    for (const ha::InstanceStatus& s : now)
      if (std::find(n.members.begin(), n.members.end(), s.name) != n.members.end())
        states.push_back(s.state);
    if (const auto g = ha::group_state(states)) lines.push_back(ha::fifo_line(true, n.name, *g, 0));
  }
  for (const ha::InstanceStatus& s : now)
    lines.push_back(ha::fifo_line(false, s.name, s.state, s.priority));
  for (ha::NotifyFifo& f : vrrp_fifos_)
    for (const std::string& l : lines)
      (void)f.write(l);
}

// gale_vrrp_notify_fifo_dropped_total per FIFO (none without one). On the daemon's loop,
// which alone opens and closes them; the VRRP thread only counts.
std::string Daemon::fifo_metrics() const {
  if (vrrp_fifos_.empty()) return "";
  std::string out =
      "# HELP gale_vrrp_notify_fifo_dropped_total Lines not written to a notify FIFO "
      "because it was full.\n# TYPE gale_vrrp_notify_fifo_dropped_total counter\n";
  for (const ha::NotifyFifo& f : vrrp_fifos_) {
    std::string label;
    for (char ch : f.path()) {
      if (ch == '\\' || ch == '"') label += '\\';
      label += ch == '\n' ? std::string("\\n") : std::string(1, ch);
    }
    out += "gale_vrrp_notify_fifo_dropped_total{fifo=\"" + label + "\"} " +
           std::to_string(f.dropped()) + "\n";
  }
  return out;
}

}  // namespace gale::app
