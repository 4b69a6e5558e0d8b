// What tracking does to a VRRP instance, as keepalived does it (docs/ha.md, "Tracking"):
// a vrrp_script's results damped by rise and fall, and each tracked script or interface
// adding its weight to the configured priority or, with weight 0, putting the instance
// in FAULT. Pure: the engine feeds results in and applies the verdict to the machine.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

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

struct TrackVerdict {
  bool fault = false;
  uint8_t priority = 0;  // configured + the weights that apply, within 1..254
};

// keepalived's arithmetic: weight > 0 adds while up, weight < 0 subtracts while down
// (reverse: adds |w| while down, or subtracts w while up); weight 0 is FAULT while down
// (reverse: while up). The address owner's 255 never moves.
TrackVerdict evaluate(uint8_t configured, std::span<const Tracked> tracked);

}  // namespace gale::ha
