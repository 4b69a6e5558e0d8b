// Golden tests of the reply path's next hop: NAT and FullNAT replies (and ICMP errors
// relayed to clients) go where the route toward the client says -- the longest prefix
// of the client's family -- to the gateway's MAC, or to an on-link client's own MAC
// from the neighbour table; no route and an unresolved neighbour are counted drops.
#include "lb_fixture.h"

namespace gale::golden {
namespace {

inline constexpr const char* kGw4Mac = "02:00:00:00:04:fe";     // IPv4 default gateway
inline constexpr const char* kGw6Mac = "02:00:00:00:06:fe";     // IPv6 default gateway
inline constexpr const char* kClientMac = "02:00:00:00:0c:07";  // the on-link client

// The fixture's snapshot with a route table: defaults of both families through their
// own gateways on link 0, plus the routes and neighbours a test adds.
Snapshot routed(std::vector<lb::Route> extra = {}, std::vector<lb::Neighbour> neighbours = {},
                bool v6_default = true) {
  Snapshot s = make_snapshot();
  s.generation = 2;
  s.routes.v4.push_back({.prefix = ip("0.0.0.0"), .len = 0, .link = 0, .mac = mac(kGw4Mac)});
  if (v6_default)
    s.routes.v6.push_back({.prefix = ip("::"), .len = 0, .link = 0, .mac = mac(kGw6Mac)});
  for (const lb::Route& r : extra)
    (r.prefix.is_v4() ? s.routes.v4 : s.routes.v6).push_back(r);
  s.routes.neighbours = std::move(neighbours);
  s.routes.sort();
  s.routes.from_host = true;
  s.neighbour_misses = std::make_shared<lb::NeighbourMisses>();
  return s;
}

// Sends the client's first packet through NAT and the server's answer back; returns
// what the worker made of the answer and the frame the client should get (from `to`).
struct Reply {
  Out out;
  Bytes want;
};
Reply nat_reply(Golden& g, const Seg& s, const char* to_mac) {
  EXPECT_EQ(g.run(frame(kClientSideMac, kPort0Mac, s)).verdict, Verdict::tx);
  const RealServer* rs = g.flow_rs(s);
  EXPECT_NE(rs, nullptr);
  if (!rs) return {};
  Seg to_rs = s;
  to_rs.dst = text(rs->addr);
  to_rs.dport = kRsPort;
  Seg reply = to_rs.reversed();
  reply.ttl = 64;
  Seg to_client = s.reversed();
  to_client.ttl = 63;
  return {g.run(frame(text(rs->mac), kPort1Mac, reply), 1), frame(kPort0Mac, to_mac, to_client)};
}

class ReplyRoute : public PerFamily {};

TEST_P(ReplyRoute, EachFamilyUsesItsOwnGateway) {
  Golden g;
  g.reload(routed());
  const Reply r = nat_reply(g, to_vip(Svc::nat), F.v6 ? kGw6Mac : kGw4Mac);
  EXPECT_TRUE(sent(r.out, 0, r.want));
}

TEST_P(ReplyRoute, OnLinkClientGetsItsOwnMac) {
  // The client's /24 (/64) is on link 0; the longer prefix wins over the default.
  const net::IpAddr client = ip(F.client);
  net::IpAddr prefix = client;
  for (size_t i = F.v6 ? 8 : 3; i < 16; ++i)
    prefix.b[i] = 0;
  Golden g;
  g.reload(routed({{.prefix = prefix, .len = uint8_t(F.v6 ? 64 : 24), .link = 0, .on_link = true}},
                  {{.addr = client, .link = 0, .mac = mac(kClientMac)}}));
  const Reply r = nat_reply(g, to_vip(Svc::nat), kClientMac);
  EXPECT_TRUE(sent(r.out, 0, r.want));
}

TEST_P(ReplyRoute, UnresolvedOnLinkClientIsACountedDropAndNoted) {
  const net::IpAddr client = ip(F.client);
  Golden g;
  g.reload(
      routed({{.prefix = client, .len = uint8_t(F.v6 ? 128 : 32), .link = 0, .on_link = true}}));
  const Reply r = nat_reply(g, to_vip(Svc::nat), kClientMac);
  EXPECT_EQ(r.out.verdict, Verdict::drop);
  EXPECT_EQ(r.out.drop, Drop::no_neighbour);
  EXPECT_EQ(g.drops(Drop::no_neighbour), 1u);
  // galed learns which address to resolve.
  const auto noted = g.snap().neighbour_misses->take();
  ASSERT_EQ(noted.size(), 1u);
  EXPECT_EQ(noted[0], client);
  EXPECT_TRUE(g.snap().neighbour_misses->take().empty());
}

TEST_P(ReplyRoute, FullNatReplyFollowsTheClientsRoute) {
  Golden g;
  g.reload(routed());
  const Seg s = to_vip(Svc::fullnat);
  const Out in = g.run(frame(kClientSideMac, kPort0Mac, s));
  ASSERT_EQ(in.verdict, Verdict::tx) << lb::to_string(in.drop);
  const RealServer* rs = g.flow_rs(s);
  ASSERT_NE(rs, nullptr);
  const size_t l4 = 14 + (F.v6 ? 40 : 20);
  Seg reply{.src = text(rs->addr),
            .dst = F.laddr,
            .sport = kRsPort,
            .dport = static_cast<uint16_t>(in.bytes.at(l4) << 8 | in.bytes.at(l4 + 1)),
            .proto = P,
            .flags = net::kTcpSyn};
  Seg to_client = s.reversed();
  to_client.ttl = 63;
  EXPECT_TRUE(sent(g.run(frame(text(rs->mac), kPort1Mac, reply), 1), 0,
                   frame(kPort0Mac, F.v6 ? kGw6Mac : kGw4Mac, to_client)));
}

// An ICMP "too big" error a real server sends about a packet of the connection.
Bytes icmp_frame(std::string_view src_mac, std::string_view dst_mac, std::string_view src,
                 std::string_view dst, uint8_t ttl, const Bytes& q) {
  PacketBuilder b;
  b.eth(src_mac, dst_mac);
  if (src.find(':') != std::string_view::npos)
    b.ipv6(src, dst).ttl(ttl).icmp(2, 0, 1400);
  else
    b.ipv4(src, dst).ttl(ttl).icmp(3, 4, 1400);
  return b.payload(q).build();
}

// The ICMP relay's to-client branch takes the client's route too: an on-link client gets
// the error at its own MAC, in NAT (the error's destination is the client) and FullNAT
// (the destination is rewritten to the client).
TEST_P(ReplyRoute, IcmpRelayedToAnOnLinkClientGetsItsMac) {
  const net::IpAddr client = ip(F.client);
  for (Svc svc : {Svc::nat, Svc::fullnat}) {
    SCOPED_TRACE(port_of(svc));
    Golden g;
    g.reload(
        routed({{.prefix = client, .len = uint8_t(F.v6 ? 128 : 32), .link = 0, .on_link = true}},
               {{.addr = client, .link = 0, .mac = mac(kClientMac)}}));
    const Seg s = to_vip(svc);
    const Out in = g.run(frame(kClientSideMac, kPort0Mac, s));
    ASSERT_EQ(in.verdict, Verdict::tx) << lb::to_string(in.drop);
    const RealServer* rs = g.flow_rs(s);
    ASSERT_NE(rs, nullptr);
    const Bytes sent_to_rs(in.bytes.begin() + 14, in.bytes.end());  // what the server got
    Bytes q(sent_to_rs.begin(), sent_to_rs.begin() + (F.v6 ? 40 : 20) + 8);
    const std::string to = svc == Svc::nat ? F.client : F.laddr;
    const Out out = g.run(icmp_frame(text(rs->mac), kPort1Mac, text(rs->addr), to, 64, q), 1);
    ASSERT_EQ(out.verdict, Verdict::tx) << lb::to_string(out.drop);
    EXPECT_EQ(out.link, 0);
    const net::MacAddr want = mac(kClientMac);
    EXPECT_EQ(Bytes(out.bytes.begin(), out.bytes.begin() + 6), Bytes(want.b.begin(), want.b.end()));
    EXPECT_EQ(g.worker.counters().icmp_forwarded, 1u);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, ReplyRoute, ::testing::ValuesIn(kCases), case_name);

// Without an IPv6 route, an IPv6 reply has nowhere to go: dropped and counted, never
// sent to the IPv4 gateway.
TEST(ReplyRouteNone, NoRouteIsACountedDrop) {
  Golden g;
  g.reload(routed({}, {}, /*v6_default=*/false));
  const Seg s{.src = kV6.client, .dst = kV6.vip, .dport = port_of(Svc::nat), .flags = net::kTcpSyn};
  const Reply r = nat_reply(g, s, kGw4Mac);
  EXPECT_EQ(r.out.verdict, Verdict::drop);
  EXPECT_EQ(r.out.drop, Drop::no_route);
  EXPECT_EQ(g.drops(Drop::no_route), 1u);
}

}  // namespace
}  // namespace gale::golden

namespace gale::golden {
namespace {

// A host with no route at all (galed's snapshot: a route table, empty) drops and counts
// replies; only a hand-built snapshot without a table falls back to the gateway MAC.
TEST(ReplyRouteNone, AnEmptyTableFromTheHostIsNoRoute) {
  Golden g;
  Snapshot s = make_snapshot();
  s.generation = 2;
  s.routes.from_host = true;
  g.reload(std::move(s));
  const Seg c{.src = kV4.client, .dst = kV4.vip, .dport = port_of(Svc::nat), .flags = net::kTcpSyn};
  const Reply r = nat_reply(g, c, kGatewayMac);
  EXPECT_EQ(r.out.drop, Drop::no_route);
  EXPECT_EQ(g.drops(Drop::no_route), 1u);
}

}  // namespace
}  // namespace gale::golden
