#include "ha/tracking.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

namespace gale::ha {

ScriptDamping::ScriptDamping(uint32_t rise, uint32_t fall, bool init_fail)
    : rise_(std::max(rise, 1u)), fall_(std::max(fall, 1u)) {
  if (init_fail) ok_ = false;
}

bool ScriptDamping::record(bool success) {
  if (!ok_.has_value()) {  // the first result decides at once (keepalived: "one success is enough")
    ok_ = success;
    run_ = 0;
    return true;
  }
  if (success == *ok_) {
    run_ = 0;
    return false;
  }
  if (++run_ < (success ? rise_ : fall_)) return false;
  ok_ = success;
  run_ = 0;
  return true;
}

ProcessQuorum::ProcessQuorum(uint32_t quorum, uint32_t quorum_max, Micros fork_delay,
                             Micros terminate_delay)
    : quorum_(quorum),
      quorum_max_(quorum_max),
      fork_delay_(fork_delay),
      terminate_delay_(terminate_delay) {}

bool ProcessQuorum::record(uint32_t count, Micros now) {
  const bool raw = count >= quorum_ && count <= quorum_max_;
  if (!up_ || (*up_ != raw && now >= due_)) {
    const bool changed = up_ != raw;
    up_ = raw;
    due_ = INT64_MAX;
    return changed;
  }
  if (*up_ == raw) {
    due_ = INT64_MAX;  // back before the delay ran out: nothing to report
    return false;
  }
  if (due_ != INT64_MAX) return false;  // already counting down
  const Micros delay = raw ? fork_delay_ : terminate_delay_;
  if (delay > 0) {
    due_ = now + delay;
    return false;
  }
  up_ = raw;
  return true;
}

bool process_matches(const ProcessMatch& m, std::string_view comm, std::string_view cmdline) {
  // The name: comm, or argv[0] (the command line up to its first NUL).
  std::string_view name = comm;
  std::string_view args;
  if (m.full_command) {
    const size_t end = cmdline.find('\0');
    name = cmdline.substr(0, end);
    args = end == std::string_view::npos ? std::string_view{} : cmdline.substr(end + 1);
  }
  if (name != m.name) return false;
  if (m.param_match == ParamMatch::none) return true;
  std::string want;  // the arguments as the kernel lays them out: each NUL-terminated
  for (const std::string& p : m.params) {
    want += p;
    want += '\0';
  }
  if (m.param_match == ParamMatch::exact) return args == want;
  if (args.size() < want.size()) return false;
  if (m.param_match == ParamMatch::partial) return args.starts_with(want);
  // initial: the last parameter's terminating NUL is not compared.
  if (!want.empty()) want.pop_back();
  return args.starts_with(want);
}

FileEffect file_effect(const TrackedFile& f) {
  if (f.weight == 0) return {.fault = (f.value != 0) != f.reverse};
  const int64_t points = std::clamp<int64_t>(f.value, INT32_MIN, int64_t{INT32_MAX} + 1) *
                         f.weight * (f.reverse ? -1 : 1);
  if (points <= -254) return {.fault = true};
  return {.delta = static_cast<int32_t>(std::min<int64_t>(points, 253))};
}

std::optional<int64_t> parse_track_file(std::string_view text) {
  const std::string buf(text.substr(0, 127));  // keepalived reads 127 bytes
  errno = 0;
  const long long v = std::strtoll(buf.c_str(), nullptr, 0);
  if (errno != 0 || v < INT32_MIN || v > int64_t{INT32_MAX} + 1) return std::nullopt;
  return v;
}

TrackVerdict evaluate(uint8_t configured, std::span<const Tracked> tracked,
                      std::span<const TrackedFile> files) {
  TrackVerdict v;
  int prio = configured;
  for (const TrackedFile& f : files) {
    const FileEffect e = file_effect(f);
    v.fault = v.fault || e.fault;
    prio += e.delta;
  }
  for (const Tracked& t : tracked) {
    if (!t.up) continue;
    if (t.weight == 0) {
      v.fault = v.fault || *t.up == t.reverse;  // reverse: FAULT while up
      continue;
    }
    // Positive weights count while up, negative while down; reverse flips the sign.
    if (t.weight > 0 && *t.up) prio += t.reverse ? -t.weight : t.weight;
    if (t.weight < 0 && !*t.up) prio += t.reverse ? -t.weight : t.weight;
  }
  v.priority = configured == 255 ? uint8_t{255} : static_cast<uint8_t>(std::clamp(prio, 1, 254));
  return v;
}

}  // namespace gale::ha
