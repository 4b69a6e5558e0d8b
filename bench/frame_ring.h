// The frames gale-bench's driver hands the worker: a ring of a few thousand buffers, as
// a NIC's would (stride 2112 bytes: a power-of-two stride would alias every frame's
// headers into a few cache sets), each refilled before its batch from a 64-byte
// template and one flow's addresses, ports and flags.
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "lb/packet.h"
#include "net/checksum.h"
#include "net/l4.h"
#include "packet_builder.h"

namespace gale::bench {

constexpr size_t kRing = 4096;
constexpr size_t kStride = 2112;
constexpr uint16_t kHeadroom = 256;
constexpr uint16_t kFrameLen = 64;
// The client's sequence numbers: its SYN, then every later segment (past its first
// payload byte, so a PROXY connection moves it); the server acknowledges past the
// header (so that a PROXY connection maps it back).
constexpr uint32_t kSynSeq = 0;
constexpr uint32_t kSeq = 1000;
constexpr uint32_t kAck = 5000;
constexpr size_t kSeqOffset = 14 + 20 + 4;  // in the template's frame

// One direction's packet of a flow: what the driver writes into a buffer.
struct FlowPkt {
  uint32_t src, dst;
  uint16_t sport, dport;
  uint8_t flags;
};

// The TCP checksum of the frames the driver writes: left as the template's (nothing
// checks it on the way), or kept right (a PROXY insertion verifies it), which costs the
// driver four more incremental updates.
enum class L4Checksum { stale, kept };

// The family of the frames: IPv6 frames carry a flow's 32-bit src and dst as the last
// 4 bytes of 2001:db8:c::/96 and 2001:db8::/96 addresses (their TCP checksum stale).
enum class RingFamily { v4, v6 };
constexpr uint16_t kFrameLenV6 = 14 + 40 + 20;

class Ring {
 public:
  explicit Ring(L4Checksum l4 = L4Checksum::stale, RingFamily family = RingFamily::v4)
      : l4_(l4), v6_(family == RingFamily::v6) {
    mem_ = static_cast<uint8_t*>(
        mmap(nullptr, kRing * kStride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    test::PacketBuilder b;
    b.eth("02:00:00:00:00:aa", "02:00:00:00:00:01");
    if (v6_)
      b.ipv6("2001:db8:c::1", "2001:db8::10");
    else
      b.ipv4("198.51.100.1", "192.0.2.10");
    b.tcp(1, 80, net::kTcpAck).seq(kSeq).ack(kAck);
    if (!v6_) b.pad_to(kFrameLen);  // an IPv6 frame is longer than kFrameLen already
    tmpl_ = b.build();
    if (v6_) return;
    tmpl_src_ = net::load_be32(tmpl_.data() + 26);
    tmpl_dst_ = net::load_be32(tmpl_.data() + 30);
    tmpl_check_ = net::load_be16(tmpl_.data() + 24);
    tmpl_ports_ = net::load_be32(tmpl_.data() + 34);
    tmpl_flags_ = net::load_be16(tmpl_.data() + 46);
    tmpl_tcp_check_ = net::load_be16(tmpl_.data() + 50);
  }
  ~Ring() { munmap(mem_, kRing * kStride); }

  bool v6() const { return v6_; }
  // Where the TCP sequence number is in a frame.
  size_t seq_offset() const { return v6_ ? 14 + 40 + 4 : kSeqOffset; }

  // Refills batch slot i from buffer `slot` with flow packet f.
  void fill(lb::Packet& p, size_t slot, const FlowPkt& f) {
    uint8_t* d = mem_ + slot * kStride + kHeadroom;
    if (v6_) {
      std::memcpy(d, tmpl_.data(), kFrameLenV6);
      net::store_be32(d + 14 + 8 + 12, f.src);
      net::store_be32(d + 14 + 24 + 12, f.dst);
      net::store_be16(d + 54, f.sport);
      net::store_be16(d + 56, f.dport);
      d[54 + 13] = f.flags;
      p = lb::Packet{.data = d, .len = kFrameLenV6, .headroom = kHeadroom};
      return;
    }
    std::memcpy(d, tmpl_.data(), kFrameLen);
    net::store_be32(d + 26, f.src);
    net::store_be32(d + 30, f.dst);
    // The header checksum follows the addresses, as on a frame off the wire (the parser
    // refuses a wrong one): two incremental updates of the template's.
    net::store_be16(d + 24, net::csum_update32(net::csum_update32(tmpl_check_, tmpl_src_, f.src),
                                               tmpl_dst_, f.dst));
    net::store_be16(d + 34, f.sport);
    net::store_be16(d + 36, f.dport);
    d[47] = f.flags;
    if (l4_ == L4Checksum::kept) {
      uint16_t c = net::csum_update32(tmpl_tcp_check_, tmpl_src_, f.src);
      c = net::csum_update32(c, tmpl_dst_, f.dst);
      c = net::csum_update32(c, tmpl_ports_, uint32_t{f.sport} << 16 | f.dport);
      net::store_be16(d + 50, net::csum_update16(c, tmpl_flags_, net::load_be16(d + 46)));
    }
    p = lb::Packet{.data = d, .len = kFrameLen, .headroom = kHeadroom};
  }

 private:
  L4Checksum l4_;
  bool v6_;
  uint8_t* mem_;
  std::vector<uint8_t> tmpl_;
  uint32_t tmpl_src_ = 0, tmpl_dst_ = 0, tmpl_ports_ = 0;
  uint16_t tmpl_check_ = 0, tmpl_flags_ = 0, tmpl_tcp_check_ = 0;
};

}  // namespace gale::bench
