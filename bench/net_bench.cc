// Microbenchmarks of the packet layer (net/): parsing, checksums, and the NAT rewrite
// core (destination address + incremental IPv4 and TCP checksum updates).
//
// Packet benchmarks walk a ring of kRingSize prebuilt frames, kBatch frames per
// iteration, as a worker walks its rx ring: the same frame is not parsed again until
// the ring wraps, so the numbers are not those of one frame sitting hot in L1. Frames
// sit kFrameStride bytes apart, as in an AF_XDP UMEM. items/s counts packets.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "net/checksum.h"
#include "net/ipv4.h"
#include "net/l4.h"
#include "net/parse.h"
#include "packet_builder.h"
#include "ref_checksum.h"

namespace gale::net {
namespace {

using test::PacketBuilder;

constexpr size_t kRingSize = 4096;  // a power of two
constexpr size_t kFrameStride = 2048;
constexpr int kBatch = 64;

constexpr auto kMacA = "02:00:00:00:00:01";
constexpr auto kMacB = "02:00:00:00:00:02";

// kRingSize frames of one kind, copied into UMEM-like fixed-size slots.
class FrameRing {
 public:
  template <typename Make>
  explicit FrameRing(Make make) : mem_(kRingSize * kFrameStride), len_(kRingSize) {
    for (size_t i = 0; i < kRingSize; ++i) {
      std::vector<uint8_t> f = make(i);
      std::copy(f.begin(), f.end(), mem_.begin() + i * kFrameStride);
      len_[i] = static_cast<uint16_t>(f.size());
    }
  }
  Bytes frame(size_t i) const { return {mem_.data() + i * kFrameStride, len_[i]}; }
  uint8_t* data(size_t i) { return mem_.data() + i * kFrameStride; }

 private:
  std::vector<uint8_t> mem_;
  std::vector<uint16_t> len_;
};

// Addresses and ports vary per frame so that no two frames of a ring are identical.
std::string v4_addr(uint32_t net, size_t i) {
  char s[32];
  std::snprintf(s, sizeof s, "%u.%zu.%zu.%zu", net, (i >> 16) & 255, (i >> 8) & 255, i & 255);
  return s;
}
std::string v6_addr(const char* prefix, size_t i) {
  char s[64];
  std::snprintf(s, sizeof s, "%s%zx", prefix, i + 1);
  return s;
}
uint16_t sport(size_t i) {
  return static_cast<uint16_t>(1024 + (i * 7919) % 60000);
}

std::vector<uint8_t> make_ipv4_tcp(size_t i) {
  return PacketBuilder()
      .eth(kMacA, kMacB)
      .ipv4(v4_addr(10, i), "192.0.2.10")
      .tcp(sport(i), 80, kTcpAck | kTcpPsh)
      .seq(static_cast<uint32_t>(i) * 1000)
      .payload(std::string(64, 'x'))
      .build();
}

std::vector<uint8_t> make_ipv6_udp_ext(size_t i) {
  return PacketBuilder()
      .eth(kMacA, kMacB)
      .ipv6(v6_addr("2001:db8:1::", i), "2001:db8::53")
      .ipv6_ext(0)
      .ipv6_ext(60, 14)
      .udp(sport(i), 53)
      .payload(std::string(32, 'q'))
      .build();
}

std::vector<uint8_t> make_vlan_ipv4_tcp(size_t i) {
  return PacketBuilder()
      .eth(kMacA, kMacB)
      .vlan(static_cast<uint16_t>(100 + i % 8))
      .ipv4(v4_addr(10, i), "192.0.2.10")
      .tcp(sport(i), 443, kTcpAck)
      .payload(std::string(64, 'x'))
      .build();
}

const FrameRing& ring_ipv4_tcp() {
  static const FrameRing r(make_ipv4_tcp);
  return r;
}
const FrameRing& ring_ipv6_udp_ext() {
  static const FrameRing r(make_ipv6_udp_ext);
  return r;
}
const FrameRing& ring_vlan() {
  static const FrameRing r(make_vlan_ipv4_tcp);
  return r;
}

// Parses kBatch frames into a batch of results per iteration, as step 2 of the fast
// path does (DESIGN.md section 3).
void parse_ring(benchmark::State& state, const FrameRing& ring) {
  std::array<ParsedPacket, kBatch> batch;
  size_t next = 0;
  uint64_t errors = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      errors += parse(ring.frame(next), batch[i]) != ParseError::ok;
      next = (next + 1) & (kRingSize - 1);
    }
    benchmark::DoNotOptimize(batch);
  }
  if (errors != 0) state.SkipWithError("a frame did not parse");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
}

void BM_ParseIpv4Tcp(benchmark::State& state) {
  parse_ring(state, ring_ipv4_tcp());
}
void BM_ParseIpv6UdpExt(benchmark::State& state) {
  parse_ring(state, ring_ipv6_udp_ext());
}
void BM_ParseVlanIpv4Tcp(benchmark::State& state) {
  parse_ring(state, ring_vlan());
}
BENCHMARK(BM_ParseIpv4Tcp);
BENCHMARK(BM_ParseIpv6UdpExt);
BENCHMARK(BM_ParseVlanIpv4Tcp);

// Full RFC 1071 checksum over an IPv4 header, a small packet, a full-size packet.
void BM_Checksum(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> buf(n);
  for (size_t i = 0; i < n; ++i)
    buf[i] = static_cast<uint8_t>(i * 131 + 7);
  for (auto _ : state) {
    const uint8_t* p = buf.data();
    benchmark::DoNotOptimize(p);
    uint16_t c = checksum(p, n);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_Checksum)->Arg(20)->Arg(64)->Arg(1500);

// RFC 1624 update of a checksum for one changed 32-bit field (an IPv4 address). Each
// update depends on the last, so this is the latency of one update.
void BM_CsumUpdate32(benchmark::State& state) {
  uint16_t check = 0x1234;
  uint32_t old_v = 0x0a000001;
  uint32_t new_v = 0xc0000202;
  for (auto _ : state) {
    check = csum_update32(check, old_v, new_v);
    benchmark::DoNotOptimize(check);
    old_v = new_v;
    new_v += 0x9e3779b9;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_CsumUpdate32);

// True when the frame's IPv4 header and TCP checksums verify with the reference
// checksum (independent of net/).
bool checksums_ok(const uint8_t* f, const ParsedPacket& pp) {
  const uint8_t* ip = f + pp.l3_off;
  std::vector<uint8_t> hdr(ip, ip + ipv4::header_len(ip));
  if (test::ref_checksum(hdr) != 0) return false;
  const size_t l4_len = pp.l3_end - pp.l4_off;
  std::vector<uint8_t> seg(ip + 12, ip + 20);  // pseudo-header: addresses,
  seg.insert(seg.end(), {0, kProtoTcp, static_cast<uint8_t>(l4_len >> 8),
                         static_cast<uint8_t>(l4_len)});  // zero, protocol, length
  seg.insert(seg.end(), f + pp.l4_off, f + pp.l3_end);
  return test::ref_checksum(seg) == 0;
}

// The NAT rewrite core: a parsed IPv4/TCP packet gets a new destination address, and
// both the IPv4 header checksum (inside set_dst) and the TCP checksum (whose
// pseudo-header covers the address) are updated incrementally.
void BM_NatRewriteIpv4Tcp(benchmark::State& state) {
  FrameRing ring(make_ipv4_tcp);
  std::vector<ParsedPacket> parsed(kRingSize);
  for (size_t i = 0; i < kRingSize; ++i) {
    if (parse(ring.frame(i), parsed[i]) != ParseError::ok) {
      state.SkipWithError("a frame did not parse");
      return;
    }
  }
  // Real servers the flows are spread over.
  constexpr std::array<Ipv4Addr, 4> kReals = {Ipv4Addr{0x0a010001}, Ipv4Addr{0x0a010002},
                                              Ipv4Addr{0x0a010003}, Ipv4Addr{0x0a010004}};
  size_t next = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      const ParsedPacket& pp = parsed[next];
      uint8_t* f = ring.data(next);
      uint8_t* ip = f + pp.l3_off;
      uint8_t* l4 = f + pp.l4_off;
      const Ipv4Addr old_dst = ipv4::dst(ip);
      const Ipv4Addr new_dst = kReals[next & 3];
      ipv4::set_dst(ip, new_dst);
      tcp::set_check(l4, csum_update32(tcp::check(l4), old_dst.v, new_dst.v));
      next = (next + 1) & (kRingSize - 1);
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
  // The work measured must also be right: every rewritten frame still verifies.
  for (size_t i = 0; i < kRingSize; ++i) {
    if (!checksums_ok(ring.data(i), parsed[i])) {
      state.SkipWithError("a rewritten frame has a wrong checksum");
      return;
    }
  }
}
BENCHMARK(BM_NatRewriteIpv4Tcp);

}  // namespace
}  // namespace gale::net

BENCHMARK_MAIN();
