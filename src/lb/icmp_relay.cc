#include "lb/icmp_relay.h"

#include "net/icmp.h"

namespace gale::lb {

bool relay_icmp_error(Packet& p, const net::ParsedPacket& pp, const FlowTracker& flows,
                      const Snapshot& snap, uint32_t now_s, Outcome& out) {
  net::IcmpInner in;
  if (net::parse_icmp_inner({p.data, p.len}, pp, in) != net::IcmpInnerError::ok) return false;
  const net::FiveTuple& q = in.tuple;
  // The quote is of a packet travelling the other way: reverse it to get ours.
  const net::FiveTuple rev{
      .src = q.dst, .dst = q.src, .sport = q.dport, .dport = q.sport, .proto = q.proto};
  // About a packet a VIP sent the client: the error goes to the real server.
  const bool to_server = snap.find_service(q.src, q.sport, q.proto) != nullptr;
  auto try_family = [&]<typename Key>(Key) -> bool {
    const FlowTable<Key>& t = flows.table<Key>();
    const Key k = key_of<Key>(rev);
    const uint32_t ref = flows.find(k, !to_server);
    if (ref == kNoRef) return false;
    const FlowEntry<Key>& e = t.entry(ref_entry(ref));
    if (e.expires <= now_s || !flows.holds(e)) return false;
    // Translated by the flow's mode, which a reload may have made differ from the server's.
    RealServer rs = snap.real_servers[e.rs];
    rs.mode = static_cast<FwdMode>(e.mode);
    if (!to_server && rs.mode != FwdMode::nat && rs.mode != FwdMode::fullnat) return false;
    out = forward_icmp_error(p, pp, in, rs, flows.nat_addrs(e), to_server, snap, t.hash(e.key));
    return true;
  };
  return pp.family == net::Family::v4 ? try_family(FlowKeyV4{}) : try_family(FlowKeyV6{});
}

}  // namespace gale::lb
