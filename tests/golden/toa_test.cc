// Golden tests of the TOA option behind FullNAT (lb/client_addr.h): option 254 with the
// client's port and address -- 8 bytes for IPv4, 20 for IPv6, the layout DPVS and its
// toa kernel module use -- first among the options of the client's SYN and of the
// segments at its first sequence number until the server is past the handshake. Each
// frame is compared with one built independently (PacketBuilder computes the lengths,
// data offset and checksums).
#include <string>
#include <vector>

#include "tcp_conn.h"

namespace gale::golden {
namespace {

// A typical SYN's options (Linux): MSS, SACK permitted, timestamps, NOP, window scale.
const std::vector<uint8_t> kSynOpts = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                       0, 1, 0,    0,    0, 0, 1, 3,  3, 7};
// A later segment's: NOP, NOP, timestamps.
const std::vector<uint8_t> kTsOpts = {1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 9};

std::vector<uint8_t> plus(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class ToaGolden : public ::testing::TestWithParam<const Family*>, public TcpConn {
 protected:
  ToaGolden() : TcpConn(*GetParam()) {}
  void SetUp() override { g.reload(client_addr_snapshot(lb::ProxyProto::none, true)); }

  // The option the server must read, written out from its layout: kind 254, length,
  // the client's port (40000 = 0x9c40), the client's address.
  std::vector<uint8_t> toa() const {
    std::vector<uint8_t> o = {254, static_cast<uint8_t>(F.v6 ? 20 : 8), 0x9c, 0x40};
    const net::IpAddr c = ip(F.client);
    o.insert(o.end(), c.b.begin(), c.b.begin() + (F.v6 ? 16 : 4));
    return o;
  }
  uint16_t lowered_mss(size_t header = 0) const {
    return static_cast<uint16_t>(kServerMss - toa().size() - header);
  }
  uint64_t added() const { return g.worker.counters().toa_added; }
  uint64_t no_room() const { return g.worker.counters().toa_no_room; }
};

TEST_P(ToaGolden, SynAndFirstSegmentsCarryTheClientUntilTheServerAnswers) {
  // The SYN: the option first, the client's own options after it; the SYN-ACK's MSS
  // leaves room for the option in front of the first segment's data.
  handshake(kSynOpts, plus(toa(), kSynOpts), lowered_mss());
  if (HasFatalFailure()) return;
  const uint32_t first = kIsn + 1;

  // The handshake's ACK (the segment the toa module reads), and the first data segment
  // and its retransmission, which may complete the handshake when that ACK is lost.
  Tcp ack = from_client(net::kTcpAck, first, kServerIsn + 1);
  ack.options = kTsOpts;
  Tcp want = at_server(ack, first, {});
  want.options = plus(toa(), kTsOpts);
  EXPECT_TRUE(server_gets(client_sends(ack), want));
  Tcp get = from_client(net::kTcpAck | net::kTcpPsh, first, kServerIsn + 1, "GET /");
  want = at_server(get, first, bytes_of("GET /"));
  want.options = toa();
  EXPECT_TRUE(server_gets(client_sends(get), want));
  EXPECT_TRUE(server_gets(client_sends(get), want));
  EXPECT_EQ(added(), 4u);

  // Nothing in the server's direction moves: no header, no translation.
  Tcp acked = from_server(net::kTcpAck, kServerIsn + 1, first + 5, kTsOpts);
  EXPECT_TRUE(client_gets(server_sends(acked), at_client(acked, first + 5, kTsOpts)));
  // The server acknowledged data: it is past the handshake, the option stops -- on a
  // retransmission of the first segment too -- and sequence numbers stay the client's.
  EXPECT_TRUE(server_gets(client_sends(get), at_server(get, first, bytes_of("GET /"))));
  Tcp more = from_client(net::kTcpAck, first + 5, kServerIsn + 1, "more");
  EXPECT_TRUE(server_gets(client_sends(more), at_server(more, first + 5, bytes_of("more"))));
  EXPECT_EQ(added(), 4u);
  EXPECT_EQ(no_room(), 0u);
}

TEST_P(ToaGolden, ServerThatSpeaksFirstEndsTheOption) {
  handshake({}, toa(), lowered_mss());
  if (HasFatalFailure()) return;
  const uint32_t first = kIsn + 1;
  Tcp ack = from_client(net::kTcpAck, first, kServerIsn + 1);
  Tcp want = at_server(ack, first, {});
  want.options = toa();
  EXPECT_TRUE(server_gets(client_sends(ack), want));
  // The server's greeting (SMTP, MySQL) passes unchanged; the client's ACK of it is at
  // the first sequence number still, but the server has the client's address already.
  Tcp hello = from_server(net::kTcpAck | net::kTcpPsh, kServerIsn + 1, first, {}, "220 hi\r\n");
  EXPECT_TRUE(client_gets(server_sends(hello), at_client(hello, first, {})));
  Tcp ack2 = from_client(net::kTcpAck, first, kServerIsn + 9);
  EXPECT_TRUE(server_gets(client_sends(ack2), at_server(ack2, first, {})));
  EXPECT_EQ(added(), 2u);
}

TEST_P(ToaGolden, FullOptionsGoWithoutAndAreCounted) {
  // 40 bytes of options (MSS and NOPs): no room in the SYN; the ACK has room.
  std::vector<uint8_t> full = {2, 4, 0x05, 0xb4};
  full.resize(40, 1);
  handshake(full, full, lowered_mss());
  if (HasFatalFailure()) return;
  EXPECT_EQ(no_room(), 1u);
  EXPECT_EQ(added(), 0u);
  // Room for the IPv4 option (8) but not the IPv6 one (20): 28 bytes of options.
  std::vector<uint8_t> most(28, 1);
  Tcp ack = from_client(net::kTcpAck, kIsn + 1, kServerIsn + 1);
  ack.options = most;
  Tcp want = at_server(ack, kIsn + 1, {});
  want.options = F.v6 ? most : plus(toa(), most);
  EXPECT_TRUE(server_gets(client_sends(ack), want));
  EXPECT_EQ(added(), F.v6 ? 0u : 1u);
  EXPECT_EQ(no_room(), F.v6 ? 2u : 1u);
}

TEST_P(ToaGolden, CorruptedSegmentStaysCorrupted) {
  handshake({}, toa(), lowered_mss());
  if (HasFatalFailure()) return;
  Tcp ack = from_client(net::kTcpAck, kIsn + 1, kServerIsn + 1, "x");
  ack.checksum = 0x1234;
  const Out out = client_sends(ack);
  ASSERT_EQ(out.verdict, Verdict::tx);
  // The sound version of what went out: it differs in the checksum alone.
  Tcp sound = at_server(ack, kIsn + 1, bytes_of("x"));
  sound.checksum.reset();
  sound.options = toa();
  const Bytes want = tcp_frame(kPort1Mac, text(rs->mac), sound);
  ASSERT_EQ(out.bytes.size(), want.size());
  const size_t check_at = 14 + (F.v6 ? 40 : 20) + 16;
  EXPECT_NE(Bytes(out.bytes.begin() + check_at, out.bytes.begin() + check_at + 2),
            Bytes(want.begin() + check_at, want.begin() + check_at + 2));
  Bytes masked = out.bytes;
  std::copy(want.begin() + check_at, want.begin() + check_at + 2, masked.begin() + check_at);
  EXPECT_TRUE(same_frame(masked, want));
}

TEST_P(ToaGolden, WithTheProxyHeaderBothGoOnTheFirstSegment) {
  g.reload(client_addr_snapshot(lb::ProxyProto::v1, true));
  const std::string hdr =
      std::string("PROXY ") + (F.v6 ? "TCP6 " : "TCP4 ") + F.client + " " + F.vip + " 40000 95\r\n";
  handshake({}, toa(), lowered_mss(hdr.size()));
  if (HasFatalFailure()) return;
  const uint32_t first = kIsn + 1;
  Tcp get = from_client(net::kTcpAck, first, kServerIsn + 1, "GET /");
  Tcp want = at_server(get, first, bytes_of(hdr + "GET /"));
  want.options = toa();
  EXPECT_TRUE(server_gets(client_sends(get), want));
  // The server acknowledges the header and the request: the client sees its 5 bytes
  // acknowledged, and its next segment moves past the header, without the option.
  Tcp acked =
      from_server(net::kTcpAck, kServerIsn + 1, first + static_cast<uint32_t>(hdr.size()) + 5);
  EXPECT_TRUE(client_gets(server_sends(acked), at_client(acked, first + 5, {})));
  Tcp more = from_client(net::kTcpAck, first + 5, kServerIsn + 1, "more");
  EXPECT_TRUE(server_gets(
      client_sends(more),
      at_server(more, first + 5 + static_cast<uint32_t>(hdr.size()), bytes_of("more"))));
  EXPECT_EQ(added(), 2u);
  EXPECT_EQ(g.worker.counters().proxy_headers, 1u);
}

TEST_P(ToaGolden, ConnectionTakenUpMidstreamGoesWithout) {
  EXPECT_TRUE(midstream_passes_unchanged());
  EXPECT_EQ(added(), 0u);
}

INSTANTIATE_TEST_SUITE_P(All, ToaGolden, ::testing::Values(&kV4, &kV6),
                         [](const ::testing::TestParamInfo<const Family*>& i) {
                           return std::string(i.param->name);
                         });

}  // namespace
}  // namespace gale::golden
