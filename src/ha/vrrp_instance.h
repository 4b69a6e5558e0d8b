// One vrrp_instance on the wire: the state machine (vrrp_machine.h) driven by its raw
// socket (vrrp_socket.h) and a deadline the owner's event loop waits for. What the
// instance does on a state change (VIPs, gratuitous ARP, scripts) is the owner's, told
// through `on_state`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "ha/vrrp_machine.h"
#include "ha/vrrp_socket.h"

namespace gale::ha {

struct VrrpInstanceConfig {
  std::string name;
  uint8_t vrid = 0;
  VrrpConfig machine;
  VrrpSocketConfig socket;
  std::vector<net::IpAddr> vips;   // carried in the adverts
  VrrpAuth auth = VrrpAuth::none;  // v2: none or PASS
  std::string auth_pass;           // up to 8 bytes
};

struct VrrpCounters {
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t dropped = 0;  // failed the socket's or the instance's checks
  uint64_t send_errors = 0;
  uint64_t became_master = 0;
  uint64_t transitions = 0;  // states entered (BACKUP at start included)
  uint64_t heard_lower = 0;  // adverts of a lower priority heard as MASTER
};

class VrrpInstance {
 public:
  using OnState = std::function<void(VrrpState)>;
  static Expected<VrrpInstance> open(const VrrpInstanceConfig& c, OnState on_state);

  int fd() const { return socket_.fd(); }
  Micros deadline() const { return machine_.deadline(); }
  VrrpState state() const { return machine_.state(); }
  uint8_t priority() const { return machine_.priority(); }  // effective: what is advertised
  const VrrpCounters& counters() const { return counters_; }
  const std::string& last_drop() const { return last_drop_; }

  void start(Micros now);
  void on_readable(Micros now);  // every advert waiting
  void on_timer(Micros now);
  void set_fault(bool fault, Micros now);
  void set_priority(uint8_t priority, Micros now);  // tracking's weights applied
  void sync_master(Micros now);                     // a sync group's member moved
  void sync_backup(Micros now);
  void stop(Micros now);  // priority 0 if MASTER

 private:
  VrrpInstance(VrrpInstanceConfig c, VrrpSocket s, OnState on_state)
      : cfg_(std::move(c)),
        machine_(cfg_.machine),
        socket_(std::move(s)),
        on_state_(std::move(on_state)) {}
  void act(const VrrpActions& a);
  // RFC 5798 section 7.1 and keepalived: the advert is ours to heed.
  bool accept(const VrrpAdvert& a);

  VrrpInstanceConfig cfg_;
  VrrpMachine machine_;
  VrrpSocket socket_;
  OnState on_state_;
  VrrpCounters counters_;
  std::string last_drop_;
};

// The advert interval as VrrpConfig counts it, from the wire's units.
Micros advert_micros(uint8_t version, uint16_t interval);

}  // namespace gale::ha
