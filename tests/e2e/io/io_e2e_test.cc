// e2e tests of the I/O backends on a veth pair between two namespaces (run as root):
// AF_PACKET rx/tx and its ownership filter, the XDP steering program and AF_XDP rx/tx.
// The io code runs in the test thread moved into namespace a (InNetns); the peer is a
// plain UDP socket (and ping) in namespace b.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <sstream>

#include "io/af_packet_io.h"
#include "io/af_xdp_io.h"
#include "io/command.h"
#include "io/netdev.h"
#include "io/owned_filter.h"
#include "io/xdp_program.h"
#include "netns.h"
#include "packet_builder.h"

namespace gale::io {
namespace {

using e2e::eventually;
using e2e::InNetns;
using e2e::out;
using e2e::sh;
using e2e::Topology;
using namespace std::chrono_literals;

// An owned service endpoint, as Snapshot::finalize() lists one.
lb::Endpoint service(const net::IpAddr& a, uint16_t port, uint8_t proto) {
  return {.kind = lb::EndpointKind::service,
          .addr = a,
          .prefix_len = static_cast<uint8_t>(a.is_v4() ? 32 : 128),
          .port_lo = port,
          .port_hi = port,
          .proto = proto};
}

#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)"

// A UDP socket in namespace b.
class Peer {
 public:
  Peer(const Topology& t) : t_(t) {
    InNetns in(t.ns_b);
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    timeval tv{.tv_sec = 0, .tv_usec = 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Peer() { close(fd_); }
  // Unconnected: the ICMP port unreachable namespace a's kernel may answer is ignored.
  void send(uint16_t port, const std::string& msg) {
    sockaddr_in to{.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, t_.ip_a.c_str(), &to.sin_addr);
    sendto(fd_, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  std::optional<std::string> recv() {
    char buf[2048];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }

 private:
  const Topology& t_;
  int fd_ = -1;
};

// An IPv4 UDP frame to `port`: its payload, or nullopt.
std::optional<std::string> udp_payload_to(const lb::Packet& p, uint16_t port) {
  const uint8_t* d = p.data;
  if (p.len < 42 || d[12] != 0x08 || d[13] != 0x00 || d[23] != IPPROTO_UDP) return std::nullopt;
  const size_t ihl = (d[14] & 0xf) * 4u;
  const uint8_t* udp = d + 14 + ihl;
  if (14 + ihl + 8 > p.len || ((udp[2] << 8) | udp[3]) != port) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(udp + 8), p.len - (14 + ihl + 8));
}

// Turns a received UDP frame into the answer: MACs, addresses and ports swapped (the
// checksums stay valid: the sums are the same).
void reflect(lb::Packet& p) {
  uint8_t* d = p.data;
  uint8_t tmp[6];
  std::memcpy(tmp, d, 6);
  std::memcpy(d, d + 6, 6);
  std::memcpy(d + 6, tmp, 6);
  std::memcpy(tmp, d + 26, 4);
  std::memcpy(d + 26, d + 30, 4);
  std::memcpy(d + 30, tmp, 4);
  uint8_t* udp = d + 14 + (d[14] & 0xf) * 4u;
  std::memcpy(tmp, udp, 2);
  std::memcpy(udp, udp + 2, 2);
  std::memcpy(udp + 2, tmp, 2);
  p.verdict = lb::Verdict::tx;
}

// Receives until a UDP frame to `port` shows up; reflects it when asked. Every other
// frame goes to the kernel. The payloads of all frames to `port`.
std::vector<std::string> pump(LinkIo& io, uint16_t port, bool reflect_it,
                              std::chrono::milliseconds timeout = 3000ms) {
  std::vector<std::string> got;
  lb::Batch batch;
  eventually(
      [&] {
        io.wait_rx(20);
        io.rx(batch);
        for (int i = 0; i < batch.count; ++i) {
          lb::Packet& p = batch.pkts[i];
          EXPECT_GE(p.headroom, lb::kMinHeadroom);
          p.verdict = lb::Verdict::to_kernel;
          if (auto s = udp_payload_to(p, port)) {
            got.push_back(*s);
            if (reflect_it) reflect(p);
          }
        }
        io.complete(batch);
        io.flush();
        return !got.empty();
      },
      timeout);
  return got;
}

// Namespace a's count of UDP datagrams to a port nobody listens on.
uint64_t udp_no_ports(const Topology& t) {
  std::istringstream in(out(t.in_a("cat /proc/net/snmp")));
  std::string line, header;
  while (std::getline(in, line)) {
    if (line.rfind("Udp:", 0) != 0) continue;
    if (header.empty()) {
      header = line;
      continue;
    }
    std::istringstream h(header), v(line);
    std::string name, value;
    while (h >> name && v >> value)
      if (name == "NoPorts") return std::stoull(value);
  }
  return 0;
}

bool has_xdp(const Topology& t) {
  return out("ip -n " + t.ns_a + " link show " + t.va).find("xdp") != std::string::npos;
}

TEST(AfPacket, ReceivesAndTransmits) {
  REQUIRE_ROOT();
  Topology t;
  Peer peer(t);
  InNetns in(t.ns_a);
  AfPacketIo io({.interfaces = {t.va}});
  // The peer resends until the dataplane has seen it (the first may wait for ARP).
  std::vector<std::string> got;
  for (int i = 0; i < 5 && got.empty(); ++i) {
    peer.send(9000, "hello");
    got = pump(io, 9000, true, 600ms);
  }
  ASSERT_FALSE(got.empty()) << "the UDP datagram never reached AF_PACKET rx";
  EXPECT_EQ(got[0], "hello");
  // The reflected frame went out by the tx ring and reached the peer's socket.
  std::optional<std::string> reply;
  ASSERT_TRUE(eventually([&] { return (reply = peer.recv()).has_value(); }));
  EXPECT_EQ(*reply, "hello");
  const IoStats st = io.stats();
  EXPECT_GE(st.rx, 1u);
  EXPECT_GE(st.tx, 1u);
  EXPECT_EQ(st.tx_dropped, 0u);
}

TEST(AfPacket, OwnershipFilterHidesOwnedFramesFromTheKernel) {
  REQUIRE_ROOT();
  Topology t;
  Peer peer(t);
  InNetns in(t.ns_a);
  AfPacketIo io({.interfaces = {t.va}});
  // Without the filter the kernel sees the datagram too: UDP NoPorts counts it.
  const uint64_t before = udp_no_ports(t);
  std::vector<std::string> got;
  for (int i = 0; i < 5 && got.empty(); ++i) {
    peer.send(9000, "x");
    got = pump(io, 9000, false, 600ms);
  }
  ASSERT_FALSE(got.empty());
  ASSERT_TRUE(eventually([&] { return udp_no_ports(t) > before; }));

  const net::IpAddr a = *net::parse_ip(t.ip_a);
  const lb::Endpoint owned[] = {service(a, 9000, 17)};
  auto r = install_owned_filter(t.va, owned);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const uint64_t mid = udp_no_ports(t);
  peer.send(9000, "owned");
  got = pump(io, 9000, false);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "owned");  // the dataplane still gets it...
  // ...and the kernel does not: a datagram to a port not owned, sent after it, is
  // counted alone (frames on a veth queue are handled in order).
  peer.send(9001, "not owned");
  ASSERT_TRUE(eventually([&] { return udp_no_ports(t) > mid; }));
  EXPECT_EQ(udp_no_ports(t), mid + 1);

  ASSERT_TRUE(remove_owned_filter(t.va).has_value());
  EXPECT_EQ(out(t.in_a("nft list tables")).find(owned_filter_table(t.va)), std::string::npos);
  EXPECT_TRUE(remove_owned_filter(t.va).has_value());  // removing twice is fine
}

TEST(OwnedFilter, ReportsNftErrors) {
  REQUIRE_ROOT();
  Topology t;
  InNetns in(t.ns_a);
  // An address family nft cannot match (none) is skipped; a rule it rejects is reported
  // with nft's own message and the interface.
  auto bad = run_command({"nft", "-f", "-"}, "table netdev x { chain y { bogus; } }\n");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("nft -f -: "), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("bogus"), std::string::npos) << bad.error().message;
  auto missing = run_command({"gale-no-such-tool"});
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("cannot run gale-no-such-tool"), std::string::npos)
      << missing.error().message;
  lb::Endpoint wide[] = {service(*net::parse_ip(t.ip_a), 9, 17)};
  wide[0].port_hi = 8;  // lo > hi
  auto r = install_owned_filter(t.va, wide);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find(t.va), std::string::npos) << r.error().message;
}

TEST(AfXdp, SteersOwnedFramesAndPassesTheRest) {
  REQUIRE_ROOT();
  Topology t;
  Peer peer(t);
  {
    InNetns in(t.ns_a);
    XdpProgram prog({.ifname = t.va, .enable_all_queues = true});
    EXPECT_EQ(prog.mode(), XdpMode::native);
    EXPECT_TRUE(has_xdp(t));
    const net::IpAddr a = *net::parse_ip(t.ip_a);
    const lb::Endpoint owned[] = {service(a, 9000, 17)};
    ASSERT_TRUE(prog.set_owned(owned).has_value());
    AfXdpIo io({.programs = {&prog}});
    EXPECT_EQ(io.sockets(), 2u);   // every active queue is bound
    EXPECT_FALSE(io.zero_copy());  // veth refuses zero-copy

    // Not owned: ARP and ping are answered by the kernel while the program is attached.
    EXPECT_TRUE(eventually([&] { return sh(t.in_b("ping -c 1 -W 1 " + t.ip_a)) == 0; }));

    // Owned: reaches rx(); reflected, it leaves by the socket's tx ring.
    const uint64_t no_ports = udp_no_ports(t);
    std::vector<std::string> got;
    for (int i = 0; i < 5 && got.empty(); ++i) {
      peer.send(9000, "steered");
      got = pump(io, 9000, true, 600ms);
    }
    ASSERT_FALSE(got.empty()) << "the owned datagram never reached AF_XDP rx";
    EXPECT_EQ(got[0], "steered");
    std::optional<std::string> reply;
    ASSERT_TRUE(eventually([&] { return (reply = peer.recv()).has_value(); }));
    EXPECT_EQ(*reply, "steered");
    EXPECT_EQ(udp_no_ports(t), no_ports);  // the kernel never saw the owned datagram

    // Not owned UDP goes to the kernel, not to the sockets.
    peer.send(9001, "kernel's");
    EXPECT_TRUE(eventually([&] { return udp_no_ports(t) > no_ports; }));
    EXPECT_TRUE(pump(io, 9001, false, 200ms).empty());
    const SteerStats ss = prog.stats();
    EXPECT_GE(ss.redirected, 1u);
    EXPECT_GE(ss.passed, 1u);
    EXPECT_GE(io.stats().tx, 1u);
  }
  EXPECT_FALSE(has_xdp(t)) << "the program stayed attached after destruction";
}

// A UDP socket of namespace a's own host stack.
class HostSocket {
 public:
  HostSocket(const std::string& ip, uint16_t port) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    timeval tv{.tv_sec = 0, .tv_usec = 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~HostSocket() { close(fd_); }
  bool bound() const { return bound_; }
  // A datagram and who sent it, or nullopt.
  std::optional<std::string> recv(sockaddr_in* from) {
    char buf[2048];
    socklen_t len = sizeof *from;
    ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(from), &len);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }
  void send(const sockaddr_in& to, const std::string& msg) {
    sendto(fd_, msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

// A frame the XDP program redirected (owned) but the pipeline gives back (to_kernel)
// reaches the host stack through the TUN device: a socket of the host receives it and
// its answer goes back to the peer by the real interface.
TEST(AfXdp, ToKernelFramesReachTheHostStack) {
  REQUIRE_ROOT();
  Topology t;
  Peer peer(t);
  InNetns in(t.ns_a);
  XdpProgram prog({.ifname = t.va, .enable_all_queues = true});
  const lb::Endpoint owned[] = {service(*net::parse_ip(t.ip_a), 9000, 17)};
  ASSERT_TRUE(prog.set_owned(owned).has_value());
  HostSocket host(t.ip_a, 9000);
  ASSERT_TRUE(host.bound());
  AfXdpIo io({.programs = {&prog}});
  EXPECT_EQ(sh(t.in_a("ip link show " + KernelTun::name_for(prog.ifindex()) + " up")), 0);
  std::vector<std::string> got;
  for (int i = 0; i < 5 && got.empty(); ++i) {  // the first may wait for ARP
    peer.send(9000, "for the host");
    got = pump(io, 9000, false, 600ms);  // pump gives every frame to_kernel
  }
  ASSERT_FALSE(got.empty()) << "the owned datagram never reached AF_XDP rx";
  EXPECT_EQ(got[0], "for the host");
  sockaddr_in from{};
  std::optional<std::string> msg;
  ASSERT_TRUE(eventually([&] { return (msg = host.recv(&from)).has_value(); }));
  EXPECT_EQ(*msg, "for the host");
  EXPECT_EQ(io.stats().to_kernel, got.size());
  EXPECT_EQ(io.stats().kernel_dropped, 0u);
  // The host's answer finds its way back: routed out by the real interface.
  host.send(from, "answer");
  std::optional<std::string> reply;
  ASSERT_TRUE(eventually([&] { return (reply = peer.recv()).has_value(); }));
  EXPECT_EQ(*reply, "answer");
}

// The control: without the TUN path the same datagram is lost, and counted.
TEST(AfXdp, ToKernelFramesWithoutAPathAreCounted) {
  REQUIRE_ROOT();
  Topology t;
  Peer peer(t);
  InNetns in(t.ns_a);
  XdpProgram prog({.ifname = t.va, .enable_all_queues = true});
  const lb::Endpoint owned[] = {service(*net::parse_ip(t.ip_a), 9000, 17)};
  ASSERT_TRUE(prog.set_owned(owned).has_value());
  HostSocket host(t.ip_a, 9000);
  ASSERT_TRUE(host.bound());
  AfXdpIo io({.programs = {&prog}, .kernel_path = false});
  std::vector<std::string> got;
  for (int i = 0; i < 5 && got.empty(); ++i) {
    peer.send(9000, "lost");
    got = pump(io, 9000, false, 600ms);
  }
  ASSERT_FALSE(got.empty()) << "the owned datagram never reached AF_XDP rx";
  sockaddr_in from{};
  EXPECT_FALSE(host.recv(&from).has_value());
  EXPECT_EQ(io.stats().kernel_dropped, got.size());
  EXPECT_EQ(io.stats().to_kernel, 0u);
}

// complete() reserves each socket's tx descriptors for the whole batch: with 40 frames
// to send and a tx ring of 16 free slots, exactly 16 leave and 24 are counted dropped.
TEST(AfXdp, ABatchTakesWhatTheTxRingHasRoomFor) {
  REQUIRE_ROOT();
  Topology t;
  Peer peer(t);
  InNetns in(t.ns_a);
  XdpProgram prog({.ifname = t.va});
  const lb::Endpoint owned[] = {service(*net::parse_ip(t.ip_a), 9000, 17)};
  ASSERT_TRUE(prog.set_owned(owned).has_value());
  AfXdpIo io({.programs = {&prog}, .tx_ring_size = 16, .kernel_path = false});
  constexpr int kFrames = 40;
  for (int i = 0; i < kFrames; ++i)
    peer.send(9000, std::to_string(i));
  ASSERT_TRUE(eventually([&] { return prog.stats().redirected >= kFrames; }));
  lb::Batch batch;
  ASSERT_EQ(io.rx(batch), kFrames);  // one flow: one queue, one socket
  for (int i = 0; i < batch.count; ++i)
    reflect(batch.pkts[i]);
  io.complete(batch);
  EXPECT_EQ(io.stats().tx, 16u);
  EXPECT_EQ(io.stats().tx_dropped, 24u);
  io.flush();
  int replies = 0;
  while (peer.recv())
    ++replies;  // until 100 ms pass without one
  EXPECT_EQ(replies, 16);
}

// A frame lent by another worker lives in memory this backend's UMEM does not cover:
// complete_foreign() copies it once into a free frame of the transmitting socket.
TEST(AfXdp, SendsAFrameLentByAnotherWorker) {
  REQUIRE_ROOT();
  Topology t;
  std::optional<HostSocket> far;
  std::optional<net::MacAddr> mac_b;
  {
    InNetns in_b(t.ns_b);
    far.emplace(t.ip_b, 7000);
    mac_b = interface_mac(t.vb).value();
  }
  ASSERT_TRUE(far->bound());
  InNetns in(t.ns_a);
  XdpProgram prog({.ifname = t.va});
  AfXdpIo io({.programs = {&prog}, .kernel_path = false});
  const auto frame =
      test::PacketBuilder()
          .eth(net::to_text(*interface_mac(t.va)).c_str(), net::to_text(*mac_b).c_str())
          .ipv4(t.ip_a, t.ip_b)
          .udp(1234, 7000)
          .payload("lent")
          .build();
  std::vector<uint8_t> lender(256 + frame.size());  // the other worker's buffer
  std::memcpy(lender.data() + 256, frame.data(), frame.size());
  lb::Batch batch;
  batch.pkts[0] = {.data = lender.data() + 256,
                   .len = static_cast<uint16_t>(frame.size()),
                   .headroom = 256,
                   .link = 0,
                   .verdict = lb::Verdict::tx};
  batch.count = 1;
  io.complete_foreign(batch);
  EXPECT_EQ(io.stats().tx, 1u);
  io.flush();
  sockaddr_in from{};
  std::optional<std::string> msg;
  ASSERT_TRUE(eventually([&] {
    io.flush();
    return (msg = far->recv(&from)).has_value();
  }));
  EXPECT_EQ(*msg, "lent");
}

TEST(AfXdp, GenericModeWorksToo) {
  REQUIRE_ROOT();
  Topology t;
  Peer peer(t);
  {
    InNetns in(t.ns_a);
    XdpProgram prog({.ifname = t.va, .force_generic = true});
    EXPECT_EQ(prog.mode(), XdpMode::generic);
    const lb::Endpoint owned[] = {service(*net::parse_ip(t.ip_a), 9000, 17)};
    ASSERT_TRUE(prog.set_owned(owned).has_value());
    AfXdpIo io({.programs = {&prog}});
    std::vector<std::string> got;
    for (int i = 0; i < 5 && got.empty(); ++i) {
      peer.send(9000, "generic");
      got = pump(io, 9000, true, 600ms);
    }
    ASSERT_FALSE(got.empty());
    std::optional<std::string> reply;
    ASSERT_TRUE(eventually([&] { return (reply = peer.recv()).has_value(); }));
    EXPECT_EQ(*reply, "generic");
  }
  EXPECT_FALSE(has_xdp(t));
}

TEST(AfXdp, DetachesAProgramLeftByACrashedRun) {
  REQUIRE_ROOT();
  Topology t;
  InNetns in(t.ns_a);
  auto first = std::make_unique<XdpProgram>(XdpProgramConfig{.ifname = t.va});
  // As if `first` had crashed: a new start finds gale_steer attached and replaces it.
  auto second = std::make_unique<XdpProgram>(XdpProgramConfig{.ifname = t.va});
  EXPECT_TRUE(has_xdp(t));
  second.reset();
  EXPECT_FALSE(has_xdp(t));
  first.reset();  // its detach finds another (no) program: harmless
  EXPECT_FALSE(has_xdp(t));
}

// The steering decisions, frame by frame, through BPF_PROG_TEST_RUN. A socket is bound
// on queue 0 so that the XSKMAP lookup succeeds and owned frames return XDP_REDIRECT.
TEST(AfXdp, SteeringDecisions) {
  REQUIRE_ROOT();
  Topology t;
  InNetns in(t.ns_a);
  XdpProgram prog({.ifname = t.va});
  const lb::Endpoint owned[] = {
      service(*net::parse_ip("10.9.0.1"), 80, 6),
      service(*net::parse_ip("fd00::1"), 53, 17),
      {.kind = lb::EndpointKind::laddr,
       .addr = *net::parse_ip("10.9.1.1"),
       .prefix_len = 32,
       .port_lo = 2000,
       .port_hi = 3000},
      {.kind = lb::EndpointKind::nat_rs,
       .addr = *net::parse_ip("10.9.2.1"),
       .prefix_len = 32,
       .port_lo = 8080,
       .port_hi = 8080,
       .proto = 6},
  };
  ASSERT_TRUE(prog.set_owned(owned).has_value());
  AfXdpIo io({.programs = {&prog}, .queues = {{.link = 0, .queue = 0}}});

  auto verdict = [&](const std::vector<uint8_t>& frame) {
    std::vector<uint8_t> buf(frame);
    // data/data_end of the context say where the frame is in data_in (all of it).
    xdp_md ctx{.data = 0,
               .data_end = static_cast<uint32_t>(buf.size()),
               .ingress_ifindex = prog.ifindex(),
               .rx_queue_index = 0};
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf.data(),
                .data_size_in = static_cast<uint32_t>(buf.size()), .ctx_in = &ctx,
                .ctx_size_in = sizeof ctx);
    EXPECT_EQ(bpf_prog_test_run_opts(prog.prog_fd(), &opts), 0) << std::strerror(errno);
    return opts.retval;
  };
  using test::PacketBuilder;
  const char* m1 = "02:00:00:00:00:01";
  const char* m2 = "02:00:00:00:00:02";
  auto v4 = [&] { return PacketBuilder().eth(m1, m2); };
  // Services: dst addr + port + proto.
  EXPECT_EQ(verdict(v4().ipv4("1.1.1.1", "10.9.0.1").tcp(1234, 80).build()), XDP_REDIRECT);
  EXPECT_EQ(verdict(v4().ipv4("1.1.1.1", "10.9.0.1").udp(1234, 80).build()), XDP_PASS);
  EXPECT_EQ(verdict(v4().ipv4("1.1.1.1", "10.9.0.1").tcp(1234, 22).build()), XDP_PASS);
  EXPECT_EQ(verdict(v4().ipv4("1.1.1.1", "10.9.0.2").tcp(1234, 80).build()), XDP_PASS);
  EXPECT_EQ(verdict(v4().vlan(7).ipv4("1.1.1.1", "10.9.0.1").tcp(1234, 80).build()), XDP_REDIRECT);
  EXPECT_EQ(verdict(v4().ipv6("2001:db8::1", "fd00::1").udp(5353, 53).build()), XDP_REDIRECT);
  EXPECT_EQ(verdict(v4().ipv6("2001:db8::1", "fd00::1").tcp(5353, 53).build()), XDP_PASS);
  // FullNAT local address: any protocol, dst port in range.
  EXPECT_EQ(verdict(v4().ipv4("10.8.0.5", "10.9.1.1").tcp(80, 2000).build()), XDP_REDIRECT);
  EXPECT_EQ(verdict(v4().ipv4("10.8.0.5", "10.9.1.1").udp(53, 3000).build()), XDP_REDIRECT);
  EXPECT_EQ(verdict(v4().ipv4("10.8.0.5", "10.9.1.1").tcp(80, 3001).build()), XDP_PASS);
  EXPECT_EQ(verdict(v4().ipv4("10.8.0.5", "10.9.1.1").tcp(80, 22).build()), XDP_PASS);
  // NAT real server replies: src addr + port + proto.
  EXPECT_EQ(verdict(v4().ipv4("10.9.2.1", "1.1.1.1").tcp(8080, 40000).build()), XDP_REDIRECT);
  EXPECT_EQ(verdict(v4().ipv4("10.9.2.1", "1.1.1.1").tcp(22, 40000).build()), XDP_PASS);
  // ICMP errors about packets the dataplane sent: from a VIP, from a local address, to
  // a NAT real server. Echo, and errors about others' packets, go to the kernel.
  EXPECT_EQ(verdict(v4().ipv4("9.9.9.9", "10.9.0.1")
                        .icmp(3, 4, 1400)
                        .ipv4("10.9.0.1", "1.1.1.1")
                        .tcp(80, 1234)
                        .build()),
            XDP_REDIRECT);
  EXPECT_EQ(verdict(v4().ipv4("9.9.9.9", "10.9.1.1")
                        .icmp(3, 4, 1400)
                        .ipv4("10.9.1.1", "10.8.0.5")
                        .udp(2500, 53)
                        .build()),
            XDP_REDIRECT);
  EXPECT_EQ(verdict(v4().ipv4("9.9.9.9", "1.1.1.1")
                        .icmp(11, 0)
                        .ipv4("1.1.1.1", "10.9.2.1")
                        .tcp(40000, 8080)
                        .build()),
            XDP_REDIRECT);
  EXPECT_EQ(verdict(v4().ipv4("9.9.9.9", "10.9.0.1")
                        .icmp(3, 4, 1400)
                        .ipv4("10.9.0.1", "1.1.1.1")
                        .tcp(22, 1234)
                        .build()),
            XDP_PASS);
  EXPECT_EQ(verdict(v4().ipv4("1.1.1.1", "10.9.0.1").icmp(8, 0).payload("ping").build()), XDP_PASS);
  EXPECT_EQ(verdict(v4().ipv6("2001:db8::9", "fd00::1")
                        .icmp(2, 0, 1280)
                        .ipv6("fd00::1", "2001:db8::1")
                        .udp(53, 5353)
                        .build()),
            XDP_REDIRECT);
  // Non-first fragments carry no ports: those to a service address of their protocol
  // are the dataplane's (which drops them, counted); others the kernel's.
  EXPECT_EQ(verdict(v4().ipv4("1.1.1.1", "10.9.0.1").frag(100).tcp(1234, 80).build()),
            XDP_REDIRECT);
  EXPECT_EQ(verdict(v4().ipv4("1.1.1.1", "10.9.0.1").frag(100).udp(1234, 80).build()), XDP_PASS);
  EXPECT_EQ(verdict(v4().ipv4("1.1.1.1", "10.9.0.2").frag(100).tcp(1234, 80).build()), XDP_PASS);
  // ARP, and a frame too short for Ethernet.
  std::vector<uint8_t> arp(42, 0);
  std::memset(arp.data(), 0xff, 6);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_EQ(verdict(arp), XDP_PASS);
  EXPECT_EQ(verdict(std::vector<uint8_t>(arp.begin(), arp.begin() + 14)), XDP_PASS);
}

}  // namespace
}  // namespace gale::io
