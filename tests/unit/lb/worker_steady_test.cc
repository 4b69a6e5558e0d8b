// The short way for packets that leave a connection's state as it is (Worker::steady)
// against the general way: the same random traffic (every mode, TCP and UDP, SYNs,
// ACKs, FINs, RSTs, replies, clock jumps that expire flows, a server removed while its
// flows drain) goes through a worker with it and one without, and every frame, verdict
// and counter must come out the same.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "lb/worker.h"
#include "net/ipv4.h"
#include "net/l4.h"
#include "packet_builder.h"

namespace gale::lb {
namespace {

using test::PacketBuilder;

constexpr auto kNodeMac = "02:00:00:00:00:01";

net::IpAddr ip(const std::string& s) {
  return *net::parse_ip(s);
}
net::MacAddr mac(const std::string& s) {
  return *net::parse_mac(s);
}

struct Vip {
  std::string addr;
  uint8_t proto;
  FwdMode mode;
};
// One service per mode and protocol; servers 10.1.<service>.<1..3>.
const std::vector<Vip> kVips = {
    {"192.0.2.10", net::kProtoTcp, FwdMode::dr},
    {"192.0.2.10", net::kProtoUdp, FwdMode::dr},
    {"192.0.2.11", net::kProtoTcp, FwdMode::nat},
    {"192.0.2.11", net::kProtoUdp, FwdMode::nat},
    {"192.0.2.12", net::kProtoTcp, FwdMode::fullnat},
    {"192.0.2.12", net::kProtoUdp, FwdMode::fullnat},
    {"192.0.2.13", net::kProtoTcp, FwdMode::tun},
};

// `drained`: each service's third server is removed from the config (kept, not live,
// while its flows drain), and expire_nodest_conn ends its connections.
Snapshot make_snapshot(uint64_t generation, bool drained) {
  Snapshot s;
  s.generation = generation;
  s.expire_nodest_conn = true;
  s.links.push_back({.mac = mac(kNodeMac), .gateway_mac = mac("02:00:00:00:00:fe")});
  for (size_t si = 0; si < kVips.size(); ++si) {
    Service svc{
        .vip = ip(kVips[si].addr), .port = 80, .proto = kVips[si].proto, .sched = SchedKind::rr};
    for (int i = 1; i <= 3; ++i) {
      const auto id = static_cast<uint16_t>(s.real_servers.size());
      RealServer rs{.addr = ip("10.1." + std::to_string(si) + "." + std::to_string(i)),
                    .mode = kVips[si].mode,
                    .mac = mac("02:00:00:00:0" + std::to_string(si) + ":0" + std::to_string(i)),
                    .service = static_cast<uint32_t>(si)};
      if (drained && i == 3) {
        rs.live = false;
      } else {
        rs.pos = static_cast<uint32_t>(svc.dests.size());
        svc.dests.push_back({.addr = rs.addr, .port = 80, .weight = 1});
        svc.dest_ids.push_back(id);
      }
      s.real_servers.push_back(rs);
    }
    s.services.push_back(svc);
  }
  s.fullnat.laddrs.push_back(ip("10.2.0.1"));
  EXPECT_TRUE(s.finalize().has_value());
  return s;
}

struct Flow {
  std::string client;
  uint16_t cport;
  size_t vip;
  // What the last forwarded frame carried toward the server (src, sport, dst): a reply
  // comes back from dst:80 to src:sport.
  std::string out_src, out_dst;
  uint16_t out_sport = 0;
};

std::string text(const uint8_t* a) {
  return net::to_text(net::Ipv4Addr{net::load_be32(a)}).c_str();
}

struct Buf {
  std::vector<uint8_t> buf = std::vector<uint8_t>(2048);
  Packet p;
};

// What the short way takes for granted, from IPVS's state table: a segment without SYN,
// FIN or RST leaves an established connection established, whichever way it travels.
TEST(WorkerSteady, AnAckOnlySegmentLeavesAnEstablishedConnectionAsItIs) {
  for (Direction dir : {Direction::in, Direction::out, Direction::in_only}) {
    for (int flags = 0; flags < 256; ++flags) {
      if (flags & (net::kTcpSyn | net::kTcpFin | net::kTcpRst)) continue;
      EXPECT_EQ(tcp_next_state(ConnState::established, dir, static_cast<uint8_t>(flags)),
                ConnState::established)
          << "direction " << static_cast<int>(dir) << " flags " << flags;
    }
  }
}

TEST(WorkerSteady, SameFramesAndCountersAsTheGeneralWay) {
  const Snapshot live = make_snapshot(1, false);
  const Snapshot drained = make_snapshot(2, true);
  WorkerConfig on{.flows_v4 = 4096, .flows_v6 = 64};
  WorkerConfig off = on;
  off.steady = false;
  Worker a(on), b(off);
  a.use(&live);
  b.use(&live);

  std::mt19937 rng(42);
  std::vector<Flow> flows;
  for (int i = 0; i < 300; ++i)
    flows.push_back({.client = "198.51.100." + std::to_string(1 + rng() % 200),
                     .cport = static_cast<uint16_t>(1024 + rng() % 60000),
                     .vip = rng() % kVips.size()});
  const uint8_t kFlags[] = {net::kTcpSyn,
                            net::kTcpAck,
                            net::kTcpAck,
                            net::kTcpAck,
                            net::kTcpAck | net::kTcpPsh,
                            net::kTcpAck | net::kTcpPsh,
                            net::kTcpFin | net::kTcpAck,
                            net::kTcpRst,
                            net::kTcpSyn | net::kTcpAck};
  uint32_t now = 1000;
  size_t tx = 0, replies = 0;
  for (int step = 0; step < 60000; ++step) {
    if (step % 5000 == 4999) now += static_cast<uint32_t>(rng() % 400);  // flows expire
    if (step == 30000) {
      a.use(&drained);
      b.use(&drained);
    }
    Flow& f = flows[rng() % flows.size()];
    const Vip& v = kVips[f.vip];
    const bool reply = (v.mode == FwdMode::nat || v.mode == FwdMode::fullnat) &&
                       !f.out_dst.empty() && rng() % 3 == 0;
    const uint8_t flags = kFlags[rng() % std::size(kFlags)];
    PacketBuilder pb;
    pb.eth("02:00:00:00:00:aa", kNodeMac);
    if (reply)
      pb.ipv4(f.out_dst, f.out_src);
    else
      pb.ipv4(f.client, v.addr);
    if (v.proto == net::kProtoTcp) {
      if (reply)
        pb.tcp(80, f.out_sport, flags == net::kTcpSyn ? net::kTcpSyn | net::kTcpAck : flags);
      else
        pb.tcp(f.cport, 80, flags);
    } else {
      if (reply)
        pb.udp(80, f.out_sport);
      else
        pb.udp(f.cport, 80);
      pb.payload("datagram");
    }
    const std::vector<uint8_t> frame = pb.build();
    Buf ra, rb;
    for (Buf* r : {&ra, &rb}) {
      std::memcpy(r->buf.data() + 256, frame.data(), frame.size());
      r->p = Packet{
          .data = r->buf.data() + 256, .len = static_cast<uint16_t>(frame.size()), .headroom = 256};
    }
    Batch ba, bb;
    ba.count = bb.count = 1;
    ba.pkts[0] = ra.p;
    bb.pkts[0] = rb.p;
    a.process(ba, now);
    b.process(bb, now);
    const Packet& pa = ba.pkts[0];
    const Packet& pb2 = bb.pkts[0];
    ASSERT_EQ(pa.verdict, pb2.verdict) << "step " << step;
    ASSERT_EQ(pa.drop_reason, pb2.drop_reason) << "step " << step;
    ASSERT_EQ(pa.len, pb2.len) << "step " << step;
    ASSERT_EQ(pa.link, pb2.link) << "step " << step;
    ASSERT_EQ(0, std::memcmp(pa.data, pb2.data, pa.len)) << "step " << step;
    if (pa.verdict == Verdict::tx) {
      ++tx;
      replies += reply;
      if (!reply && v.mode != FwdMode::tun && pa.len >= 14 + 20 + 4) {
        f.out_src = text(pa.data + 14 + 12);
        f.out_dst = text(pa.data + 14 + 16);
        f.out_sport = net::load_be16(pa.data + 14 + 20);
      }
    }
    if (step % 1000 == 0 || step == 59999) {
      ASSERT_EQ(0, std::memcmp(&a.counters(), &b.counters(), sizeof(WorkerCounters)))
          << "step " << step;
      ASSERT_EQ(a.flows(), b.flows());
      ASSERT_EQ(a.rs_counters().size(), b.rs_counters().size());
      for (size_t i = 0; i < a.rs_counters().size(); ++i) {
        const RsCounters& x = a.rs_counters()[i];
        const RsCounters& y = b.rs_counters()[i];
        ASSERT_EQ(x.conns, y.conns);
        ASSERT_EQ(x.flows, y.flows);
        ASSERT_EQ(x.active, y.active);
        ASSERT_EQ(x.in_pkts, y.in_pkts);
        ASSERT_EQ(x.out_pkts, y.out_pkts);
        ASSERT_EQ(x.in_bytes, y.in_bytes);
        ASSERT_EQ(x.out_bytes, y.out_bytes);
      }
      for (size_t si = 0; si < kVips.size(); ++si) {
        const auto la = a.loads(si);
        const auto lb = b.loads(si);
        ASSERT_EQ(la.size(), lb.size());
        for (size_t d = 0; d < la.size(); ++d) {
          ASSERT_EQ(la[d].active, lb[d].active) << "service " << si;
          ASSERT_EQ(la[d].inactive, lb[d].inactive) << "service " << si;
          ASSERT_EQ(la[d].overloaded, lb[d].overloaded) << "service " << si;
        }
      }
    }
  }
  // The short way was taken (by the worker that has it only), the traffic reached the
  // servers in every direction, and flows came and went.
  EXPECT_GT(a.steady_packets(), 10000u);
  EXPECT_EQ(b.steady_packets(), 0u);
  EXPECT_GT(tx, 30000u);
  EXPECT_GT(replies, 3000u);
  EXPECT_GT(a.counters().flows_expired, 100u);
  EXPECT_GT(a.counters().nodest_expired, 10u);
}

}  // namespace
}  // namespace gale::lb
