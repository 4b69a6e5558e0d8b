// A FullNAT TCP connection through a golden worker, segment by segment: what the client
// sends to the VIP and what the real server must receive for it, what the server sends
// back and what the client must receive -- each expected frame built independently with
// PacketBuilder. Shared by the tests of the client's address behind FullNAT (PROXY
// header, TOA option).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lb_fixture.h"

namespace gale::golden {

inline Bytes bytes_of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// One TCP segment, with the fields the client-address tests are about.
struct Tcp {
  std::string src, dst;
  uint16_t sport = 0, dport = 0;
  uint8_t flags = net::kTcpAck;
  uint32_t seq = 0, ack = 0;
  Bytes payload;
  std::vector<uint8_t> options;
  uint8_t ttl = 64;
  std::optional<uint16_t> checksum;  // forced (a corrupted segment)
};

inline Bytes tcp_frame(std::string_view smac, std::string_view dmac, const Tcp& t) {
  PacketBuilder b;
  b.eth(smac, dmac);
  if (t.src.find(':') != std::string::npos)
    b.ipv6(t.src, t.dst).ttl(t.ttl);
  else
    b.ipv4(t.src, t.dst).ttl(t.ttl);
  b.tcp(t.sport, t.dport, t.flags).seq(t.seq).ack(t.ack);
  if (!t.options.empty()) b.tcp_options(t.options);
  if (t.checksum) b.checksum(*t.checksum);
  return b.payload(t.payload).build();
}

// The fixture's snapshot with every FullNAT real server asking for the PROXY header
// `proxy` and (or) the TOA option.
inline Snapshot client_addr_snapshot(lb::ProxyProto proxy, bool toa = false) {
  Snapshot s = make_snapshot();
  s.generation = 2;
  for (RealServer& rs : s.real_servers) {
    if (rs.mode != FwdMode::fullnat) continue;
    rs.proxy = proxy;
    rs.toa = toa;
  }
  return s;
}

inline constexpr uint16_t kCport = 40000;
inline constexpr uint32_t kIsn = 0xfffffff0;  // the client's: its sequence space wraps midway
inline constexpr uint32_t kServerIsn = 7000;
inline constexpr uint16_t kServerMss = 1460;

// MSS option bytes.
inline std::vector<uint8_t> mss_option(uint16_t mss) {
  return {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss & 0xff)};
}

class TcpConn {
 public:
  explicit TcpConn(const Family& f) : F(f) {}

  // The client tuple (client -> VIP) of the connection.
  Seg conn_tuple() const {
    return {.src = F.client,
            .dst = F.vip,
            .sport = kCport,
            .dport = port_of(Svc::fullnat),
            .proto = net::kProtoTcp};
  }

  // client -> VIP, and what the real server must receive for it.
  Tcp from_client(uint8_t flags, uint32_t seq, uint32_t ack, std::string_view data = {}) const {
    return {.src = F.client,
            .dst = F.vip,
            .sport = kCport,
            .dport = port_of(Svc::fullnat),
            .flags = flags,
            .seq = seq,
            .ack = ack,
            .payload = bytes_of(data)};
  }
  Tcp at_server(const Tcp& c, uint32_t seq, Bytes payload) const {
    Tcp t = c;
    t.src = F.laddr;
    t.sport = lport;
    t.dst = text(rs->addr);
    t.dport = kRsPort;
    t.seq = seq;
    t.payload = std::move(payload);
    t.ttl = 63;
    return t;
  }
  // real server -> local address, and what the client must receive for it.
  Tcp from_server(uint8_t flags, uint32_t seq, uint32_t ack, std::vector<uint8_t> opts = {},
                  std::string_view data = {}) const {
    return {.src = text(rs->addr),
            .dst = F.laddr,
            .sport = kRsPort,
            .dport = lport,
            .flags = flags,
            .seq = seq,
            .ack = ack,
            .payload = bytes_of(data),
            .options = std::move(opts)};
  }
  Tcp at_client(const Tcp& s, uint32_t ack, std::vector<uint8_t> opts) const {
    Tcp t = s;
    t.src = F.vip;
    t.sport = port_of(Svc::fullnat);
    t.dst = F.client;
    t.dport = kCport;
    t.ack = ack;
    t.options = std::move(opts);
    t.ttl = 63;
    return t;
  }

  Out client_sends(const Tcp& t) { return node->run(tcp_frame(kClientSideMac, kPort0Mac, t)); }
  Out server_sends(const Tcp& t) { return node->run(tcp_frame(text(rs->mac), kPort1Mac, t), 1); }
  ::testing::AssertionResult server_gets(const Out& o, const Tcp& t) {
    return sent(o, 1, tcp_frame(kPort1Mac, text(rs->mac), t));
  }
  ::testing::AssertionResult client_gets(const Out& o, const Tcp& t) {
    return sent(o, 0, tcp_frame(kPort0Mac, kGatewayMac, t));
  }

  // The handshake: the client's SYN (with `syn_opts`) reaches the server with
  // `syn_opts_at_server`; the server's SYN-ACK announces kServerMss and the client
  // receives `client_mss`. Sets rs and lport.
  void handshake(std::vector<uint8_t> syn_opts, std::vector<uint8_t> syn_opts_at_server,
                 uint16_t client_mss) {
    Tcp syn = from_client(net::kTcpSyn, kIsn, 0);
    syn.options = std::move(syn_opts);
    const Out out = client_sends(syn);
    rs = g.flow_rs(conn_tuple());
    ASSERT_NE(rs, nullptr);
    ASSERT_EQ(out.verdict, Verdict::tx) << lb::to_string(out.drop);
    lport = sent_sport(out.bytes, F.v6);
    Tcp want = at_server(syn, kIsn, {});
    want.options = std::move(syn_opts_at_server);
    EXPECT_TRUE(server_gets(out, want));

    const Tcp synack =
        from_server(net::kTcpSyn | net::kTcpAck, kServerIsn, kIsn + 1, mss_option(kServerMss));
    EXPECT_TRUE(
        client_gets(server_sends(synack), at_client(synack, kIsn + 1, mss_option(client_mss))));
  }

  // A segment of a connection whose SYN gale never saw (another node began it) reaches
  // the server with nothing but FullNAT's rewrite. Sets rs and lport.
  ::testing::AssertionResult midstream_passes_unchanged() {
    const Tcp mid = from_client(net::kTcpAck, 5000, 9000, "data");
    const Out out = client_sends(mid);
    if (out.verdict != Verdict::tx)
      return ::testing::AssertionFailure() << "dropped: " << lb::to_string(out.drop);
    rs = g.flow_rs(conn_tuple());
    if (rs == nullptr) return ::testing::AssertionFailure() << "no flow";
    lport = sent_sport(out.bytes, F.v6);
    return server_gets(out, at_server(mid, 5000, bytes_of("data")));
  }

  const Family& F;
  Golden g;
  Golden* node = &g;  // the node the packets go through
  const RealServer* rs = nullptr;
  uint16_t lport = 0;
};

}  // namespace gale::golden
