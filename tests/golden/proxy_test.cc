// Golden tests of the PROXY protocol behind FullNAT (lb/client_addr.h): the header's
// bytes as haproxy's specification ("The PROXY protocol", versions 1 and 2) writes them,
// and a whole connection through a worker -- handshake, the header in front of the
// first payload, retransmissions of that segment, data both ways, SACK, FIN, RST --
// each frame compared with one built independently.
#include <string>
#include <vector>

#include "net/proxy_protocol.h"
#include "tcp_conn.h"

namespace gale::golden {
namespace {

// --- the header's bytes ------------------------------------------------------------

net::ProxyEndpoints endpoints(const char* src, const char* dst, uint8_t proto = net::kProtoTcp) {
  return {.src = ip(src), .dst = ip(dst), .sport = 40000, .dport = 443, .proto = proto};
}
Bytes header(int version, const net::ProxyEndpoints& e) {
  uint8_t buf[net::kProxyHeaderMax];
  const size_t n = net::write_proxy_header(buf, version, e);
  return Bytes(buf, buf + n);
}

TEST(ProxyHeader, Version1IsOneTextLine) {
  EXPECT_EQ(header(1, endpoints("198.51.100.7", "192.0.2.10")),
            bytes_of("PROXY TCP4 198.51.100.7 192.0.2.10 40000 443\r\n"));
  EXPECT_EQ(header(1, endpoints("2001:db8:c::7", "2001:db8:a::10")),
            bytes_of("PROXY TCP6 2001:db8:c::7 2001:db8:a::10 40000 443\r\n"));
  // The longest line the specification allows fits (107 bytes).
  net::ProxyEndpoints e = endpoints("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
                                    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  e.sport = e.dport = 65535;
  EXPECT_EQ(header(1, e).size(), 104u);
  // Version 1 has no UDP form; mixed families describe nothing.
  EXPECT_TRUE(header(1, endpoints("198.51.100.7", "192.0.2.10", net::kProtoUdp)).empty());
  EXPECT_TRUE(header(2, endpoints("198.51.100.7", "2001:db8:a::10")).empty());
}

TEST(ProxyHeader, Version2IsBinary) {
  const Bytes sig = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
  Bytes v4 = sig;
  // version 2 | PROXY, AF_INET | STREAM, 12 address bytes, src, dst, ports.
  v4.insert(v4.end(),
            {0x21, 0x11, 0x00, 0x0c, 198, 51, 100, 7, 192, 0, 2, 10, 0x9c, 0x40, 0x01, 0xbb});
  EXPECT_EQ(header(2, endpoints("198.51.100.7", "192.0.2.10")), v4);

  Bytes v6 = sig;
  // AF_INET6 | DGRAM, 36 address bytes.
  v6.insert(v6.end(), {0x21, 0x22, 0x00, 0x24});
  v6.insert(v6.end(), {0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7});
  v6.insert(v6.end(), {0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10});
  v6.insert(v6.end(), {0x9c, 0x40, 0x01, 0xbb});
  EXPECT_EQ(header(2, endpoints("2001:db8:c::7", "2001:db8:a::10", net::kProtoUdp)), v6);
}

// --- a connection through the worker -------------------------------------------------

struct ProxyCase {
  const Family* f;
  lb::ProxyProto version;
};
void PrintTo(const ProxyCase& c, std::ostream* os) {
  *os << c.f->name << "/" << lb::to_string(c.version);
}

class ProxyGolden : public ::testing::TestWithParam<ProxyCase>, public TcpConn {
 protected:
  ProxyGolden() : TcpConn(*GetParam().f) {}
  void SetUp() override { g.reload(client_addr_snapshot(GetParam().version)); }

  // The header the real server must read: the client and the VIP it connected to,
  // written out from the specification.
  Bytes expected_header() const {
    const std::string c = F.client, v = F.vip;
    if (GetParam().version == lb::ProxyProto::v1)
      return bytes_of(std::string("PROXY ") + (F.v6 ? "TCP6 " : "TCP4 ") + c + " " + v +
                      " 40000 95\r\n");
    Bytes h = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21};
    h.push_back(F.v6 ? 0x21 : 0x11);
    h.push_back(0);
    h.push_back(F.v6 ? 36 : 12);
    for (const std::string& a : {c, v}) {
      const net::IpAddr x = ip(a);
      h.insert(h.end(), x.b.begin(), x.b.begin() + (F.v6 ? 16 : 4));
    }
    h.insert(h.end(), {0x9c, 0x40, 0x00, 95});
    return h;
  }

  // The handshake: the SYN passes unchanged but for FullNAT's rewrite; the SYN-ACK's
  // MSS is lowered by the header's length.
  void handshake() { TcpConn::handshake({}, {}, static_cast<uint16_t>(kServerMss - delta())); }
  uint32_t delta() const { return static_cast<uint32_t>(expected_header().size()); }
  // The handshake, then "GET /" with the header in front, acknowledged whole.
  void header_sent_and_acknowledged() {
    handshake();
    if (HasFatalFailure()) return;
    const uint32_t first = kIsn + 1;
    Tcp get = from_client(net::kTcpAck, first, kServerIsn + 1, "GET /");
    EXPECT_TRUE(server_gets(client_sends(get), at_server(get, first, header_and("GET /"))));
    Tcp acked = from_server(net::kTcpAck, kServerIsn + 1, first + delta() + 5);
    EXPECT_TRUE(client_gets(server_sends(acked), at_client(acked, first + 5, {})));
  }
  Bytes header_and(std::string_view data) const {
    Bytes b = expected_header();
    b.insert(b.end(), data.begin(), data.end());
    return b;
  }
};

TEST_P(ProxyGolden, HeaderGoesInFrontOfTheFirstPayloadAndSequencesFollow) {
  handshake();
  if (HasFatalFailure()) return;
  const uint32_t first = kIsn + 1;
  const uint32_t d = delta();

  // The handshake's ACK carries the header at once (a server that speaks first has it).
  Tcp ack = from_client(net::kTcpAck, first, kServerIsn + 1);
  EXPECT_TRUE(server_gets(client_sends(ack), at_server(ack, first, expected_header())));
  // So does the first data segment, and its retransmission, while the server has not
  // acknowledged the header: the same bytes at the same place.
  Tcp get = from_client(net::kTcpAck | net::kTcpPsh, first, kServerIsn + 1, "GET /");
  EXPECT_TRUE(server_gets(client_sends(get), at_server(get, first, header_and("GET /"))));
  EXPECT_TRUE(server_gets(client_sends(get), at_server(get, first, header_and("GET /"))));
  EXPECT_EQ(g.worker.counters().proxy_headers, 3u);

  // An acknowledgement of part of the header is one of nothing, for the client.
  Tcp part = from_server(net::kTcpAck, kServerIsn + 1, first + 2);
  EXPECT_TRUE(client_gets(server_sends(part), at_client(part, first, {})));
  // The server acknowledges the header and "GET /": the client sees 5 bytes acked.
  Tcp acked = from_server(net::kTcpAck, kServerIsn + 1, first + d + 5);
  EXPECT_TRUE(client_gets(server_sends(acked), at_client(acked, first + 5, {})));

  // From now on the first segment again goes without the header, moved past it...
  EXPECT_TRUE(server_gets(client_sends(get), at_server(get, first + d, bytes_of("GET /"))));
  // ... like every later segment; the sequence space wraps past 2^32 meanwhile.
  Tcp more = from_client(net::kTcpAck, first + 5, kServerIsn + 1, "more data");
  EXPECT_TRUE(
      server_gets(client_sends(more), at_server(more, first + 5 + d, bytes_of("more data"))));
  EXPECT_EQ(g.worker.counters().proxy_headers, 3u);

  // SACK blocks move like acknowledgements, at an odd offset too (NOP, SACK, NOP).
  const uint32_t l = first + 20 + d, r = first + 30 + d;
  auto sack = [](uint32_t a, uint32_t b) {
    return std::vector<uint8_t>{1,
                                5,
                                10,
                                static_cast<uint8_t>(a >> 24),
                                static_cast<uint8_t>(a >> 16),
                                static_cast<uint8_t>(a >> 8),
                                static_cast<uint8_t>(a),
                                static_cast<uint8_t>(b >> 24),
                                static_cast<uint8_t>(b >> 16),
                                static_cast<uint8_t>(b >> 8),
                                static_cast<uint8_t>(b),
                                1};
  };
  Tcp with_sack = from_server(net::kTcpAck, kServerIsn + 1, first + 14 + d, sack(l, r));
  EXPECT_TRUE(client_gets(server_sends(with_sack),
                          at_client(with_sack, first + 14, sack(first + 20, first + 30))));

  // FIN and RST travel in the server's space like data.
  Tcp fin = from_client(net::kTcpFin | net::kTcpAck, first + 14, kServerIsn + 1);
  EXPECT_TRUE(server_gets(client_sends(fin), at_server(fin, first + 14 + d, {})));
  Tcp rst = from_client(net::kTcpRst, first + 15, 0);
  EXPECT_TRUE(server_gets(client_sends(rst), at_server(rst, first + 15 + d, {})));
}

// Past 2 GiB of the client's bytes, TCP's signed comparison of sequence numbers says
// "before first_seq": the translation must not (found by fuzz_proxy; the server lost
// the header's length of the upload there, and the client saw acknowledgements of
// bytes the server did not have).
TEST_P(ProxyGolden, SequencesStillMovePastTwoGibibytes) {
  header_sent_and_acknowledged();
  if (HasFatalFailure()) return;
  const uint32_t first = kIsn + 1;
  const uint32_t d = delta();
  for (uint32_t offset : {0x80000000u, 0xc0000000u, 0xfffff000u}) {
    SCOPED_TRACE(offset);
    Tcp more = from_client(net::kTcpAck, first + offset, kServerIsn + 1, "more");
    EXPECT_TRUE(
        server_gets(client_sends(more), at_server(more, first + offset + d, bytes_of("more"))));
    Tcp ack = from_server(net::kTcpAck, kServerIsn + 1, first + offset + d + 4);
    EXPECT_TRUE(client_gets(server_sends(ack), at_client(ack, first + offset + 4, {})));
  }
}

TEST_P(ProxyGolden, ResetBeforeTheHeaderStaysWhereTheServerExpectsIt) {
  handshake();
  if (HasFatalFailure()) return;
  Tcp rst = from_client(net::kTcpRst | net::kTcpAck, kIsn + 1, kServerIsn + 1);
  EXPECT_TRUE(server_gets(client_sends(rst), at_server(rst, kIsn + 1, {})));
  EXPECT_EQ(g.worker.counters().proxy_headers, 0u);
}

// Once the server has acknowledged the header, a reset at the first payload byte moves
// past it like data there would (found by fuzz_proxy: the reset stayed at ISN + 1,
// inside the header, where the server's window no longer is).
TEST_P(ProxyGolden, ResetAfterTheHeaderMovesPastIt) {
  header_sent_and_acknowledged();
  if (HasFatalFailure()) return;
  Tcp rst = from_client(net::kTcpRst, kIsn + 1, 0);
  EXPECT_TRUE(server_gets(client_sends(rst), at_server(rst, kIsn + 1 + delta(), {})));
}

TEST_P(ProxyGolden, CorruptedFirstSegmentIsDroppedNotMadeSound) {
  handshake();
  if (HasFatalFailure()) return;
  Tcp get = from_client(net::kTcpAck, kIsn + 1, kServerIsn + 1, "GET /");
  get.checksum = 0x1234;
  const Out out = client_sends(get);
  EXPECT_EQ(out.verdict, Verdict::drop);
  EXPECT_EQ(out.drop, Drop::bad_checksum);
  EXPECT_EQ(g.drops(Drop::bad_checksum), 1u);
  // The client's retransmission, sound this time, carries the header.
  get.checksum.reset();
  EXPECT_TRUE(server_gets(client_sends(get), at_server(get, kIsn + 1, header_and("GET /"))));
}

TEST_P(ProxyGolden, ConnectionTakenUpMidstreamGoesWithoutHeader) {
  // No SYN seen (another node began it): nothing to translate against.
  EXPECT_TRUE(midstream_passes_unchanged());
  EXPECT_EQ(g.worker.counters().proxy_headers, 0u);
}

// A node taking the connection over (connection sync, an export) goes on translating:
// the record carries the first sequence number, the header's length and whether the
// server has it.
TEST_P(ProxyGolden, TakeoverGoesOnTranslating) {
  header_sent_and_acknowledged();
  if (HasFatalFailure()) return;
  const uint32_t first = kIsn + 1;
  const uint32_t d = delta();

  std::vector<lb::FlowRecord> recs;
  g.worker.export_flows(recs, g.now);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].proxy_version, GetParam().version == lb::ProxyProto::v1 ? 1 : 2);
  EXPECT_EQ(recs[0].proxy_first_seq, first);
  EXPECT_EQ(recs[0].proxy_delta, d);
  EXPECT_TRUE(recs[0].proxy_acked);

  Golden other;  // the peer, with the same config
  other.reload(client_addr_snapshot(GetParam().version));
  ASSERT_EQ(other.worker.import_flow(recs[0], other.now), lb::ImportResult::ok);
  node = &other;
  Tcp more = from_client(net::kTcpAck, first + 5, kServerIsn + 1, "more");
  EXPECT_TRUE(server_gets(client_sends(more), at_server(more, first + 5 + d, bytes_of("more"))));
  Tcp ack = from_server(net::kTcpAck, kServerIsn + 1, first + 9 + d);
  EXPECT_TRUE(client_gets(server_sends(ack), at_client(ack, first + 9, {})));
  EXPECT_EQ(other.worker.counters().proxy_headers, 0u);
  EXPECT_EQ(other.worker.counters().flows_imported, 1u);
}

const ProxyCase kProxyCases[] = {{&kV4, lb::ProxyProto::v1},
                                 {&kV4, lb::ProxyProto::v2},
                                 {&kV6, lb::ProxyProto::v1},
                                 {&kV6, lb::ProxyProto::v2}};
INSTANTIATE_TEST_SUITE_P(All, ProxyGolden, ::testing::ValuesIn(kProxyCases),
                         [](const ::testing::TestParamInfo<ProxyCase>& i) {
                           return std::string(i.param.f->name) + "_" +
                                  lb::to_string(i.param.version);
                         });

// UDP: version 2 in front of every datagram toward the server; replies unchanged.
TEST(ProxyGoldenUdp, Version2PrecedesEveryDatagram) {
  for (const Family* f : {&kV4, &kV6}) {
    SCOPED_TRACE(f->name);
    Golden g;
    g.reload(client_addr_snapshot(lb::ProxyProto::v2));
    Seg q{.src = f->client,
          .dst = f->vip,
          .sport = kCport,
          .dport = port_of(Svc::fullnat),
          .proto = net::kProtoUdp,
          .payload = "query"};
    Bytes hdr = header(2, {.src = ip(f->client),
                           .dst = ip(f->vip),
                           .sport = kCport,
                           .dport = port_of(Svc::fullnat),
                           .proto = net::kProtoUdp});
    ASSERT_EQ(hdr.size(), f->v6 ? 52u : 28u);
    for (int i = 0; i < 2; ++i) {
      const Out out = g.run(frame(kClientSideMac, kPort0Mac, q));
      const RealServer* rs = g.flow_rs(q);
      ASSERT_NE(rs, nullptr);
      ASSERT_EQ(out.verdict, Verdict::tx) << lb::to_string(out.drop);
      PacketBuilder b;
      b.eth(kPort1Mac, text(rs->mac));
      if (f->v6)
        b.ipv6(f->laddr, text(rs->addr)).ttl(63);
      else
        b.ipv4(f->laddr, text(rs->addr)).ttl(63);
      Bytes body = hdr;
      body.insert(body.end(), q.payload.begin(), q.payload.end());
      b.udp(sent_sport(out.bytes, f->v6), kRsPort).payload(body);
      EXPECT_TRUE(sent(out, 1, b.build()));
    }
    EXPECT_EQ(g.worker.counters().proxy_headers, 2u);
  }
}

}  // namespace
}  // namespace gale::golden
