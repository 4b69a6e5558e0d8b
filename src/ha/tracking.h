// What tracking does to a VRRP instance, as keepalived does it (docs/ha.md, "Tracking"):
// a vrrp_script's results damped by rise and fall, a tracked process's count against its
// quorum (delayed by fork_delay / terminate_delay), and each tracked script, interface,
// process or file adding its weight (a file: its value times the weight) to the
// configured priority or putting the instance in FAULT. Pure: the engine feeds results
// in and applies the verdict to the machine.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ha/vrrp_machine.h"

namespace gale::ha {

// One vrrp_script's verdict from its exit statuses: `rise` successes in a row make a
// failed script OK, `fall` failures in a row make an OK one failed. Before its first
// result it is unknown (it neither adds nor faults) and that first result decides at
// once, unless init_fail: then it starts failed and needs `rise` successes.
class ScriptDamping {
 public:
  ScriptDamping(uint32_t rise, uint32_t fall, bool init_fail);
  // One exit status (a timeout is a failure). True when the verdict changed.
  bool record(bool success);
  std::optional<bool> ok() const { return ok_; }

 private:
  uint32_t rise_, fall_;
  uint32_t run_ = 0;  // results in a row against the verdict
  std::optional<bool> ok_;
};

// A tracked script or interface as one instance sees it.
struct Tracked {
  int32_t weight = 0;      // -253..253; 0: FAULT while down
  bool reverse = false;    // the adjustment (or the FAULT) applies the other way round
  std::optional<bool> up;  // unknown: no effect yet
};

// A vrrp_track_process's verdict from the number of matching processes: up while
// quorum <= count <= quorum_max. The first count (at start) decides at once; after that
// a change is reported `fork_delay` (gaining the quorum) or `terminate_delay` (losing
// it) later, and not at all if the count is back before then (keepalived's timers).
class ProcessQuorum {
 public:
  ProcessQuorum(uint32_t quorum, uint32_t quorum_max, Micros fork_delay, Micros terminate_delay);
  // A count seen at `now`. True when the verdict changed.
  bool record(uint32_t count, Micros now);
  // When a delayed change falls due (INT64_MAX: none pending); call record() again then.
  Micros deadline() const { return due_; }
  std::optional<bool> up() const { return up_; }

 private:
  uint32_t quorum_, quorum_max_;
  Micros fork_delay_, terminate_delay_;
  Micros due_ = INT64_MAX;
  std::optional<bool> up_;
};

// How vrrp_track_process matches a process (keepalived's track_process.c).
enum class ParamMatch : uint8_t {
  none,     // the name alone
  exact,    // the arguments are exactly `params`
  partial,  // the arguments start with `params`
  initial,  // ... the last of `params` only as a prefix of that argument
};

struct ProcessMatch {
  std::string name;                 // comm (at most 15 characters) or argv[0]
  std::vector<std::string> params;  // the arguments after it
  ParamMatch param_match = ParamMatch::none;
  bool full_command = false;  // match argv[0] of the command line, not comm
};

// Whether a process with this comm and command line (/proc/PID/cmdline: NUL-separated,
// each argument NUL-terminated) is one `m` counts.
bool process_matches(const ProcessMatch& m, std::string_view comm, std::string_view cmdline);

// A track_file as one instance sees it: the file's integer times weight (negated with
// reverse) is added to the priority; at -254 or below it is FAULT. Weight 0: a non-zero
// value is FAULT (reverse: a zero value).
struct TrackedFile {
  int64_t value = 0;  // what the file says (missing, empty or not a number: 0)
  int32_t weight = 1;
  bool reverse = false;
};

// What a track_file contributes: FAULT, or a number of priority points (-253..253).
struct FileEffect {
  bool fault = false;
  int32_t delta = 0;
};
FileEffect file_effect(const TrackedFile& f);

// A track_file's text as keepalived reads it: strtol's prefix (base 0: 0x.. hex, 0..
// octal), 0 when empty or not a number; nullopt (keep the previous value) when out of
// the int32 range.
std::optional<int64_t> parse_track_file(std::string_view text);

struct TrackVerdict {
  bool fault = false;
  uint8_t priority = 0;  // configured + the weights that apply, within 1..254
};

// keepalived's arithmetic: weight > 0 adds while up, weight < 0 subtracts while down
// (reverse: adds |w| while down, or subtracts w while up); weight 0 is FAULT while down
// (reverse: while up). Files add file_effect()'s points. The address owner's 255 never
// moves.
TrackVerdict evaluate(uint8_t configured, std::span<const Tracked> tracked,
                      std::span<const TrackedFile> files = {});

}  // namespace gale::ha
