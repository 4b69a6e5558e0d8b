// Golden tests of NAT64 in FullNAT (lb/nat64.h): an IPv6 VIP served by IPv4 real
// servers. Every expected frame is built independently (PacketBuilder, whose checksums
// are the reference ones) from what RFC 7915 says the translation must give, and the
// translated headers' checksums are summed once more here, the plainest RFC 1071 way.
#include <string>

#include "lb_fixture.h"
#include "nat64_fixture.h"
#include "net/ipv6.h"
#include "net/proxy_protocol.h"

namespace gale::golden {
namespace {

constexpr uint16_t kCport = 40000;
constexpr uint8_t kTclass = 0xb8;  // EF: a traffic class that must survive both ways

// RFC 1071, one 16-bit word at a time: the ones'-complement sum of the bytes, folded.
uint16_t sum16(const Bytes& b, size_t from, size_t len, uint32_t sum = 0) {
  for (size_t i = 0; i < len; i += 2) {
    sum += static_cast<uint32_t>(b.at(from + i) << 8) | (i + 1 < len ? b.at(from + i + 1) : 0);
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(sum);
}
// Whether a sent frame's IP header (IPv4) and TCP/UDP/ICMP checksum sum to all ones.
::testing::AssertionResult sums_right(const Bytes& f) {
  const bool v6 = f.at(12) == 0x86;
  const size_t l3 = 14, hl = v6 ? 40 : 20;
  const size_t l4_len = f.size() - l3 - hl;
  const uint8_t proto = f.at(l3 + (v6 ? 6 : 9));
  if (!v6 && sum16(f, l3, hl) != 0xffff) return ::testing::AssertionFailure() << "IPv4 header";
  uint32_t pseudo = 0;
  if (proto != net::kProtoIcmp) {
    pseudo = sum16(f, l3 + (v6 ? 8 : 12), v6 ? 32 : 8);
    pseudo += proto + static_cast<uint32_t>(l4_len);
  }
  if (sum16(f, l3 + hl, l4_len, pseudo) != 0xffff)
    return ::testing::AssertionFailure() << "L4 checksum of protocol " << int{proto};
  return ::testing::AssertionSuccess();
}

class Nat64Golden : public ::testing::TestWithParam<uint8_t> {
 protected:
  void SetUp() override { g.reload(nat64_snapshot()); }
  uint8_t P = GetParam();
  bool tcp() const { return P == net::kProtoTcp; }

  // client6:40000 -> VIP6:64 (a SYN when TCP), hop limit 64, traffic class EF.
  Seg from_client() const {
    return {.src = kV6.client,
            .dst = kV6.vip,
            .sport = kCport,
            .dport = kNat64Port,
            .proto = P,
            .flags = net::kTcpSyn,
            .tos = kTclass};
  }
  // What the server must receive for it: local address:lport -> server:8080, TTL 63,
  // TOS = the traffic class, DF, identification 0 (the builder's defaults).
  Seg at_server(const Seg& c) const {
    Seg t = c;
    t.src = kV4.laddr;
    t.sport = lport;
    t.dst = text(rs->addr);
    t.dport = kRsPort;
    t.ttl = static_cast<uint8_t>(c.ttl - 1);
    return t;
  }
  // The server's answer, and what the client must receive for it.
  Seg from_server(uint8_t flags) const {
    return {.src = text(rs->addr),
            .dst = kV4.laddr,
            .sport = kRsPort,
            .dport = lport,
            .proto = P,
            .flags = flags,
            .tos = kTclass};
  }
  Seg at_client(const Seg& s) const {
    Seg t = s;
    t.src = kV6.vip;
    t.sport = kNat64Port;
    t.dst = kV6.client;
    t.dport = kCport;
    t.ttl = static_cast<uint8_t>(s.ttl - 1);
    t.no_udp_checksum = false;  // IPv6 requires it
    return t;
  }
  Bytes client_frame(const Seg& s) const { return frame(kClientSideMac, kPort0Mac, s); }
  Bytes server_frame(const Seg& s) const { return frame(text(rs->mac), kPort1Mac, s); }

  // Opens the connection: the client's first packet, checked at the server.
  void open() {
    const Seg c = from_client();
    const Out out = g.run(client_frame(c));
    rs = g.flow_rs(c);
    ASSERT_NE(rs, nullptr);
    ASSERT_TRUE(rs->addr.is_v4());
    ASSERT_EQ(out.verdict, Verdict::tx) << lb::to_string(out.drop);
    lport = sent_sport(out.bytes, false);
    EXPECT_GE(lport, kLportLo);
    EXPECT_LE(lport, kLportHi);
    EXPECT_TRUE(sent(out, 1, frame(kPort1Mac, text(rs->mac), at_server(c))));
    EXPECT_TRUE(sums_right(out.bytes));
  }

  Golden g;
  const RealServer* rs = nullptr;
  uint16_t lport = 0;
};

TEST_P(Nat64Golden, TranslatesEveryHeaderFieldBothWays) {
  open();
  if (HasFatalFailure()) return;
  // The reply grows by 20 bytes into the headroom.
  const Seg reply = from_server(net::kTcpSyn | net::kTcpAck);
  const Out back = g.run(server_frame(reply), 1);
  EXPECT_TRUE(sent(back, 0, frame(kPort0Mac, kGatewayMac, at_client(reply))));
  EXPECT_TRUE(sums_right(back.bytes));

  // Data both ways on the established flow, another hop limit / TTL and payload.
  Seg data = from_client();
  data.flags = net::kTcpAck | net::kTcpPsh;
  data.ttl = 9;
  data.tos = 0;
  data.payload = "GET / HTTP/1.0\r\n\r\n";
  const Out fwd = g.run(client_frame(data));
  EXPECT_TRUE(sent(fwd, 1, frame(kPort1Mac, text(rs->mac), at_server(data))));
  EXPECT_TRUE(sums_right(fwd.bytes));
  Seg answer = from_server(net::kTcpAck | net::kTcpPsh);
  answer.ttl = 200;
  answer.payload = std::string(700, 'x');
  const Out ans = g.run(server_frame(answer), 1);
  EXPECT_TRUE(sent(ans, 0, frame(kPort0Mac, kGatewayMac, at_client(answer))));
  EXPECT_TRUE(sums_right(ans.bytes));
  EXPECT_EQ(g.worker.counters().flows_created, 1u);
}

TEST_P(Nat64Golden, ServerUdpWithoutChecksumGetsOneForIpv6) {
  if (tcp()) GTEST_SKIP() << "UDP only";
  open();
  if (HasFatalFailure()) return;
  Seg reply = from_server(0);
  reply.no_udp_checksum = true;
  reply.payload = "odd-length";
  const Out back = g.run(server_frame(reply), 1);
  EXPECT_TRUE(sent(back, 0, frame(kPort0Mac, kGatewayMac, at_client(reply))));
  EXPECT_TRUE(sums_right(back.bytes));
}

TEST_P(Nat64Golden, CorruptedSegmentStaysCorrupted) {
  open();
  if (HasFatalFailure()) return;
  // One bit flipped in the payload: the incremental update must carry the error over.
  Bytes f = server_frame(from_server(net::kTcpAck));
  f.back() ^= 0x01;
  const Out back = g.run(f, 1);
  ASSERT_EQ(back.verdict, Verdict::tx);
  EXPECT_FALSE(sums_right(back.bytes));
}

TEST_P(Nat64Golden, TtlOneIsDroppedBothWays) {
  open();
  if (HasFatalFailure()) return;
  Seg c = from_client();
  c.flags = net::kTcpAck;
  c.ttl = 1;
  EXPECT_EQ(g.run(client_frame(c)).drop, Drop::ttl_exceeded);
  Seg s = from_server(net::kTcpAck);
  s.ttl = 1;
  EXPECT_EQ(g.run(server_frame(s), 1).drop, Drop::ttl_exceeded);
}

// Extension headers (docs/modes.md, NAT64): a destination options header is not carried
// (RFC 7915 5.1); a fragment header and a routing header with segments left are dropped.
TEST_P(Nat64Golden, ExtensionHeadersAreDroppedOrRefused) {
  open();
  if (HasFatalFailure()) return;
  Seg c = from_client();
  c.flags = net::kTcpAck;
  auto with_ext = [&](uint8_t type, uint16_t frag) {
    PacketBuilder b;
    b.eth(kClientSideMac, kPort0Mac).ipv6(c.src, c.dst).ttl(c.ttl).tos(c.tos).ipv6_ext(type);
    if (type == net::kIpv6ExtFragment) b.frag(frag);
    if (tcp())
      b.tcp(c.sport, c.dport, c.flags).seq(1000).ack(2000);
    else
      b.udp(c.sport, c.dport);
    return b.payload(c.payload).build();
  };
  EXPECT_TRUE(sent(g.run(with_ext(net::kIpv6ExtDestOpts, 0)), 1,
                   frame(kPort1Mac, text(rs->mac), at_server(c))));
  EXPECT_TRUE(sent(g.run(with_ext(net::kIpv6ExtRouting, 0)), 1,
                   frame(kPort1Mac, text(rs->mac), at_server(c))));
  Bytes routed = with_ext(net::kIpv6ExtRouting, 0);
  routed.at(14 + 40 + 3) = 1;  // segments left: the packet is not for the VIP yet
  EXPECT_EQ(g.run(routed).drop, Drop::nat64_untranslatable);
  const Out frag = g.run(with_ext(net::kIpv6ExtFragment, 0x0001));  // offset 0, M
  EXPECT_EQ(frag.verdict, Verdict::drop);
  EXPECT_EQ(frag.drop, Drop::nat64_fragment);
  EXPECT_EQ(g.drops(Drop::nat64_fragment), 1u);
  // An IPv4 fragment of the server's is not reassembled either.
  Seg s = from_server(net::kTcpAck);
  s.frag = net::kIpv4FlagMf;
  EXPECT_EQ(g.run(server_frame(s), 1).drop, Drop::nat64_fragment);
}

// ICMP errors: "fragmentation needed" (MTU 1400) from the server's side becomes "packet
// too big" (MTU 1420) to the client, quoting the packet as the client sent it; "packet
// too big" (MTU 1280) from the client's side becomes "fragmentation needed" (MTU 1260)
// to the server, quoting the packet as the server sent it.
Bytes quote_with_l4_of(const Seg& s, const Bytes& from) {
  Bytes q = quote(s);
  if (s.proto == net::kProtoUdp) std::copy(from.end() - 2, from.end(), q.end() - 2);
  return q;
}

TEST_P(Nat64Golden, FragmentationNeededBecomesPacketTooBig) {
  open();
  if (HasFatalFailure()) return;
  const Seg to_rs = at_server(from_client());  // what gale sent the server
  PacketBuilder in;
  in.eth(text(rs->mac), kPort1Mac).ipv4(text(rs->addr), kV4.laddr).ttl(64).tos(0x10);
  const Bytes err = in.icmp(3, 4, 1400).payload(quote(to_rs)).build();
  const Out out = g.run(err, 1);

  Seg as_sent = from_client();
  as_sent.ttl = to_rs.ttl;  // the quote keeps the hop count it had when it was quoted
  PacketBuilder want;
  want.eth(kPort0Mac, kGatewayMac).ipv6(kV6.vip, kV6.client).ttl(63).tos(0x10);
  want.icmp(2, 0, 1420).payload(quote_with_l4_of(as_sent, quote(to_rs)));
  EXPECT_TRUE(sent(out, 0, want.build()));
  EXPECT_TRUE(sums_right(out.bytes));
  EXPECT_EQ(g.worker.counters().icmp_forwarded, 1u);

  // Port unreachable maps to ICMPv6 port unreachable; source quench has no counterpart.
  PacketBuilder pu;
  pu.eth(text(rs->mac), kPort1Mac).ipv4(text(rs->addr), kV4.laddr);
  const Out unreach = g.run(pu.icmp(3, 3).payload(quote(to_rs)).build(), 1);
  ASSERT_EQ(unreach.verdict, Verdict::tx);
  EXPECT_EQ(unreach.bytes.at(14 + 40), 1);      // destination unreachable
  EXPECT_EQ(unreach.bytes.at(14 + 40 + 1), 4);  // port unreachable
  PacketBuilder sq;
  sq.eth(text(rs->mac), kPort1Mac).ipv4(text(rs->addr), kV4.laddr);
  EXPECT_EQ(g.run(sq.icmp(4, 0).payload(quote(to_rs)).build(), 1).drop, Drop::nat64_untranslatable);
}

TEST_P(Nat64Golden, CorruptedIcmpErrorIsDropped) {
  open();
  if (HasFatalFailure()) return;
  PacketBuilder in;
  in.eth(text(rs->mac), kPort1Mac).ipv4(text(rs->addr), kV4.laddr);
  Bytes err = in.icmp(3, 4, 1400).payload(quote(at_server(from_client()))).build();
  err.back() ^= 0x40;
  EXPECT_EQ(g.run(err, 1).drop, Drop::bad_checksum);
}

TEST_P(Nat64Golden, PacketTooBigBecomesFragmentationNeeded) {
  open();
  if (HasFatalFailure()) return;
  Seg from_vip = at_client(from_server(net::kTcpSyn | net::kTcpAck));  // what the client got
  from_vip.ttl = 60;
  PacketBuilder in;
  in.eth(kClientSideMac, kPort0Mac).ipv6(kV6.router, kV6.vip).ttl(64).tos(0x20);
  const Out out = g.run(in.icmp(2, 0, 1280).payload(quote(from_vip)).build());

  Seg as_sent = from_server(net::kTcpSyn | net::kTcpAck);
  as_sent.ttl = 60;
  PacketBuilder want;
  want.eth(kPort1Mac, text(rs->mac)).ipv4(kV4.laddr, text(rs->addr)).ttl(63).tos(0x20);
  want.icmp(3, 4, 1260).payload(quote_with_l4_of(as_sent, quote(from_vip)));
  EXPECT_TRUE(sent(out, 1, want.build()));
  EXPECT_TRUE(sums_right(out.bytes));
}

INSTANTIATE_TEST_SUITE_P(Golden, Nat64Golden, ::testing::Values(net::kProtoTcp, net::kProtoUdp),
                         [](const ::testing::TestParamInfo<uint8_t>& i) {
                           return std::string(i.param == net::kProtoTcp ? "tcp" : "udp");
                         });

// The PROXY v2 header is built from the client's packet before it changes family: it
// names the client's IPv6 address and the IPv6 VIP ("\x21\x21": TCP over IPv6).
TEST(Nat64ProxyGolden, Version2CarriesTheIpv6ClientAndVip) {
  Golden g;
  g.reload(nat64_snapshot(lb::ProxyProto::v2));
  const uint32_t isn = 5000, server_isn = 9000;
  auto tcp = [](std::string_view s, std::string_view d, uint16_t sp, uint16_t dp, uint8_t flags,
                uint32_t seq, uint32_t ack, uint8_t ttl, const Bytes& payload,
                std::vector<uint8_t> opts = {}) {
    PacketBuilder b;
    b.eth("00:00:00:00:00:00", "00:00:00:00:00:00");
    if (s.find(':') != std::string_view::npos)
      b.ipv6(s, d).ttl(ttl);
    else
      b.ipv4(s, d).ttl(ttl);
    b.tcp(sp, dp, flags).seq(seq).ack(ack);
    if (!opts.empty()) b.tcp_options(opts);
    return b.payload(payload).build();
  };
  auto with_macs = [](Bytes f, std::string_view src, std::string_view dst) {
    const Bytes s = test::mac_bytes(src), d = test::mac_bytes(dst);
    std::copy(d.begin(), d.end(), f.begin());
    std::copy(s.begin(), s.end(), f.begin() + 6);
    return f;
  };
  const Out syn =
      g.run(with_macs(tcp(kV6.client, kV6.vip, kCport, kNat64Port, net::kTcpSyn, isn, 0, 64, {}),
                      kClientSideMac, kPort0Mac));
  ASSERT_EQ(syn.verdict, Verdict::tx) << lb::to_string(syn.drop);
  const RealServer* rs = g.flow_rs({.src = kV6.client,
                                    .dst = kV6.vip,
                                    .sport = kCport,
                                    .dport = kNat64Port,
                                    .proto = net::kProtoTcp});
  ASSERT_NE(rs, nullptr);
  const uint16_t lport = sent_sport(syn.bytes, false);
  const std::string rsa = text(rs->addr), rmac = text(rs->mac);
  EXPECT_TRUE(sent(syn, 1,
                   with_macs(tcp(kV4.laddr, rsa, lport, kRsPort, net::kTcpSyn, isn, 0, 63, {}),
                             kPort1Mac, rmac)));
  // The server's SYN-ACK: its MSS lowered by the header's 52 bytes.
  const Out synack =
      g.run(with_macs(tcp(rsa, kV4.laddr, kRsPort, lport, net::kTcpSyn | net::kTcpAck, server_isn,
                          isn + 1, 64, {}, {2, 4, 0x05, 0xb4}),
                      rmac, kPort1Mac),
            1);
  const uint16_t mss = 1460 - 52;
  EXPECT_TRUE(sent(synack, 0,
                   with_macs(tcp(kV6.vip, kV6.client, kNat64Port, kCport,
                                 net::kTcpSyn | net::kTcpAck, server_isn, isn + 1, 63, {},
                                 {2, 4, static_cast<uint8_t>(mss >> 8), mss & 0xff}),
                             kPort0Mac, kGatewayMac)));
  // The handshake's ACK with data: the header (haproxy's v2, by hand) in front.
  const Bytes hello = {'h', 'i'};
  const Out ack =
      g.run(with_macs(tcp(kV6.client, kV6.vip, kCport, kNat64Port, net::kTcpAck | net::kTcpPsh,
                          isn + 1, server_isn + 1, 64, hello),
                      kClientSideMac, kPort0Mac));
  Bytes want = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51,
                0x55, 0x49, 0x54, 0x0a, 0x21, 0x21, 0x00, 36};
  for (const char* a : {kV6.client, kV6.vip}) {
    const net::IpAddr x = ip(a);
    want.insert(want.end(), x.b.begin(), x.b.end());
  }
  want.insert(want.end(), {kCport >> 8, kCport & 0xff, 0x00, kNat64Port});
  ASSERT_EQ(want.size(), 52u);
  want.insert(want.end(), hello.begin(), hello.end());
  EXPECT_TRUE(sent(ack, 1,
                   with_macs(tcp(kV4.laddr, rsa, lport, kRsPort, net::kTcpAck | net::kTcpPsh,
                                 isn + 1, server_isn + 1, 63, want),
                             kPort1Mac, rmac)));
  EXPECT_TRUE(sums_right(ack.bytes));
  EXPECT_EQ(g.worker.counters().proxy_headers, 1u);
}

// Only FullNAT translates families, and only with an IPv4 local address to send from.
TEST(Nat64Snapshot, OtherModesAndMissingIpv4LocalAddressesAreRefused) {
  Snapshot nat = nat64_snapshot();
  for (RealServer& rs : nat.real_servers)
    if (rs.addr.is_v4() && rs.mode == FwdMode::fullnat) rs.mode = FwdMode::nat;
  const auto r = nat.finalize();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("NAT and FullNAT need the VIP's address family"),
            std::string::npos);

  // One NAT64 service, and only an IPv6 local address.
  Snapshot no_v4;
  no_v4.links.push_back({.mac = mac(kPort0Mac), .gateway_mac = mac(kGatewayMac)});
  no_v4.fullnat = {.laddrs = {ip(kV6.laddr)}, .port_lo = kLportLo, .port_hi = kLportHi};
  no_v4.real_servers.push_back(
      {.addr = ip("10.1.64.1"), .port = kRsPort, .mode = FwdMode::fullnat});
  no_v4.services.push_back({.vip = ip(kV6.vip),
                            .port = kNat64Port,
                            .proto = net::kProtoTcp,
                            .dests = {{.addr = ip("10.1.64.1"), .port = kRsPort, .weight = 1}},
                            .dest_ids = {0}});
  const auto r2 = no_v4.finalize();
  ASSERT_FALSE(r2.has_value());
  EXPECT_NE(r2.error().message.find("no FullNAT local address is of its family (IPv4)"),
            std::string::npos)
      << r2.error().message;
  no_v4.fullnat.laddrs.push_back(ip(kV4.laddr));
  EXPECT_TRUE(no_v4.finalize().has_value());

  EXPECT_TRUE(nat64_snapshot().nat64);
  EXPECT_FALSE(make_snapshot().nat64);
}

}  // namespace
}  // namespace gale::golden
