#include "ha/tracking.h"

#include <algorithm>

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

TrackVerdict evaluate(uint8_t configured, std::span<const Tracked> tracked) {
  TrackVerdict v;
  int prio = configured;
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
