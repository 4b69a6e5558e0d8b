// The flow tracker: a worker's two flow tables (IPv4, IPv6) and what is looked up in
// them -- connections by their forward key (client -> VIP) or reply key (real server ->
// client or local address), persistence templates -- and the incremental expiry sweep.
// Connection accounting (per real server and per scheduler) is the Worker's: it removes
// entries through Worker::remove_flow, which calls unindex() here.
#pragma once

#include <cstdint>
#include <type_traits>

#include "base/compiler.h"
#include "lb/flow_table.h"
#include "lb/modes.h"
#include "lb/snapshot.h"

namespace gale::lb {

class FlowTracker {
 public:
  FlowTracker(uint32_t flows_v4, uint32_t flows_v6, uint64_t seed)
      : t4_(flows_v4, seed), t6_(flows_v6, seed ^ 0x66) {}

  // The snapshot reply keys and addresses are read from (Worker::use sets it).
  void use(const Snapshot* snap) { snap_ = snap; }

  template <typename Key>
  FlowTable<Key>& table() {
    if constexpr (std::is_same_v<Key, FlowKeyV4>)
      return t4_;
    else
      return t6_;
  }
  template <typename Key>
  const FlowTable<Key>& table() const {
    if constexpr (std::is_same_v<Key, FlowKeyV4>)
      return t4_;
    else
      return t6_;
  }
  uint32_t flows() const { return t4_.used() + t6_.used(); }
  size_t memory_bytes() const { return t4_.memory_bytes() + t6_.memory_bytes(); }

  // The ref of the live entry whose forward (or reply) key is k, or kNoRef.
  template <typename Key>
  GALE_ALWAYS_INLINE uint32_t find(const Key& k, uint32_t home, uint64_t h, bool reply) const {
    const FlowTable<Key>& t = table<Key>();
    return t.find(home, h, [&](uint32_t ref) {
      if (ref_is_reply(ref) != reply) return false;
      const FlowEntry<Key>& e = t.entry(ref_entry(ref));
      if (e.state == 0) return false;
      return reply ? reply_key(e) == k : e.key == k;
    });
  }
  template <typename Key>
  uint32_t find(const Key& k, bool reply) const {
    const uint64_t h = table<Key>().hash(k);
    return find(k, table<Key>().home(h), h, reply);
  }

  // True when the snapshot still has what the entry refers to: its real server and,
  // for FullNAT, its local address (ids a builder keeps while their flows drain).
  template <typename Key>
  bool holds(const FlowEntry<Key>& e) const {
    if (e.rs >= snap_->real_servers.size()) return false;
    if (!(e.flags & kFlowFullNat)) return true;
    return e.laddr < snap_->fullnat.laddrs.size() &&
           snap_->fullnat.laddrs[e.laddr].family != net::Family::none;
  }

  // The key the real server's packets of this connection carry.
  template <typename Key>
  Key reply_key(const FlowEntry<Key>& e) const {
    if (e.rs >= snap_->real_servers.size()) return Key{};  // matches no packet
    const RealServer& rs = snap_->real_servers[e.rs];
    const uint16_t rsport = rs.port ? rs.port : e.key.dport;
    if (e.flags & kFlowFullNat) {
      // The builder keeps a draining address's id; a snapshot that dropped it anyway
      // leaves the flow unreachable rather than read past the array.
      if (e.laddr >= snap_->fullnat.laddrs.size()) return Key{};
      const net::IpAddr& laddr = snap_->fullnat.laddrs[e.laddr];
      if constexpr (std::is_same_v<Key, FlowKeyV6>)
        if (rs.addr.is_v4()) return nat64_key(rs.addr, rsport, laddr, e.lport, e.key.proto);
      return Key::make(rs.addr, rsport, laddr, e.lport, e.key.proto);
    }
    return Key::make(rs.addr, rsport, e.key.src_ip(), e.key.sport, e.key.proto);
  }

  // The connection's addresses, for the NAT rewrites.
  template <typename Key>
  NatAddrs nat_addrs(const FlowEntry<Key>& e) const;

  // Takes an entry's keys out of the index; the entry itself stays allocated.
  template <typename Key>
  void unindex(uint32_t idx);

  // The persistence template's key: the client's network (ipvsadm -M), port 0, the
  // service's VIP and port, marked apart from connection keys by a pad byte.
  template <typename Key>
  Key template_key(const Service& svc, const net::FiveTuple& t) const;
  // Creates or refreshes the client's template after a new connection went to rs_id (or
  // a peer's sync record named it); the entry, or nullptr when the table is full.
  template <typename Key>
  FlowEntry<Key>* remember(const Key& k, uint16_t rs_id, uint32_t timeout_s, uint32_t now_s);

  // Visits the next n entries of the clock sweep and passes each expired one to
  // on_expired(idx).
  template <typename Key, typename OnExpired>
  void sweep(uint32_t n, uint32_t now_s, OnExpired&& on_expired) {
    FlowTable<Key>& t = table<Key>();
    if (t.used() == 0) return;
    const uint32_t cap = t.capacity();
    for (n = n < cap ? n : cap; n > 0; --n) {
      const uint32_t idx = t.sweep_cursor;
      t.sweep_cursor = idx + 1 == cap ? 0 : idx + 1;
      const FlowEntry<Key>& e = t.entry(idx);
      if (e.state != 0 && e.expires <= now_s) on_expired(idx);
    }
  }

  // The real server id of a client's live connection, or -1.
  int find_rs(const net::FiveTuple& client_tuple, uint32_t now_s) const;

 private:
  const Snapshot* snap_ = nullptr;
  FlowTable<FlowKeyV4> t4_;
  FlowTable<FlowKeyV6> t6_;
};

}  // namespace gale::lb
