// FullNAT local addresses keep stable ids across reloads (LocalAddrIds): reordering or
// shrinking `fullnat_local_addresses` under live flows moves no flow to another
// address, reads nothing past the array (ASan build), and frees an id once its flows
// have drained.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ctl/parser.h"
#include "ctl/snapshot_builder.h"
#include "lb/worker.h"
#include "packet_builder.h"

namespace gale::ctl {
namespace {

using Bytes = std::vector<uint8_t>;

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

HostView host() {
  return HostView{.link_macs = {*net::parse_mac("02:00:00:00:00:01")},
                  .routes = {.v4 = {{.prefix = *net::parse_ip("0.0.0.0"),
                                     .len = 0,
                                     .link = 0,
                                     .mac = *net::parse_mac("02:00:00:00:00:fe")}}},
                  .neighbour = [](const net::IpAddr&, uint16_t) -> std::optional<net::MacAddr> {
                    return *net::parse_mac("02:00:00:00:02:01");
                  }};
}

std::string conf(const std::string& laddrs) {
  return "gale {\n  interfaces eth0\n  fullnat_local_addresses " + laddrs +
         "\n}\n"
         "virtual_server 192.0.2.10 53 {\n  protocol UDP\n  lb_algo rr\n  lb_kind FULLNAT\n"
         "  real_server 10.1.0.1 53\n}\n";
}

// A worker and every snapshot it was given (flows may name old ones' ids).
struct Node {
  RealServerIds ids;
  std::vector<std::unique_ptr<lb::Snapshot>> snaps;
  lb::Worker worker{{.flows_v4 = 1024, .flows_v6 = 64}};
  uint32_t now = 1000;

  const lb::Snapshot& load(const std::string& laddrs) {
    auto cfg = parse_config(conf(laddrs), "t.conf");
    EXPECT_TRUE(cfg.has_value());
    auto b = build_snapshot(*cfg, host(), ids);
    EXPECT_TRUE(b.has_value()) << b.error().message;
    snaps.push_back(std::make_unique<lb::Snapshot>(std::move(b->snapshot)));
    snaps.back()->generation = snaps.size();
    worker.use(snaps.back().get());
    return *snaps.back();
  }
  // Runs one frame; returns what was sent (empty when not sent).
  Bytes run(Bytes f) {
    Bytes buf(lb::kMinHeadroom + f.size());
    std::copy(f.begin(), f.end(), buf.begin() + lb::kMinHeadroom);
    lb::Batch b;
    b.count = 1;
    b.pkts[0] = {.data = buf.data() + lb::kMinHeadroom,
                 .len = static_cast<uint16_t>(f.size()),
                 .headroom = lb::kMinHeadroom};
    worker.process(b, now);
    if (b.pkts[0].verdict != lb::Verdict::tx) return {};
    return Bytes(b.pkts[0].data, b.pkts[0].data + b.pkts[0].len);
  }
  Bytes from_client(uint16_t cport) {
    return run(test::PacketBuilder()
                   .eth("02:00:00:00:00:aa", "02:00:00:00:00:01")
                   .ipv4("198.51.100.7", "192.0.2.10")
                   .udp(cport, 53)
                   .payload("q")
                   .build());
  }
  Bytes from_server(const std::string& laddr, uint16_t lport) {
    return run(test::PacketBuilder()
                   .eth("02:00:00:00:02:01", "02:00:00:00:00:01")
                   .ipv4("10.1.0.1", laddr)
                   .udp(53, lport)
                   .payload("a")
                   .build());
  }
};

// The IPv4 source address (dotted) and the L4 source port of a frame gale sent.
std::string src_of(const Bytes& f) {
  return std::to_string(f.at(26)) + "." + std::to_string(f.at(27)) + "." +
         std::to_string(f.at(28)) + "." + std::to_string(f.at(29));
}
uint16_t sport_of(const Bytes& f) {
  return static_cast<uint16_t>(f.at(34) << 8 | f.at(35));
}
uint16_t dport_of(const Bytes& f) {
  return static_cast<uint16_t>(f.at(36) << 8 | f.at(37));
}

TEST(LocalAddrIds, ReorderAndShrinkUnderLiveFlows) {
  Node n;
  const lb::Snapshot& a = n.load("10.2.0.1 10.2.0.2 10.2.0.3");
  ASSERT_EQ(a.fullnat.laddrs.size(), 3u);
  // One flow per address: the pair cursor walks the addresses fastest.
  std::vector<Bytes> first;
  for (uint16_t cport = 1000; cport < 1003; ++cport)
    first.push_back(n.from_client(cport));
  ASSERT_EQ(src_of(first[0]), "10.2.0.1");
  ASSERT_EQ(src_of(first[1]), "10.2.0.2");
  ASSERT_EQ(src_of(first[2]), "10.2.0.3");

  // Reordered, and 10.2.0.2 removed: ids stay, the removed address drains.
  const lb::Snapshot& b = n.load("10.2.0.3 10.2.0.1");
  EXPECT_EQ(b.fullnat.laddrs,
            (std::vector<net::IpAddr>{ip("10.2.0.1"), ip("10.2.0.2"), ip("10.2.0.3")}));
  EXPECT_TRUE(b.fullnat.is_live(0));
  EXPECT_FALSE(b.fullnat.is_live(1));
  EXPECT_TRUE(b.fullnat.is_live(2));
  for (uint16_t i = 0; i < 3; ++i)
    EXPECT_EQ(n.from_client(static_cast<uint16_t>(1000 + i)), first[i]) << i;
  // The draining address's replies still reach the client.
  const Bytes back = n.from_server("10.2.0.2", sport_of(first[1]));
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(dport_of(back), 1001);
  // New connections never take it.
  for (uint16_t cport = 2000; cport < 2010; ++cport) {
    const Bytes out = n.from_client(cport);
    ASSERT_FALSE(out.empty());
    EXPECT_NE(src_of(out), "10.2.0.2");
  }
  EXPECT_EQ(n.worker.laddr_flows()[1], 1u);

  // Once its flows have expired, the id is released and the next build drops it.
  n.now += 400;  // past the UDP timeout
  lb::Batch empty;
  for (int i = 0; i < 100; ++i)
    n.worker.process(empty, n.now);
  EXPECT_EQ(n.worker.laddr_flows()[1], 0u);
  n.ids.local_addrs.release(1);
  const lb::Snapshot& c = n.load("10.2.0.3 10.2.0.1");
  ASSERT_EQ(c.fullnat.laddrs.size(), 3u);
  EXPECT_EQ(c.fullnat.laddrs[1].family, net::Family::none);
  EXPECT_FALSE(c.fullnat.is_live(1));
  for (uint16_t cport = 3000; cport < 3006; ++cport) {
    const Bytes out = n.from_client(cport);
    ASSERT_FALSE(out.empty());
    EXPECT_TRUE(src_of(out) == "10.2.0.1" || src_of(out) == "10.2.0.3") << src_of(out);
  }
  // A new address takes the free id: no slot leaks.
  const lb::Snapshot& d = n.load("10.2.0.3 10.2.0.1 10.2.0.4");
  EXPECT_EQ(d.fullnat.laddrs[1], ip("10.2.0.4"));
  EXPECT_EQ(d.fullnat.laddrs.size(), 3u);
}

TEST(LocalAddrIds, AssignsLowestFreeAndRefusesPast255) {
  LocalAddrIds ids;
  net::IpAddr a = ip("10.0.0.0");
  for (int i = 0; i < 255; ++i) {
    a.b[3] = static_cast<uint8_t>(i);
    ASSERT_EQ(ids.assign(a), std::optional<uint8_t>(static_cast<uint8_t>(i)));
  }
  a.b[2] = 1;
  EXPECT_EQ(ids.assign(a), std::nullopt);
  ids.release(7);
  EXPECT_EQ(ids.assign(a), std::optional<uint8_t>(7));
  EXPECT_EQ(ids.find(a), std::optional<uint8_t>(7));
}

}  // namespace
}  // namespace gale::ctl
