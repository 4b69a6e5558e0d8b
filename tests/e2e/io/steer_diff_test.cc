// The proof that the XDP steering program and the engine's classifier agree on what is
// ours (docs/io.md): random snapshots (services, fwmark rules, NAT servers live and
// draining, FullNAT local addresses, IPv4 and IPv6) and random frames (VLAN and QinQ
// tags, IPv6 extension headers, fragments, ICMP errors quoting owned flows, truncated
// and corrupted junk). For each frame the program's verdict, by BPF_PROG_TEST_RUN, must
// be XDP_REDIRECT exactly when lb::classify says the frame is not the kernel's.
//
// Seeded (GALE_STEER_DIFF_SEED overrides the seed); a failure prints the seed, the
// frame in hex and the snapshot's endpoint list.
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "io/af_xdp_io.h"
#include "io/owned.h"
#include "io/xdp_program.h"
#include "lb/classify.h"
#include "netns.h"
#include "packet_builder.h"

namespace gale::io {
namespace {

using e2e::InNetns;
using e2e::Topology;
using test::PacketBuilder;
using Bytes = std::vector<uint8_t>;

constexpr int kSnapshots = 60;
constexpr int kFramesPerSnapshot = 250;

// Small address pools, so that services, servers, rules and frames collide often.
const char* const kV4[] = {"10.0.0.1",   "10.0.0.2", "10.0.1.7",
                           "10.0.1.200", "10.1.0.1", "192.0.2.9"};
const char* const kV6[] = {"fd00::1", "fd00::2", "fd00:0:0:1::7", "fd00:1::1", "2001:db8::9"};
const uint16_t kPorts[] = {53, 80, 443, 2000, 5000, 5001, 8080, 40000};

std::string text(const net::IpAddr& a) {
  return std::string(net::to_text(a).view());
}

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
  bool chance(int percent) { return below(100) < static_cast<uint32_t>(percent); }
  template <typename T, size_t N>
  const T& pick(const T (&a)[N]) {
    return a[below(N)];
  }

  net::IpAddr addr(bool v6) { return *net::parse_ip(v6 ? pick(kV6) : pick(kV4)); }
  uint8_t proto() { return chance(50) ? IPPROTO_TCP : IPPROTO_UDP; }

  // A snapshot finalize() accepts (it may reject a random one: then another is drawn).
  lb::Snapshot snapshot() {
    for (;;) {
      lb::Snapshot s = draw_snapshot();
      if (s.finalize()) return s;
    }
  }

  // A frame: aimed at an owned endpoint (or just beside it) most of the time.
  Bytes frame(const lb::Snapshot& s) {
    net::FiveTuple t = tuple(s);
    PacketBuilder b;
    // To the node's MAC mostly; now and then to another node's (flooded by a switch).
    const std::string dst = "02:00:00:00:00:0" + std::to_string(chance(85) ? 2 : below(10));
    b.eth("02:00:00:00:00:01", dst);
    const uint32_t tags = chance(70) ? 0 : chance(60) ? 1 : chance(80) ? 2 : 3;
    for (uint32_t i = 0; i < tags; ++i)
      b.vlan(static_cast<uint16_t>(below(4096)), chance(50) ? 0x8100 : 0x88a8);
    if (chance(4)) {  // not IP: ARP, or something else the kernel handles
      b.payload(Bytes(28, 0x11)).proto(chance(50) ? 0x0806 : 0x88cc);
      return b.build();
    }
    const int shape = static_cast<int>(below(100));
    if (shape < 15) {
      // An ICMP error quoting a packet that travelled the other way (one we sent, when t
      // is ours): to whoever, from whoever.
      ip(b, addr(t.src.is_v6()), t.src.is_v6() ? addr(true) : addr(false), t.src.is_v6(), false);
      const bool v6 = t.src.is_v6();
      if (chance(85))
        b.icmp(v6 ? static_cast<uint8_t>(1 + below(4)) : pick(kIcmpErrors), 0, 1400);
      else
        b.icmp(v6 ? 128 : 8, 0);  // echo: never an error
      if (v6)
        b.ipv6(text(t.dst), text(t.src));
      else
        b.ipv4(text(t.dst), text(t.src));
      l4(b, t.proto, t.dport, t.sport);
      if (chance(30)) b.payload(Bytes(below(64), 0x5a));
    } else {
      ip(b, t.src, t.dst, t.src.is_v6(), true);
      if (shape < 20)
        b.icmp(t.src.is_v6() ? 128 : 8, 0).payload("ping");
      else if (shape < 23)
        b.payload(Bytes(16, 0x47)).proto(47);  // GRE: no ports
      else
        l4(b, t.proto, t.sport, t.dport);
      if (chance(20)) b.payload(Bytes(below(200), 0x33));
    }
    Bytes f = b.build();
    if (chance(12)) f.resize(14 + below(static_cast<uint32_t>(f.size() - 14)));  // cut short
    if (chance(8))
      f[below(static_cast<uint32_t>(f.size()))] ^= static_cast<uint8_t>(1 + below(255));
    return f;
  }

 private:
  static constexpr uint8_t kIcmpErrors[] = {3, 4, 11, 12};

  lb::Snapshot draw_snapshot() {
    lb::Snapshot s;
    s.links.push_back({});
    s.maglev_size = 251;
    if (chance(60))  // the node's MACs: 02:..:02 among them, or not
      for (uint32_t i = 0, n = 1 + below(3); i < n; ++i)
        s.accept_macs.push_back(*net::parse_mac(
            "02:00:00:00:00:0" + std::to_string(i == 0 && chance(80) ? 2 : below(10))));
    const uint32_t n = 1 + below(5);
    for (uint32_t i = 0; i < n; ++i) {
      const bool v6 = chance(40);
      lb::Service svc{.vip = addr(v6), .port = pick(kPorts), .proto = proto()};
      svc.standby = chance(10);  // its VRRP instance is not MASTER here
      if (chance(25)) {          // a fwmark service with a rule or two
        svc.fwmark = 100 + i;
        for (uint32_t r = 0, rules = 1 + below(2); r < rules; ++r) {
          const bool rv6 = chance(40);
          const uint16_t lo = pick(kPorts);
          s.fwmark_rules.push_back(
              {.fwmark = svc.fwmark,
               .net = addr(rv6),
               .prefix_len = static_cast<uint8_t>(rv6 ? 64 + below(65) : 8 + below(25)),
               .port_lo = lo,
               .port_hi = static_cast<uint16_t>(lo + (chance(50) ? 0 : below(600)))});
        }
      }
      const size_t si = s.services.size();
      for (uint32_t d = 0, dests = 1 + below(3); d < dests; ++d) {
        lb::RealServer rs = server(svc, si);
        svc.dests.push_back({.addr = rs.addr, .port = rs.port, .weight = 1});
        svc.dest_ids.push_back(static_cast<uint16_t>(s.real_servers.size()));
        s.real_servers.push_back(rs);
      }
      s.services.push_back(std::move(svc));
    }
    for (uint32_t i = 0, drain = below(3); i < drain; ++i) {  // removed, still draining
      const size_t si = below(static_cast<uint32_t>(s.services.size() + 1));  // maybe gone
      lb::RealServer rs = server(si < s.services.size() ? s.services[si] : s.services[0], si);
      rs.live = false;
      s.real_servers.push_back(rs);
    }
    for (uint32_t i = 0, n_laddr = chance(50) ? 0 : 1 + below(2); i < n_laddr; ++i)
      s.fullnat.laddrs.push_back(addr(chance(40)));
    s.fullnat.port_lo = static_cast<uint16_t>(1024 + below(4000));
    s.fullnat.port_hi = static_cast<uint16_t>(s.fullnat.port_lo + below(10000));
    return s;
  }

  lb::RealServer server(const lb::Service& svc, size_t si) {
    const bool v6 = svc.fwmark ? chance(40) : svc.vip.is_v6();
    const lb::FwdMode mode = pick(kModes);
    const bool dr = mode == lb::FwdMode::dr || mode == lb::FwdMode::tun;
    return {.addr = addr(v6),
            .port = dr || chance(40) ? uint16_t{0} : pick(kPorts),
            .mode = mode,
            .service = static_cast<uint32_t>(si)};
  }
  static constexpr lb::FwdMode kModes[] = {lb::FwdMode::dr, lb::FwdMode::nat, lb::FwdMode::nat,
                                           lb::FwdMode::fullnat, lb::FwdMode::tun};

  // A tuple matching an owned endpoint, or one field beside it, or anything.
  net::FiveTuple tuple(const lb::Snapshot& s) {
    const bool v6 = chance(45);
    net::FiveTuple t{.src = addr(v6),
                     .dst = addr(v6),
                     .sport = pick(kPorts),
                     .dport = pick(kPorts),
                     .proto = proto()};
    if (s.owned.empty() || chance(15)) return t;
    const lb::Endpoint& e = s.owned[below(static_cast<uint32_t>(s.owned.size()))];
    const uint16_t port =
        static_cast<uint16_t>(e.port_lo + below(uint32_t{e.port_hi} - e.port_lo + 1));
    net::IpAddr a = e.addr;
    for (int bit = e.prefix_len; bit < (a.is_v4() ? 32 : 128); ++bit)
      if (chance(50)) a.b[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
    const net::IpAddr other = addr(a.is_v6());
    t.proto = e.proto ? e.proto : proto();
    if (e.by_source()) {
      t = {.src = a, .dst = other, .sport = port, .dport = pick(kPorts), .proto = t.proto};
    } else {
      t = {.src = other, .dst = a, .sport = pick(kPorts), .dport = port, .proto = t.proto};
    }
    if (chance(25)) {  // beside it
      switch (below(3)) {
        case 0:
          ++t.dport;
          ++t.sport;
          break;
        case 1:
          t.proto = t.proto == IPPROTO_TCP ? IPPROTO_UDP : IPPROTO_TCP;
          break;
        default:
          t.src.b[3] ^= 1;
          t.dst.b[3] ^= 1;
      }
    }
    return t;
  }

  void ip(PacketBuilder& b, const net::IpAddr& src, const net::IpAddr& dst, bool v6,
          bool may_fragment) {
    if (!v6) {
      b.ipv4(text(src), text(dst));
      if (chance(8)) b.ip_options({0x94, 0x04, 0, 0});  // router alert
      if (may_fragment && chance(15))
        b.frag(static_cast<uint16_t>(chance(40) ? 0x2000  // a first fragment
                                                : (chance(50) ? 0x2000 : 0) | (below(200) + 1)));
      return;
    }
    b.ipv6(text(src), text(dst));
    const uint32_t exts = chance(60) ? 0 : chance(85) ? 1 + below(3) : 8 + below(2);
    for (uint32_t i = 0; i < exts; ++i) {
      const uint8_t types[] = {0, 43, 60, 44};
      const uint8_t type = may_fragment || i > 0 ? types[below(4)] : types[below(3)];
      b.ipv6_ext(type, type == 44 ? 6 : 6 + 8 * below(2));
      if (type == 44)
        b.frag(
            static_cast<uint16_t>(chance(40) ? 1 : ((below(200) + 1) << 3) | (chance(50) ? 1 : 0)));
    }
  }

  void l4(PacketBuilder& b, uint8_t proto, uint16_t sport, uint16_t dport) {
    if (proto == IPPROTO_TCP)
      b.tcp(sport, dport, chance(50) ? 0x02 : 0x10);
    else
      b.udp(sport, dport);
  }

  std::mt19937_64 rng_;
};

std::string hex(const Bytes& f) {
  std::ostringstream o;
  for (size_t i = 0; i < f.size(); ++i)
    o << (i % 16 ? " " : "\n  ") << std::hex << (f[i] >> 4) << (f[i] & 0xf);
  return o.str();
}

const char* kind_name(lb::EndpointKind k) {
  switch (k) {
    case lb::EndpointKind::service:
      return "service";
    case lb::EndpointKind::nat_rs:
      return "nat_rs (source)";
    case lb::EndpointKind::laddr:
      return "laddr";
    case lb::EndpointKind::fwmark:
      return "fwmark";
    case lb::EndpointKind::service_addr:
      return "service_addr";
  }
  return "?";
}

std::string describe(const lb::Snapshot& s) {
  std::ostringstream o;
  o << "\n  accepted MACs:";
  for (const net::MacAddr& m : s.accept_macs)
    o << " " << net::to_text(m).view();
  for (const lb::Endpoint& e : s.owned)
    o << "\n  " << kind_name(e.kind) << " " << text(e.addr) << "/" << int(e.prefix_len) << " ports "
      << e.port_lo << "-" << e.port_hi << " proto " << int(e.proto) << " -> " << e.value;
  return o.str();
}

uint64_t seed() {
  if (const char* env = std::getenv("GALE_STEER_DIFF_SEED"); env && *env)
    return std::strtoull(env, nullptr, 0);
  return 0x5eed7;
}

TEST(SteerDiff, XdpVerdictEqualsTheClassifier) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, BPF)";
  Topology t;
  InNetns in(t.ns_a);
  XdpProgram prog({.ifname = t.va});
  // A socket on queue 0, so that an owned frame's XSKMAP lookup succeeds: XDP_REDIRECT.
  AfXdpIo io({.programs = {&prog}, .queues = {{.link = 0, .queue = 0}}});

  auto xdp_owned = [&](const Bytes& frame) {
    Bytes buf(frame);
    xdp_md ctx{.data = 0,
               .data_end = static_cast<uint32_t>(buf.size()),
               .ingress_ifindex = prog.ifindex(),
               .rx_queue_index = 0};
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf.data(),
                .data_size_in = static_cast<uint32_t>(buf.size()), .ctx_in = &ctx,
                .ctx_size_in = sizeof ctx);
    EXPECT_EQ(bpf_prog_test_run_opts(prog.prog_fd(), &opts), 0) << std::strerror(errno);
    EXPECT_TRUE(opts.retval == XDP_REDIRECT || opts.retval == XDP_PASS) << opts.retval;
    return opts.retval == XDP_REDIRECT;
  };

  const uint64_t s0 = seed();
  Gen g(s0);
  int owned = 0, frames = 0, failures = 0;
  for (int round = 0; round < kSnapshots && failures < 5; ++round) {
    const lb::Snapshot snap = g.snapshot();
    ASSERT_TRUE(prog.set_owned(owned_endpoints(snap)).has_value());
    ASSERT_TRUE(prog.set_macs(snap.accept_macs).has_value());
    for (int i = 0; i < kFramesPerSnapshot && failures < 5; ++i) {
      const Bytes f = g.frame(snap);
      net::ParsedPacket pp;
      const lb::Classified c = lb::classify({f.data(), f.size()}, snap, pp);
      const bool xdp = xdp_owned(f);
      ++frames;
      owned += c.owned();
      if (xdp != c.owned()) {
        ++failures;
        ADD_FAILURE() << "seed " << s0 << " round " << round << " frame " << i << ": XDP says "
                      << (xdp ? "redirect" : "pass") << ", the classifier says class " << int(c.cls)
                      << " drop " << lb::to_string(c.drop) << " icmp_error " << c.icmp_error
                      << "\nframe:" << hex(f) << "\nowned:" << describe(snap);
      }
    }
  }
  // Both answers must be common, or the test proves little.
  EXPECT_GT(owned, frames / 5) << owned << " of " << frames;
  EXPECT_LT(owned, frames * 4 / 5) << owned << " of " << frames;
  std::printf("%d frames, %d owned, seed %#llx\n", frames, owned,
              static_cast<unsigned long long>(s0));
}

}  // namespace
}  // namespace gale::io
