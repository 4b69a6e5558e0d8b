// The fixture of the engine's golden tests: a Snapshot with two interfaces (port 0
// toward the clients, port 1 toward the real servers), one VIP per family carrying one
// service per forwarding mode (TCP and UDP, two real servers each), FullNAT local
// addresses and tunnel settings; and Golden, which runs frames through a real
// lb::Worker and hands back the output frame, so that each test reads as
// "given this frame, expect that frame".
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lb/worker.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/l4.h"
#include "packet_builder.h"
#include "ref_checksum.h"

namespace gale::golden {

using Bytes = std::vector<uint8_t>;
using lb::Drop;
using lb::FwdMode;
using lb::RealServer;
using lb::Service;
using lb::Snapshot;
using lb::TunEncap;
using lb::Verdict;
using test::PacketBuilder;

// MACs. Client frames arrive on port 0 from kClientSideMac (a router that is not the
// gateway, so that "answer the sender" and "send to the gateway" differ).
inline constexpr const char* kPort0Mac = "02:00:00:00:00:01";
inline constexpr const char* kGatewayMac = "02:00:00:00:00:fe";  // port 0's next hop
inline constexpr const char* kClientSideMac = "02:00:00:00:00:aa";
inline constexpr const char* kPort1Mac = "02:00:00:00:01:01";

// Tunnel settings, chosen apart from every default so a test sees they are used.
inline constexpr uint8_t kTunnelTtl = 32;
inline constexpr uint16_t kGuePort = 5555;
inline constexpr uint32_t kVni = 4242;
// FullNAT local ports, split among the workers.
inline constexpr uint16_t kLportLo = 20000;
inline constexpr uint16_t kLportHi = 29999;
// The port NAT and FullNAT real servers listen on (services listen on their own).
inline constexpr uint16_t kRsPort = 8080;

// The services on each VIP, by port. "_x" tunnels cross families: 4-in-6 and 6-in-4.
enum class Svc : uint16_t {
  dr = 80,
  ipip = 81,
  gue = 82,
  vxlan = 83,
  ipip_x = 84,
  gue_x = 85,
  vxlan_x = 86,
  nat = 90,            // real servers on kRsPort
  nat_same_port = 91,  // real servers on the service's port
  fullnat = 95,        // real servers on kRsPort
};
inline constexpr Svc kAllSvcs[] = {
    Svc::dr,    Svc::ipip,    Svc::gue, Svc::vxlan,         Svc::ipip_x,
    Svc::gue_x, Svc::vxlan_x, Svc::nat, Svc::nat_same_port, Svc::fullnat};
inline uint16_t port_of(Svc s) {
  return static_cast<uint16_t>(s);
}

// The addresses of one family (documentation ranges; servers in 10/8 and 2001:db8:1::).
struct Family {
  const char* name;
  bool v6;
  const char* vip;
  const char* not_vip;  // on our network, but no VIP
  const char* client;
  const char* router;  // a router on the client's path (sender of ICMP errors)
  const char* laddr;   // FullNAT local address
  const char* tun_src;
};
inline const Family kV4{"v4",           false,          "192.0.2.10", "192.0.2.99",
                        "198.51.100.7", "198.51.100.1", "10.3.0.1",   "10.0.0.1"};
inline const Family kV6{"v6",
                        true,
                        "2001:db8:a::10",
                        "2001:db8:a::99",
                        "2001:db8:c::7",
                        "2001:db8:c::1",
                        "2001:db8:3::1",
                        "2001:db8:ff::1"};

inline net::IpAddr ip(std::string_view s) {
  return *net::parse_ip(s);
}
inline net::MacAddr mac(std::string_view s) {
  return *net::parse_mac(s);
}
inline std::string text(const net::IpAddr& a) {
  return std::string(net::to_text(a).view());
}
inline std::string text(const net::MacAddr& a) {
  return std::string(net::to_text(a).view());
}

// Real server n (1 or 2) of a service: 10.<1 tcp|2 udp>.<port>.<n>, or
// 2001:db8:<1|2>:<port>::<n>; its MAC says the same in hex.
inline std::string rs_addr(bool v6, Svc svc, uint8_t proto, int n) {
  char buf[64];
  const int p = proto == net::kProtoTcp ? 1 : 2;
  if (v6)
    std::snprintf(buf, sizeof buf, "2001:db8:%d:%d::%d", p, port_of(svc), n);
  else
    std::snprintf(buf, sizeof buf, "10.%d.%d.%d", p, port_of(svc), n);
  return buf;
}
inline std::string rs_mac(bool v6, Svc svc, uint8_t proto, int n, bool inner = false) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "02:%02x:%02x:%02x:%02x:%02x", inner ? 0xee : 0x10, v6 ? 6 : 4,
                proto, port_of(svc), n);
  return buf;
}

struct SnapOptions {
  uint8_t spread_bits = 0;
  lb::SchedKind sched = lb::SchedKind::rr;
};

inline Snapshot make_snapshot(const SnapOptions& o = {}) {
  Snapshot s;
  s.generation = 1;
  s.links.push_back({.mac = mac(kPort0Mac), .gateway_mac = mac(kGatewayMac)});
  s.links.push_back({.mac = mac(kPort1Mac), .gateway_mac = mac("02:00:00:00:01:fe")});
  s.client_link = 0;
  s.tunnel = {.src_v4 = ip(kV4.tun_src).v4(),
              .src_v6 = ip(kV6.tun_src).v6(),
              .src_v4_spread_bits = o.spread_bits,
              .gue_port = kGuePort,
              .vxlan_vni = kVni,
              .ttl = kTunnelTtl};
  s.fullnat = {.laddrs = {ip(kV4.laddr), ip(kV6.laddr)}, .port_lo = kLportLo, .port_hi = kLportHi};
  for (const Family* f : {&kV4, &kV6}) {
    for (uint8_t proto : {net::kProtoTcp, net::kProtoUdp}) {
      for (Svc svc : kAllSvcs) {
        Service service{.vip = ip(f->vip), .port = port_of(svc), .proto = proto, .sched = o.sched};
        const bool cross = svc == Svc::ipip_x || svc == Svc::gue_x || svc == Svc::vxlan_x;
        const bool rs_v6 = f->v6 != cross;
        for (int n = 1; n <= 2; ++n) {
          RealServer rs{.addr = ip(rs_addr(rs_v6, svc, proto, n)),
                        .mac = mac(rs_mac(f->v6, svc, proto, n)),
                        .inner_mac = mac(rs_mac(f->v6, svc, proto, n, true)),
                        .out_link = 1};
          switch (svc) {
            case Svc::dr:
              rs.mode = FwdMode::dr;
              break;
            case Svc::ipip:
            case Svc::ipip_x:
              rs.mode = FwdMode::tun;
              rs.encap = TunEncap::ipip;
              break;
            case Svc::gue:
            case Svc::gue_x:
              rs.mode = FwdMode::tun;
              rs.encap = TunEncap::gue;
              break;
            case Svc::vxlan:
            case Svc::vxlan_x:
              rs.mode = FwdMode::tun;
              rs.encap = TunEncap::vxlan;
              break;
            case Svc::nat:
            case Svc::nat_same_port:
              rs.mode = FwdMode::nat;
              rs.port = svc == Svc::nat ? kRsPort : 0;
              break;
            case Svc::fullnat:
              rs.mode = FwdMode::fullnat;
              rs.port = kRsPort;
              break;
          }
          service.dests.push_back(
              {.addr = rs.addr, .port = rs.port ? rs.port : service.port, .weight = 1});
          service.dest_ids.push_back(static_cast<uint16_t>(s.real_servers.size()));
          s.real_servers.push_back(rs);
        }
        s.services.push_back(std::move(service));
      }
    }
  }
  auto ok = s.finalize();
  EXPECT_TRUE(ok.has_value());
  return s;
}

inline const Service& service_of(const Snapshot& s, const Family& f, Svc svc, uint8_t proto) {
  const Service* found = s.find_service(ip(f.vip), port_of(svc), proto);
  if (!found) throw std::logic_error("no such service");
  return *found;
}
inline size_t service_index(const Snapshot& s, const Service& svc) {
  return static_cast<size_t>(&svc - s.services.data());
}

// One TCP or UDP packet (the IP layer's family comes from the address text).
struct Seg {
  std::string src, dst;
  uint16_t sport = 40000;
  uint16_t dport = 80;
  uint8_t proto = net::kProtoTcp;
  uint8_t flags = net::kTcpAck;  // TCP only
  uint8_t ttl = 64;
  uint8_t tos = 0;
  std::optional<uint16_t> frag;  // IPv4 flags + offset (default DF)
  bool no_udp_checksum = false;  // UDP over IPv4 without checksum
  std::string payload = "golden";

  bool v6() const { return src.find(':') != std::string::npos; }
  net::FiveTuple tuple() const {
    return {.src = ip(src), .dst = ip(dst), .sport = sport, .dport = dport, .proto = proto};
  }
  // The same packet travelling the other way.
  Seg reversed() const {
    Seg r = *this;
    std::swap(r.src, r.dst);
    std::swap(r.sport, r.dport);
    return r;
  }
};

// Appends the IP and TCP/UDP layers and the payload of s.
inline PacketBuilder& put(PacketBuilder& b, const Seg& s) {
  if (s.v6())
    b.ipv6(s.src, s.dst).ttl(s.ttl).tos(s.tos);
  else
    b.ipv4(s.src, s.dst).ttl(s.ttl).tos(s.tos);
  if (s.frag) b.frag(*s.frag);
  if (s.proto == net::kProtoTcp)
    b.tcp(s.sport, s.dport, s.flags).seq(1000).ack(2000);
  else
    b.udp(s.sport, s.dport);
  if (s.no_udp_checksum) b.no_udp_checksum();
  return b.payload(s.payload);
}

inline Bytes frame(std::string_view src_mac, std::string_view dst_mac, const Seg& s,
                   std::optional<uint16_t> vlan = {}) {
  PacketBuilder b;
  b.eth(src_mac, dst_mac);
  if (vlan) b.vlan(*vlan);
  return put(b, s).build();
}

// The first bytes of a packet as an ICMP error quotes them: IP header + 8 bytes.
inline Bytes quote(const Seg& s) {
  PacketBuilder b;
  Bytes q = put(b, s).build();
  q.resize((s.v6() ? 40 : 20) + 8);
  return q;
}

// What the worker made of one frame.
struct Out {
  Verdict verdict = Verdict::drop;
  Drop drop = Drop::none;
  uint16_t link = 0;
  uint16_t owner = 0;  // handoff: the owning worker
  Bytes bytes;
};

// Compares whole frames, saying where they first differ.
inline ::testing::AssertionResult same_frame(const Bytes& got, const Bytes& want) {
  if (got == want) return ::testing::AssertionSuccess();
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i])
    ++i;
  auto r = ::testing::AssertionFailure();
  r << "frames differ at byte " << i << " (got " << got.size() << " bytes, want " << want.size()
    << ")\n got:";
  for (size_t j = 0; j < got.size(); ++j)
    r << (j % 16 ? " " : "\n  ") << (j == i ? "*" : "") << std::hex << int{got[j]};
  r << "\n want:";
  for (size_t j = 0; j < want.size(); ++j)
    r << (j % 16 ? " " : "\n  ") << (j == i ? "*" : "") << std::hex << int{want[j]};
  return r;
}

inline ::testing::AssertionResult sent(const Out& o, uint16_t link, const Bytes& want) {
  if (o.verdict != Verdict::tx)
    return ::testing::AssertionFailure()
           << "verdict " << static_cast<int>(o.verdict) << ", drop " << lb::to_string(o.drop);
  if (o.link != link) return ::testing::AssertionFailure() << "sent on link " << o.link;
  return same_frame(o.bytes, want);
}

// A worker with its snapshot(s). Each frame sits in a buffer with exactly the
// guaranteed headroom and no tailroom, so that ASan catches any write outside it.
class Golden {
  std::vector<std::unique_ptr<Snapshot>> snaps_;  // every snapshot ever used

 public:
  explicit Golden(const SnapOptions& o = {},
                  const lb::WorkerConfig& cfg = {.flows_v4 = 1024, .flows_v6 = 1024})
      : worker(cfg) {
    snaps_.push_back(std::make_unique<Snapshot>(make_snapshot(o)));
    worker.use(snaps_.back().get());
  }

  const Snapshot& snap() const { return *worker.snapshot(); }
  // Publishes a new snapshot (the old ones stay alive: flows may name their servers).
  void reload(Snapshot next) {
    snaps_.push_back(std::make_unique<Snapshot>(std::move(next)));
    worker.use(snaps_.back().get());
  }

  Out run(const Bytes& f, uint16_t link = 0) {
    Bytes buf(lb::kMinHeadroom + f.size());
    std::copy(f.begin(), f.end(), buf.begin() + lb::kMinHeadroom);
    lb::Batch b;
    b.count = 1;
    b.pkts[0] = {.data = buf.data() + lb::kMinHeadroom,
                 .len = static_cast<uint16_t>(f.size()),
                 .headroom = lb::kMinHeadroom,
                 .link = link};
    worker.process(b, now);
    const lb::Packet& p = b.pkts[0];
    Out o{.verdict = p.verdict, .drop = p.drop_reason, .link = p.link, .owner = p.owner};
    if (p.verdict == Verdict::tx) o.bytes.assign(p.data, p.data + p.len);
    return o;
  }

  // The real server of a client's flow, or nullptr.
  const RealServer* flow_rs(const Seg& s) const {
    const int id = worker.find_flow_rs(s.tuple(), now);
    return id < 0 ? nullptr : &snap().real_servers[static_cast<size_t>(id)];
  }
  // The real server the consistent hash gives a flow (adoption, full table).
  const RealServer& maglev_pick(const Service& svc, const Seg& s) const {
    const uint16_t pos =
        lb::maglev_lookup(svc.maglev, lb::flow_hash(s.tuple(), snap().cluster_seed));
    return snap().real_servers[svc.dest_ids[pos]];
  }
  uint64_t drops(Drop d) const { return worker.counters().drops[static_cast<int>(d)]; }

  lb::Worker worker;
  uint32_t now = 1000;
};

// Parameters of the per-family tests.
struct Case {
  const Family* f;
  uint8_t proto;
};
inline void PrintTo(const Case& c, std::ostream* os) {
  *os << c.f->name << (c.proto == net::kProtoTcp ? "/tcp" : "/udp");
}
inline std::string case_name(const ::testing::TestParamInfo<Case>& i) {
  return std::string(i.param.f->name) + (i.param.proto == net::kProtoTcp ? "_tcp" : "_udp");
}
inline const Case kCases[] = {
    {&kV4, net::kProtoTcp}, {&kV4, net::kProtoUdp}, {&kV6, net::kProtoTcp}, {&kV6, net::kProtoUdp}};

// Base of the per-family tests: the family, the protocol, and a client's first packet.
class PerFamily : public ::testing::TestWithParam<Case> {
 protected:
  const Family& F = *GetParam().f;
  const uint8_t P = GetParam().proto;
  bool tcp() const { return P == net::kProtoTcp; }
  // client:40000 -> VIP:svc, a SYN when TCP.
  Seg to_vip(Svc svc, uint16_t cport = 40000) const {
    return {.src = F.client,
            .dst = F.vip,
            .sport = cport,
            .dport = port_of(svc),
            .proto = P,
            .flags = net::kTcpSyn};
  }
};

// The TCP/UDP source port of a frame a worker sent (FullNAT: the local port it chose).
inline uint16_t sent_sport(const Bytes& b, bool v6) {
  const size_t at = 14 + (v6 ? 40 : 20);
  return static_cast<uint16_t>(b.at(at) << 8 | b.at(at + 1));
}

// A connection as one node carried it: the client's next packet and, for NAT and
// FullNAT, the real server's, with what that node sent for each.
struct CarriedConn {
  Seg ack;
  Bytes ack_out;
  Bytes reply;
  Bytes reply_out;
};

// Another node's workers (exported, synced or imported into) carry each connection on
// byte for byte: the client's packet at the worker owning it, the server's packet
// translated by exactly one worker (the others hand it over).
inline void expect_carried_on(std::vector<std::unique_ptr<Golden>>& workers,
                              const std::vector<CarriedConn>& conns) {
  for (const CarriedConn& c : conns) {
    const uint16_t fwd = workers[0]->worker.owner_of_client(ip(c.ack.src), c.ack.sport);
    EXPECT_TRUE(
        same_frame(workers[fwd]->run(frame(kClientSideMac, kPort0Mac, c.ack)).bytes, c.ack_out));
    if (c.reply.empty()) continue;
    int sent = 0;
    for (auto& w : workers) {
      const Out o = w->run(c.reply, 1);
      if (o.verdict != Verdict::tx) continue;
      ++sent;
      EXPECT_TRUE(same_frame(o.bytes, c.reply_out));
    }
    EXPECT_EQ(sent, 1);
  }
}

}  // namespace gale::golden
