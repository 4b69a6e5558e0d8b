// FullNAT local ports: which (local address, local port) pair a new connection takes,
// and which worker owns a port. The configured range is cut into kShards slices
// (lb/ownership.h); a worker takes ports only from the slices of the shards it owns, so
// the local port of a reply alone names the worker that owns its flow.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"
#include "lb/flow_tracker.h"
#include "lb/modes.h"
#include "lb/ownership.h"
#include "lb/snapshot.h"

namespace gale::lb {

class LocalPorts {
 public:
  // Recomputes this worker's slices from the snapshot's range (once per reload).
  void use(const Snapshot& snap, uint16_t self, const ShardMap& owners);

  // The worker that owns local port lport (`self` when the port is outside the range).
  uint16_t owner(uint16_t lport, uint16_t self) const {
    if (owners_ == nullptr || lport < lo_ || lport > hi_) return self;
    return (*owners_)[shard_of_local_port(lport, lo_, hi_)];
  }

  // Picks a free pair of this worker's toward real server rs (port rsport): writes
  // a.laddr, a.lport and laddr_id. Only live addresses of rs's family are taken. False
  // when none was found within a few tries (or there is no such address or port).
  template <typename Key>
  bool pick(const FlowTracker& flows, const Snapshot& snap, const RealServer& rs, uint16_t rsport,
            uint8_t proto, NatAddrs& a, uint8_t& laddr_id);

  // How many local ports this worker owns.
  uint32_t owned() const { return owned_; }

 private:
  // The n-th port this worker owns.
  uint16_t nth_port(uint32_t n) const;

  struct Slice {
    uint32_t first;  // index of its first port among the worker's ports
    uint16_t port;   // its first port
  };
  const ShardMap* owners_ = nullptr;
  uint16_t lo_ = 0, hi_ = 0;   // the configured range
  std::vector<Slice> slices_;  // this worker's, in port order (contiguous ones merged)
  uint32_t owned_ = 0;
  uint64_t cursor_ = 0;           // next (local address, port) pair to try
  std::vector<uint8_t> live_[2];  // ids of the live local addresses, IPv4 and IPv6
};

// Whether a reload from `running` to `next` may change the FullNAT port range: a
// change moves ports between shards (and so between workers), which breaks the live
// connections on them. Refused, with the reason, while `live_flows` FullNAT
// connections exist; galed sums lb::Worker::laddr_flows() over its workers.
Expected<void> check_fullnat_ports_change(const FullNat& running, const FullNat& next,
                                          uint64_t live_flows);

}  // namespace gale::lb
