// track_file and track_process lines: that they name a track_file / vrrp_track_process
// of the config, keepalived's warnings about weights it ignores, and the resolution of
// each instance's lines (its own, then its sync group's) that galed runs.
#include <algorithm>
#include <string>
#include <vector>

#include "ctl/parse_blocks.h"
#include "ctl/parse_util.h"

namespace gale::ctl {

namespace {

template <typename T>
std::optional<size_t> index_of(const std::vector<T>& list, const std::string& name) {
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].name == name) return i;
  return std::nullopt;
}

bool group_has_owner(const Config& c, const VrrpSyncGroup& g) {
  for (const VrrpInstance& v : c.vrrp_instances)
    if (v.priority == 255 &&
        std::find(g.instances.begin(), g.instances.end(), v.name) != g.instances.end())
      return true;
  return false;
}

// keepalived's rule for an instance's own track_file lines in a sync group or at
// priority 255 (vrrp.c): weight 1 (the default) becomes 0, any other weight drops it.
std::optional<int32_t> own_file_weight(const Config& c, const VrrpInstance& vi, int32_t w) {
  if (!sync_group_of(c, vi.name) && vi.priority != 255) return w;
  if (w == 1) return 0;
  if (w != 0) return std::nullopt;
  return 0;
}

template <typename T>
std::vector<ResolvedTrack> resolve(const Config& c, const VrrpInstance& vi,
                                   const std::vector<T>& objects,
                                   const std::vector<TrackRef> VrrpInstance::*own,
                                   const std::vector<TrackRef> VrrpSyncGroup::*group, bool file) {
  std::vector<ResolvedTrack> out;
  const auto add = [&](const TrackRef& r, bool from_group, bool owner_group) {
    const auto i = index_of(objects, r.name);
    if (!i) return;
    ResolvedTrack t{.index = *i,
                    .weight = r.weight.value_or(objects[*i].weight),
                    .reverse = r.reverse.value_or(objects[*i].reverse)};
    if (!from_group && file) {
      const auto w = own_file_weight(c, vi, t.weight);
      if (!w) return;
      t.weight = *w;
    }
    if (from_group && owner_group) t.weight = 0;
    for (ResolvedTrack& o : out)
      if (o.index == t.index) {  // on the instance and its group: the group's weight
        if (o.weight != 0) o.weight = t.weight;
        return;
      }
    out.push_back(t);
  };
  for (const TrackRef& r : vi.*own)
    add(r, false, false);
  if (const VrrpSyncGroup* g = sync_group_of(c, vi.name)) {
    const bool owner = group_has_owner(c, *g);
    for (const TrackRef& r : g->*group)
      add(r, true, owner);
  }
  return out;
}

}  // namespace

std::vector<ResolvedTrack> resolved_track_files(const Config& c, const VrrpInstance& vi) {
  return resolve(c, vi, c.track_files, &VrrpInstance::track_files, &VrrpSyncGroup::track_files,
                 true);
}

std::vector<ResolvedTrack> resolved_track_processes(const Config& c, const VrrpInstance& vi) {
  return resolve(c, vi, c.track_processes, &VrrpInstance::track_processes,
                 &VrrpSyncGroup::track_processes, false);
}

namespace detail {

namespace {

template <typename T>
Expected<void> check_refs(const std::vector<TrackRef>& refs, const std::vector<T>& objects,
                          const std::string& who, std::string_view kind) {
  std::vector<std::string_view> names;
  for (const T& o : objects)
    names.push_back(o.name);
  for (const TrackRef& r : refs)
    if (!index_of(objects, r.name))
      return fail(to_string(r.where) + ": " + who + " tracks \"" + r.name + "\": no " +
                  std::string(kind) + " of that name" + did_you_mean(r.name, names) +
                  (names.empty()
                       ? " (define it at the top level: " + std::string(kind) + " NAME { ... })"
                       : ""));
  return {};
}

}  // namespace

Expected<void> check_tracks(const Config& c, std::vector<Warning>& warnings) {
  for (const VrrpInstance& v : c.vrrp_instances) {
    const std::string who = "vrrp_instance \"" + v.name + "\"";
    GALE_CTL_TRY(check_refs(v.track_files, c.track_files, who, "track_file"));
    GALE_CTL_TRY(check_refs(v.track_processes, c.track_processes, who, "vrrp_track_process"));
    const bool grouped = sync_group_of(c, v.name) != nullptr;
    if (!grouped && v.priority != 255) continue;
    for (const TrackRef& r : v.track_files) {
      const TrackFile& f = c.track_files[*index_of(c.track_files, r.name)];
      const int32_t w = r.weight.value_or(f.weight);
      if (w == 0) continue;
      const std::string why = grouped ? "it is in a vrrp_sync_group" : "it has priority 255";
      warnings.push_back(
          {.where = r.where,
           .message = w == 1 ? who + " tracks file \"" + r.name + "\" with weight 0, not 1: " +
                                   why + " (keepalived likewise; write weight 0)"
                             : who + " ignores track_file \"" + r.name + "\" (weight " +
                                   std::to_string(w) + "): " + why + ", as keepalived"});
    }
  }
  for (const VrrpSyncGroup& g : c.vrrp_sync_groups) {
    const std::string who = "vrrp_sync_group \"" + g.name + "\"";
    GALE_CTL_TRY(check_refs(g.track_files, c.track_files, who, "track_file"));
    GALE_CTL_TRY(check_refs(g.track_processes, c.track_processes, who, "vrrp_track_process"));
  }
  for (const TrackProcess& p : c.track_processes)
    if (!p.full_command && p.process.size() > 15)
      warnings.push_back({.where = p.where,
                          .message = "vrrp_track_process \"" + p.name + "\": process \"" +
                                     p.process +
                                     "\" is longer than a process name (comm, 15 characters) "
                                     "and never matches; add full_command to match argv[0]"});
  return {};
}

}  // namespace detail

}  // namespace gale::ctl
