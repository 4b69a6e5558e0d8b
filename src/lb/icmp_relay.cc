#include "lb/icmp_relay.h"

#include <type_traits>

#include "lb/nat64.h"
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
  auto try_key = [&]<typename Key>(const Key& k) -> bool {
    const FlowTable<Key>& t = flows.table<Key>();
    const uint32_t ref = flows.find(k, !to_server);
    if (ref == kNoRef) return false;
    const FlowEntry<Key>& e = t.entry(ref_entry(ref));
    if (e.expires <= now_s || !flows.holds(e)) return false;
    // Translated by the flow's mode, which a reload may have made differ from the server's.
    RealServer rs = snap.real_servers[e.rs];
    rs.mode = static_cast<FwdMode>(e.mode);
    if (!to_server && rs.mode != FwdMode::nat && rs.mode != FwdMode::fullnat) return false;
    if constexpr (std::is_same_v<Key, FlowKeyV6>) {
      // NAT64: the error changes family too (TUN crosses families without translating).
      if (rs.mode == FwdMode::fullnat && rs.addr.is_v4()) {
        out = forward_icmp_error_nat64(p, pp, in, rs, flows.nat_addrs(e), to_server, snap);
        return true;
      }
    }
    out = forward_icmp_error(p, pp, in, rs, flows.nat_addrs(e), to_server, snap, t.hash(e.key));
    return true;
  };
  if (pp.family == net::Family::v6) return try_key(key_of<FlowKeyV6>(rev));
  if (try_key(key_of<FlowKeyV4>(rev))) return true;
  // From an IPv4 server about a NAT64 connection, whose reply key is in the IPv6 table.
  return snap.nat64 && !to_server &&
         try_key(nat64_key(rev.src, rev.sport, rev.dst, rev.dport, rev.proto));
}

}  // namespace gale::lb
