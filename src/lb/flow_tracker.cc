#include "lb/flow_tracker.h"

#include <algorithm>

namespace gale::lb {

template <typename Key>
NatAddrs FlowTracker::nat_addrs(const FlowEntry<Key>& e) const {
  const RealServer& rs = snap_->real_servers[e.rs];
  NatAddrs a{.client = e.key.src_ip(),
             .cport = e.key.sport,
             .vip = e.key.dst_ip(),
             .vport = e.key.dport,
             .rs = rs.addr,
             .rsport = rs.port ? rs.port : e.key.dport};
  if ((e.flags & kFlowFullNat) && e.laddr < snap_->fullnat.laddrs.size()) {
    a.laddr = snap_->fullnat.laddrs[e.laddr];
    a.lport = e.lport;
  }
  return a;
}

template <typename Key>
void FlowTracker::unindex(uint32_t idx) {
  FlowTable<Key>& t = table<Key>();
  const FlowEntry<Key>& e = t.entry(idx);
  if (!(e.flags & kFlowReplyOnly)) t.erase(t.hash(e.key), idx);
  if (e.flags & kFlowHasReply) {
    const Key rk = reply_key(e);
    t.erase(t.hash(rk), idx | kReplyBit);
  }
}

template <typename Key>
Key FlowTracker::template_key(const Service& svc, const net::FiveTuple& t) const {
  const net::IpAddr client =
      svc.persistence_prefix ? mask_prefix(t.src, svc.persistence_prefix) : t.src;
  Key k = Key::make(client, 0, svc.vip, svc.port, t.proto);
  k.pad[0] = 1;
  return k;
}

template <typename Key>
FlowEntry<Key>* FlowTracker::remember(const Key& k, uint16_t rs_id, uint32_t timeout_s,
                                      uint32_t now_s) {
  FlowTable<Key>& t = table<Key>();
  const uint64_t h = t.hash(k);
  const uint32_t ref = find(k, t.home(h), h, false);
  if (ref != kNoRef) {
    FlowEntry<Key>& e = t.entry(ref_entry(ref));
    e.rs = rs_id;
    e.expires = now_s + timeout_s;
    return &e;
  }
  const uint32_t idx = t.alloc();
  if (idx == kNoRef) return nullptr;  // full: the connection itself still goes through
  FlowEntry<Key>& e = t.entry(idx);
  e = FlowEntry<Key>{};
  e.key = k;
  e.rs = rs_id;
  e.state = static_cast<uint8_t>(ConnState::other);
  e.flags = kFlowTemplate;
  e.expires = now_s + timeout_s;
  if (t.insert(h, idx)) return &e;
  t.release(idx);
  return nullptr;
}

int FlowTracker::find_rs(const net::FiveTuple& tuple, uint32_t now_s) const {
  auto look = [&]<typename Key>(Key) -> int {
    const Key k = key_of<Key>(tuple);
    const uint32_t ref = find(k, false);
    if (ref == kNoRef) return -1;
    const FlowEntry<Key>& e = table<Key>().entry(ref_entry(ref));
    return e.expires <= now_s ? -1 : e.rs;
  };
  return tuple.src.is_v4() ? look(FlowKeyV4{}) : look(FlowKeyV6{});
}

#define GALE_FLOW_TRACKER_FOR(Key)                                                          \
  template NatAddrs FlowTracker::nat_addrs<Key>(const FlowEntry<Key>&) const;               \
  template void FlowTracker::unindex<Key>(uint32_t);                                        \
  template Key FlowTracker::template_key<Key>(const Service&, const net::FiveTuple&) const; \
  template FlowEntry<Key>* FlowTracker::remember<Key>(const Key&, uint16_t, uint32_t, uint32_t);
GALE_FLOW_TRACKER_FOR(FlowKeyV4)
GALE_FLOW_TRACKER_FOR(FlowKeyV6)
#undef GALE_FLOW_TRACKER_FOR

}  // namespace gale::lb
