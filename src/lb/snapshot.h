// The Snapshot: everything a worker needs to forward, immutable once published.
// The control plane builds one (off the fast path: it allocates), calls finalize(),
// and publishes it through one atomic pointer; a worker reads the pointer once per
// batch. Real servers are addressed by stable ids so that flows survive reloads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/compiler.h"
#include "base/expected.h"
#include "lb/client_routes.h"
#include "lb/conn_state.h"
#include "lb/flow_key.h"
#include "lb/maglev.h"
#include "lb/scheduler.h"
#include "net/addr.h"

namespace gale::lb {

// ipvsadm's -g -i -m, and FullNAT (two-arm SNAT + DNAT).
enum class FwdMode : uint8_t { dr, tun, nat, fullnat };
enum class TunEncap : uint8_t { ipip, gue, vxlan };
// FullNAT: how a real server learns the client's address (docs/modes.md): a PROXY
// protocol header (haproxy's v1 text or v2 binary) in front of the connection's payload.
enum class ProxyProto : uint8_t { none, v1, v2 };
const char* to_string(FwdMode m);
const char* to_string(TunEncap e);
const char* to_string(ProxyProto p);

// A real server, by stable id (its index in Snapshot::real_servers).
struct RealServer {
  net::IpAddr addr;
  uint16_t port = 0;  // 0: the service's port
  FwdMode mode = FwdMode::dr;
  TunEncap encap = TunEncap::ipip;
  net::MacAddr mac;        // next hop toward the server (the server itself when on-link)
  net::MacAddr inner_mac;  // VXLAN: destination MAC of the inner frame
  uint16_t out_link = 0;   // interface index toward it
  uint16_t mtu = 1500;     // L3 MTU of the path toward it
  ProxyProto proxy = ProxyProto::none;  // FullNAT only
  bool toa = false;      // FullNAT TCP: the client's address in a TOA option (kind 254)
  uint32_t service = 0;  // owning service (index in Snapshot::services)
  uint32_t pos = 0;      // index in the service's dests
  bool live = true;      // false: removed from config, kept while its flows drain
};

// A virtual service: VIP, port, protocol, its scheduler and real servers. A firewall-
// mark service (fwmark != 0) matches the FwmarkRules naming its mark instead; its vip
// and port are unused (port 0: persistence templates span all its ports).
struct Service {
  uint32_t fwmark = 0;
  net::IpAddr vip;
  uint16_t port = 0;
  uint8_t proto = 0;
  SchedKind sched = SchedKind::wlc;
  SchedFlags sched_flags;
  std::vector<SchedDest> dests;    // scheduler's view, in dest order
  std::vector<uint16_t> dest_ids;  // real server id of each dest
  // ipvsadm -p: a client's new connections go to the real server its last one went to,
  // for this many seconds after the last new connection (0: off).
  uint32_t persistence_s = 0;
  // ipvsadm -M, as a prefix length: clients within one such prefix share a server.
  // 0 means the whole address (/32, /128).
  uint8_t persistence_prefix = 0;
  // The VIP belongs to a vrrp_instance that is not MASTER on this node: the service is
  // left out of `owned`, so its frames go to the kernel, which does not hold the VIP
  // either (docs/ha.md, "The dataplane follows mastership"). Its flows stay in the
  // tables (connection sync keeps them current) for the takeover.
  bool standby = false;
  // Built by finalize():
  SchedTables tables;
  // A hash of what the scheduler state depends on (identity, scheduler, dests): a
  // worker keeps its SchedState (rr cursor, lblc cache, twos generator) across a
  // publish that leaves it equal.
  uint64_t content_hash = 0;
  std::vector<uint16_t> maglev;  // dest positions by flow hash: adoption and full-table
};

// `addr` with every bit past the first `len` cleared (a network address; persistence
// masks clients with it too). `len` beyond the family's width keeps the whole address.
inline net::IpAddr mask_prefix(net::IpAddr addr, int len) {
  const int bits = addr.is_v4() ? 32 : 128;
  for (int bit = std::max(len, 0); bit < bits; ++bit)
    addr.b[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  return addr;
}

// Whether `a` lies in the network `net`/`len` (of a's family).
inline bool prefix_contains(const net::IpAddr& net, int len, const net::IpAddr& a) {
  return a.family == net.family && mask_prefix(a, len) == mask_prefix(net, len);
}

// keepalived's `virtual_server fwmark N` relies on an iptables rule to set the mark;
// gale sees packets before netfilter, so the config states the match itself.
struct FwmarkRule {
  uint32_t fwmark = 0;
  net::IpAddr net;         // destination prefix
  uint8_t prefix_len = 0;  // 32 / 128 for one address
  uint16_t port_lo = 0;    // destination ports (0-65535 for all)
  uint16_t port_hi = 65535;
  uint8_t proto = 0;     // TCP or UDP
  uint32_t service = 0;  // set by finalize()

  bool matches(const net::IpAddr& dst, uint16_t dport, uint8_t p) const {
    return p == proto && dport >= port_lo && dport <= port_hi &&
           prefix_contains(net, prefix_len, dst);
  }
};

// A network interface the dataplane sends on.
struct Link {
  net::MacAddr mac;  // ours
  // Next hop toward clients for a snapshot without a route table (hand-built ones:
  // tests, benchmarks); galed's snapshots carry routes (ClientRoutes) and leave it zero.
  net::MacAddr gateway_mac;
  uint16_t mtu = 1500;
};

// Outer headers of TUN mode.
struct Tunnel {
  net::Ipv4Addr src_v4;  // outer source
  net::Ipv6Addr src_v6;
  // Outer IPv4 sources vary per flow over the low `src_v4_spread_bits` bits, so a
  // receiver's RSS (which hashes the outer addresses of IPIP) spreads tunnelled flows.
  uint8_t src_v4_spread_bits = 0;
  uint16_t gue_port = 6080;
  uint32_t vxlan_vni = 1;
  uint8_t ttl = 64;
};

// FullNAT local (source) addresses, and the local port range split among workers.
// Addresses are indexed by stable id (a flow holds its address's id; ctl::LocalAddrIds
// keeps ids across reloads): an address removed from the config keeps its id, not live,
// while its flows drain, and a free id holds a family-none address.
struct FullNat {
  std::vector<net::IpAddr> laddrs;  // by id
  std::vector<bool> live;           // by id; ids past its end are live
  uint16_t port_lo = 1024;
  uint16_t port_hi = 65535;

  // True when new connections may take local address `id`.
  bool is_live(size_t id) const {
    return id < laddrs.size() && laddrs[id].family != net::Family::none &&
           (id >= live.size() || live[id]);
  }
};

// What an owned endpoint is to the dataplane.
enum class EndpointKind : uint8_t {
  service = 1,       // a virtual service's VIP:port: value = service index
  nat_rs = 2,        // a NAT real server's source: value = real server id
  laddr = 3,         // a FullNAT local address with the local ports: value = its id
  fwmark = 4,        // a fwmark rule's prefix and ports: value = service index
  service_addr = 5,  // EndpointMap only: a VIP with any port (fragments): value = service
};

// One thing the dataplane owns, from the one list finalize() derives (Snapshot::owned).
// The EndpointMap (the engine's lookup), the XDP maps, the nft filter of AF_PACKET and
// the simulator all read that list, so they cannot disagree on what is ours.
struct Endpoint {
  EndpointKind kind = EndpointKind::service;
  net::IpAddr addr;        // the destination; nat_rs: the source (the server's replies)
  uint8_t prefix_len = 0;  // bits of addr that must match: the whole address but for fwmark
  uint16_t port_lo = 0;    // destination ports (nat_rs: source ports), inclusive
  uint16_t port_hi = 0;
  uint8_t proto = 0;  // TCP or UDP; 0 (laddr): both
  uint32_t value = 0;

  bool by_source() const { return kind == EndpointKind::nat_rs; }
};

// The most fwmark rules a snapshot may have: the XDP program scans them in an array
// (docs/io.md says why not an LPM trie).
inline constexpr size_t kMaxFwmarkRules = 64;

// A small open-addressing map from endpoints to services / servers / local addresses,
// sized to stay in cache. Keys are packed into machine words (IPv4: one) and hashed
// with one multiply: this lookup runs for every frame.
class EndpointMap {
 public:
  // Indexes every entry of `owned` but the fwmark prefixes (a scan: Snapshot::service_for).
  void build(std::span<const Endpoint> owned);
  // The value for (kind, addr, port, proto), or -1.
  int64_t find(EndpointKind kind, const net::IpAddr& addr, uint16_t port, uint8_t proto) const {
    const uint64_t tail = (uint64_t{port} << 16) | (uint64_t{proto} << 8) | uint8_t(kind);
    if (addr.is_v4()) {
      const uint64_t k = (uint64_t{addr.v4().v} << 32) | tail;
      for (uint64_t i = slot_of(k, mask4_);; i = (i + 1) & mask4_) {
        const Slot4& s = v4_[i];
        if (s.key == k) return s.value;
        if (s.key == 0) return -1;
      }
    }
    uint64_t hi, lo;
    std::memcpy(&hi, addr.b.data(), 8);
    std::memcpy(&lo, addr.b.data() + 8, 8);
    for (uint64_t i = slot_of(hi ^ (lo * 31) ^ (tail << 7), mask6_);; i = (i + 1) & mask6_) {
      const Slot6& s = v6_[i];
      if (s.tail == tail && s.hi == hi && s.lo == lo) return s.value;
      if (s.tail == 0) return -1;
    }
  }

 private:
  void insert(EndpointKind kind, const net::IpAddr& addr, uint16_t port, uint8_t proto,
              uint32_t value);
  static uint64_t slot_of(uint64_t k, uint64_t mask) {
    return ((k * 0x9e3779b97f4a7c15ULL) >> 40) & mask;
  }
  struct Slot4 {
    uint64_t key = 0;  // 0: empty (a real key's kind byte is never 0)
    uint32_t value = 0;
  };
  struct Slot6 {
    uint64_t hi = 0, lo = 0, tail = 0;  // tail 0: empty
    uint32_t value = 0;
  };
  std::vector<Slot4> v4_ = std::vector<Slot4>(1);
  std::vector<Slot6> v6_ = std::vector<Slot6>(1);
  uint64_t mask4_ = 0, mask6_ = 0;
};

struct Snapshot {
  uint64_t generation = 0;
  std::vector<Service> services;
  std::vector<RealServer> real_servers;  // by stable id
  std::vector<FwmarkRule> fwmark_rules;  // checked in order when no service matches exactly
  std::vector<Link> links;
  uint16_t client_link = 0;  // without routes: the interface replies to clients leave by
  ClientRoutes routes;       // toward clients (none: links[client_link].gateway_mac)
  // The node's own addresses. A NAT real server's packet from its service port that no
  // flow knows is translated as a reply to a client -- unless it is addressed to the
  // node: then it belongs to the node's own connection (a health check), the kernel's.
  std::vector<net::IpAddr> host_addrs;
  // The destination MACs of the frames the dataplane takes: its interfaces' own. A
  // unicast frame to another MAC reached this node only because a switch flooded it
  // (its FDB lost the owner, typically a failed peer's port): it is the kernel's, which
  // drops it as PACKET_OTHERHOST, so two nodes never both forward one frame. Empty:
  // every frame is looked at (hand-built snapshots: tests, benchmarks, the simulator).
  std::vector<net::MacAddr> accept_macs;
  // Shared by the snapshots galed publishes (reply path -> resolution); may be null.
  std::shared_ptr<NeighbourMisses> neighbour_misses;
  Tunnel tunnel;
  FullNat fullnat;
  Timeouts timeouts;
  // A connection whose real server is no longer live is ended at its next client packet,
  // which is scheduled afresh (IPVS's expire_nodest_conn); false: it drains.
  bool expire_nodest_conn = false;
  uint32_t maglev_size = kDefaultMaglevSize;
  // Seed of the flow hash that picks Maglev entries: the same on every node.
  uint64_t cluster_seed = 0x9a1e;
  // The node's dataplane workers: finalize() checks that each can own FullNAT ports.
  uint16_t workers = 1;
  // Built by finalize():
  // What the dataplane owns, in one list: services, then fwmark rules (in rule order),
  // then NAT real servers' sources (live and draining), then FullNAT local addresses.
  std::vector<Endpoint> owned;
  uint32_t fwmark_begin = 0, fwmark_end = 0;  // the fwmark entries of `owned`
  EndpointMap endpoints;                      // exact-match index of `owned`
  TimeoutTable timeout_of;                    // timeouts indexed by state
  // A FullNAT server of an IPv6 VIP is IPv4 (NAT64, lb/nat64.h): IPv4 replies to a local
  // address that no IPv4 flow knows are looked for among the IPv6 flows too.
  bool nat64 = false;

  // Checks consistency, builds scheduler tables, Maglev tables and the endpoint list.
  // `reuse`: the running snapshot, whose services' tables are taken as they are where a
  // service is unchanged (same content hash and table size) -- a publish about one
  // service does not recompute every Maglev table.
  Expected<void> finalize(const Snapshot* reuse = nullptr);
  Expected<void> check_fullnat() const;

  // Whether `frame` (at least an Ethernet header) is addressed to one of accept_macs.
  GALE_ALWAYS_INLINE bool accepts_dst(const uint8_t* frame) const {
    if (accept_macs.empty()) return true;
    for (const net::MacAddr& m : accept_macs)
      if (std::memcmp(frame, m.b.data(), 6) == 0) return true;
    return false;
  }
  // The service a client's packet to (dst, dport, proto) belongs to: index, or -1.
  // Inlined: the classifier asks it for every frame, and the exact match is the common case.
  GALE_ALWAYS_INLINE int64_t service_for(const net::IpAddr& dst, uint16_t dport,
                                         uint8_t proto) const {
    const int64_t v = endpoints.find(EndpointKind::service, dst, dport, proto);
    if (v >= 0 || fwmark_begin == fwmark_end) return v;
    for (uint32_t i = fwmark_begin; i < fwmark_end; ++i) {
      const Endpoint& e = owned[i];
      if (e.proto == proto && dport >= e.port_lo && dport <= e.port_hi &&
          prefix_contains(e.addr, e.prefix_len, dst))
        return e.value;
    }
    return -1;
  }
  // Whether (dst, proto) is a service address, whatever the port: the owner of a
  // fragment that carries no ports (docs/io.md, fragments).
  bool is_service_addr(const net::IpAddr& dst, uint8_t proto) const {
    if (endpoints.find(EndpointKind::service_addr, dst, 0, proto) >= 0) return true;
    for (uint32_t i = fwmark_begin; i < fwmark_end; ++i)
      if (owned[i].proto == proto && prefix_contains(owned[i].addr, owned[i].prefix_len, dst))
        return true;
    return false;
  }
  const Service* find_service(const net::IpAddr& vip, uint16_t port, uint8_t proto) const {
    const int64_t v = service_for(vip, port, proto);
    return v < 0 ? nullptr : &services[static_cast<size_t>(v)];
  }

 private:
  // Appends the endpoints a NAT real server's replies come from.
  Expected<void> nat_sources(uint16_t id, std::vector<Endpoint>& out) const;
};

// The consistent-hash input of a flow: the same on every node (cluster_seed), so a flow
// ECMP moves between nodes maps to the same real server.
inline uint64_t flow_hash(const net::FiveTuple& t, uint64_t seed) {
  FlowKeyV6 k = FlowKeyV6::make(t.src, t.sport, t.dst, t.dport, t.proto);
  k.pad[0] = static_cast<uint8_t>(t.src.family);
  return hash_key(k, seed);
}

}  // namespace gale::lb
