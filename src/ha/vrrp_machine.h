// One virtual router's VRRP state machine (RFC 5798 section 6.4, keepalived's choices:
// docs/ha.md, "The protocol"). Pure: no sockets and no clock. The driver calls it with
// the time and does what the answer says; it calls on_timer() when now reaches
// deadline().
#pragma once

#include <cstdint>
#include <optional>

#include "net/addr.h"

namespace gale::ha {

enum class VrrpState : uint8_t { init, backup, master, fault };
const char* to_string(VrrpState s);  // "INIT", "BACKUP", "MASTER", "FAULT"

using Micros = int64_t;  // a monotonic time or a duration, in microseconds

struct VrrpConfig {
  uint8_t version = 2;
  uint8_t priority = 100;            // 1..255; 255: the address owner
  Micros advert_interval = 1000000;  // ours (v2: whole seconds)
  // Master_Down_Interval = down_timer_adverts x Master_Adver_Interval + Skew_Time: the
  // RFC's 3, or keepalived's down_timer_adverts (1-100).
  uint8_t down_timer_adverts = 3;
  bool preempt = true;        // false: nopreempt
  Micros preempt_delay = 0;   // no preemption this long after start
  bool start_master = false;  // `state MASTER`
  net::IpAddr primary;        // our address in the adverts' source: ties break on it
};

// What the driver must do, in this order: leave or take mastership (remove or add the
// VIPs, announce them, run notify scripts), then send an advertisement.
struct VrrpActions {
  std::optional<VrrpState> entered;      // the state changed to this
  std::optional<uint8_t> send_priority;  // send an advertisement with this priority
  // A MASTER heard a lower priority (a peer that took over while it could not hear us):
  // keepalived then re-announces the VIPs (garp_lower_prio_repeat).
  bool heard_lower = false;
};

class VrrpMachine {
 public:
  explicit VrrpMachine(const VrrpConfig& c);

  VrrpActions start(Micros now);
  // An advertisement that passed the receiver's checks (VRID, auth, v2 interval, TTL).
  // `interval`: the advertised one (v3), in microseconds.
  VrrpActions on_advert(uint8_t priority, Micros interval, const net::IpAddr& src, Micros now);
  VrrpActions on_timer(Micros now);
  // Tracking changed our priority (1..254; the owner's 255 is fixed).
  VrrpActions set_priority(uint8_t priority, Micros now);
  VrrpActions set_fault(bool fault, Micros now);
  // A sync group's member moved (sync_group.h): a BACKUP becomes MASTER at once, a
  // MASTER becomes BACKUP (and waits Master_Down_Interval); other states stay.
  VrrpActions sync_master(Micros now);
  VrrpActions sync_backup(Micros now);
  VrrpActions shutdown(Micros now);

  VrrpState state() const { return state_; }
  uint8_t priority() const { return prio_; }
  Micros deadline() const { return deadline_; }  // INT64_MAX: no timer
  Micros master_down_interval() const;
  Micros skew_time() const;

 private:
  VrrpActions become_master(Micros now);
  VrrpActions become_backup(Micros now, Micros wait);
  bool preempts(Micros now) const;

  VrrpConfig cfg_;
  VrrpState state_ = VrrpState::init;
  uint8_t prio_;
  Micros master_adver_;  // the master's interval (v3 learns it from adverts)
  Micros started_ = 0;
  std::optional<Micros> lower_since_;  // when a lower-priority master was first heard
  Micros deadline_ = INT64_MAX;
  bool fault_ = false;
};

}  // namespace gale::ha
