#include "ha/vrrp_machine.h"

namespace gale::ha {

const char* to_string(VrrpState s) {
  switch (s) {
    case VrrpState::init:
      return "INIT";
    case VrrpState::backup:
      return "BACKUP";
    case VrrpState::master:
      return "MASTER";
    case VrrpState::fault:
      return "FAULT";
  }
  return "?";
}

VrrpMachine::VrrpMachine(const VrrpConfig& c)
    : cfg_(c), prio_(c.priority), master_adver_(c.advert_interval) {}

// RFC 5798 section 6.1: Skew_Time scales with the master's interval in v3; RFC 3768
// section 6.1: (256 - Priority) / 256 seconds in v2.
Micros VrrpMachine::skew_time() const {
  const Micros base = cfg_.version == 3 ? master_adver_ : 1000000;
  return (256 - prio_) * base / 256;
}

Micros VrrpMachine::master_down_interval() const {
  return Micros{cfg_.down_timer_adverts} * master_adver_ + skew_time();
}

VrrpActions VrrpMachine::start(Micros now) {
  started_ = now;
  lower_since_.reset();
  master_adver_ = cfg_.advert_interval;
  if (fault_) {
    state_ = VrrpState::fault;
    deadline_ = INT64_MAX;
    return {.entered = VrrpState::fault};
  }
  // Always BACKUP first (keepalived 2): a higher-priority master may be there. The
  // address owner configured MASTER listens one interval (keepalived's), others three.
  const Micros wait =
      cfg_.start_master && prio_ == 255 ? master_adver_ + skew_time() : master_down_interval();
  return become_backup(now, wait);
}

bool VrrpMachine::preempts(Micros now) const {
  if (!cfg_.preempt) return false;
  if (cfg_.preempt_delay == 0) return true;
  // preempt_delay: not within that long of start, nor of first seeing the lower master.
  return now >= started_ + cfg_.preempt_delay && lower_since_ &&
         now >= *lower_since_ + cfg_.preempt_delay;
}

VrrpActions VrrpMachine::on_advert(uint8_t priority, Micros interval, const net::IpAddr& src,
                                   Micros now) {
  if (state_ != VrrpState::backup && state_ != VrrpState::master) return {};
  // Two address owners: this one steps down to 254 (keepalived), or they never agree.
  if (priority == 255 && prio_ == 255) prio_ = 254;
  if (state_ == VrrpState::backup) {
    if (priority == 0) {  // the master is leaving: take over after Skew_Time
      deadline_ = now + skew_time();
      return {};
    }
    if (priority < prio_ && !lower_since_) lower_since_ = now;
    if (priority >= prio_) lower_since_.reset();
    if (priority >= prio_ || !preempts(now)) {
      if (cfg_.version == 3) master_adver_ = interval;
      deadline_ = now + master_down_interval();
    }
    // else: a lower master and we preempt: ignore it, the down timer makes us master
    return {};
  }
  // MASTER
  if (priority == 0) {  // another master left: answer at once, so backups keep waiting
    deadline_ = now + cfg_.advert_interval;
    return {.send_priority = prio_};
  }
  if (priority > prio_ || (priority == prio_ && src > cfg_.primary)) {
    if (cfg_.version == 3) master_adver_ = interval;
    return become_backup(now, master_down_interval());
  }
  // A lower master: assert ourselves now rather than at the next interval.
  return {.send_priority = prio_, .heard_lower = true};
}

VrrpActions VrrpMachine::on_timer(Micros now) {
  if (now < deadline_) return {};
  if (state_ == VrrpState::backup) return become_master(now);
  if (state_ == VrrpState::master) {
    deadline_ = now + cfg_.advert_interval;
    return {.send_priority = prio_};
  }
  deadline_ = INT64_MAX;
  return {};
}

VrrpActions VrrpMachine::set_priority(uint8_t priority, Micros now) {
  if (cfg_.priority == 255 || priority == 0 || priority == 255 || priority == prio_) return {};
  prio_ = priority;
  if (state_ != VrrpState::master) return {};
  // Advertise the new priority now rather than at the next interval.
  deadline_ = now + cfg_.advert_interval;
  return {.send_priority = prio_};
}

VrrpActions VrrpMachine::set_fault(bool fault, Micros now) {
  if (fault == fault_) return {};
  fault_ = fault;
  if (state_ == VrrpState::init) return {};  // start() will see it
  if (fault) {
    const bool was_master = state_ == VrrpState::master;
    state_ = VrrpState::fault;
    deadline_ = INT64_MAX;
    VrrpActions a{.entered = VrrpState::fault};
    if (was_master) a.send_priority = 0;
    return a;
  }
  master_adver_ = cfg_.advert_interval;
  return become_backup(now, master_down_interval());
}

VrrpActions VrrpMachine::sync_master(Micros now) {
  if (state_ != VrrpState::backup) return {};
  return become_master(now);
}

VrrpActions VrrpMachine::sync_backup(Micros now) {
  if (state_ != VrrpState::master) return {};
  return become_backup(now, master_down_interval());
}

VrrpActions VrrpMachine::shutdown(Micros) {
  const bool was_master = state_ == VrrpState::master;
  state_ = VrrpState::init;
  deadline_ = INT64_MAX;
  VrrpActions a{.entered = VrrpState::init};
  if (was_master) a.send_priority = 0;
  return a;
}

VrrpActions VrrpMachine::become_master(Micros now) {
  state_ = VrrpState::master;
  master_adver_ = cfg_.advert_interval;
  deadline_ = now + cfg_.advert_interval;
  return {.entered = VrrpState::master, .send_priority = prio_};
}

VrrpActions VrrpMachine::become_backup(Micros now, Micros wait) {
  const bool changed = state_ != VrrpState::backup;
  state_ = VrrpState::backup;
  deadline_ = now + wait;
  VrrpActions a;
  if (changed) a.entered = VrrpState::backup;
  return a;
}

}  // namespace gale::ha
