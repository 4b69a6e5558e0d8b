#include "lb/client_addr.h"

#include <cassert>
#include <cstring>

#include "net/checksum.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"

namespace gale::lb {

namespace {

using net::Family;

// The pseudo-header sum of the packet's L4 segment of `len` bytes.
uint32_t pseudo_sum(const uint8_t* l3, const net::ParsedPacket& pp, size_t len) {
  if (pp.family == Family::v4)
    return net::pseudo_header_v4(net::ipv4::src(l3), net::ipv4::dst(l3), pp.proto,
                                 static_cast<uint16_t>(len));
  return net::pseudo_header_v6(l3 + 8, l3 + 24, pp.proto, static_cast<uint32_t>(len));
}

// Where the L4 checksum sits, and whether this segment has one (UDP over IPv4 may not).
uint8_t* l4_check(uint8_t* l4, const net::ParsedPacket& pp) {
  if (pp.proto == net::kProtoTcp) return l4 + net::tcp::kCheckOffset;
  uint8_t* c = l4 + net::udp::kCheckOffset;
  return pp.family == Family::v4 && net::load_be16(c) == 0 ? nullptr : c;
}

// The IP header's length fields (and IPv4 header checksum) of a packet grown by n bytes.
void grow_ip_len(uint8_t* l3, const net::ParsedPacket& pp, size_t n) {
  if (pp.family == Family::v4) {
    const uint16_t old_len = net::ipv4::total_len(l3);
    const uint16_t new_len = static_cast<uint16_t>(old_len + n);
    net::store_be16(l3 + 2, new_len);
    net::ipv4::set_check(l3, net::csum_update16(net::ipv4::check(l3), old_len, new_len));
  } else {
    net::store_be16(l3 + 4, static_cast<uint16_t>(net::ipv6::payload_len(l3) + n));
  }
}

// Moves the frame's first `at` bytes n bytes into the headroom, opening a gap of n
// bytes at `at`; pp's offsets past the gap follow. The caller checked the headroom.
uint8_t* open_gap(Packet& p, net::ParsedPacket& pp, size_t at, size_t n) {
  std::memmove(p.data - n, p.data, at);
  p.data -= n;
  p.headroom = static_cast<uint16_t>(p.headroom - n);
  p.len = static_cast<uint16_t>(p.len + n);
  pp.l3_end = static_cast<uint16_t>(pp.l3_end + n);
  pp.frame_len = static_cast<uint16_t>(pp.frame_len + n);
  return p.data + at;
}

// Puts n bytes of `prefix` in front of the payload: the headers move n bytes into the
// headroom, the IP (and UDP) lengths grow, and the L4 checksum is computed whole -- once
// the received one is found right, so that a corrupted segment is not made to look
// sound.
Outcome insert_prefix(Packet& p, net::ParsedPacket& pp, const uint8_t* prefix, size_t n) {
  if (p.headroom < n) return Outcome::dropped(Drop::headroom);
  const size_t l4_len = size_t{pp.l3_end} - pp.l4_off;
  if (pp.l3_len() + n > 0xffff) return Outcome::dropped(Drop::headroom);
  {
    const uint8_t* l3 = p.data + pp.l3_off;
    uint8_t* l4 = p.data + pp.l4_off;
    if (l4_check(l4, pp) && net::checksum(l4, l4_len, pseudo_sum(l3, pp, l4_len)) != 0)
      return Outcome::dropped(Drop::bad_checksum);
  }
  std::memcpy(open_gap(p, pp, pp.payload_off, n), prefix, n);

  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* l4 = p.data + pp.l4_off;
  grow_ip_len(l3, pp, n);
  const size_t new_l4_len = l4_len + n;
  if (pp.proto == net::kProtoUdp) net::store_be16(l4 + 4, static_cast<uint16_t>(new_l4_len));
  if (uint8_t* c = l4_check(l4, pp)) {
    net::store_be16(c, 0);
    uint16_t sum = net::checksum(l4, new_l4_len, pseudo_sum(l3, pp, new_l4_len));
    if (sum == 0 && pp.proto == net::kProtoUdp) sum = 0xffff;
    net::store_be16(c, sum);
  }
  return Outcome::tx();
}

// Rewrites the 32-bit field at l4 + off and the TCP checksum (RFC 1624), at any byte
// offset: a field at an odd offset is updated in the byte-swapped domain, where it is
// word aligned (ones'-complement sums commute with byte swapping, RFC 1071).
void set_tcp_u32(uint8_t* l4, size_t off, uint32_t v) {
  const uint32_t old_v = net::load_be32(l4 + off);
  if (old_v == v) return;
  net::store_be32(l4 + off, v);
  uint16_t c = net::tcp::check(l4);
  if (off % 2 == 0) {
    c = net::csum_update32(c, old_v, v);
  } else {
    c = __builtin_bswap16(net::csum_update32(__builtin_bswap16(c), old_v, v));
  }
  net::tcp::set_check(l4, c);
}

// A sequence number of the server's space for the client's bytes, in the client's: the
// header's bytes map to the first payload byte. Distances from first_seq are unsigned:
// TCP's signed comparison would call a byte 2 GiB on "before" it; only the ISN is.
uint32_t to_client_space(uint32_t v, const ProxyState& st) {
  const uint32_t past = v - st.first_seq;
  if (past == ~uint32_t{0}) return v;
  if (past < st.delta) return st.first_seq;
  return v - st.delta;
}

// The header for a client's packet (none for version 0).
size_t header_of(const net::ParsedPacket& pp, uint8_t version, uint8_t* out) {
  return version ? net::write_proxy_header(out, version, proxy_endpoints(pp)) : 0;
}

uint8_t toa_len(const ProxyState& st) {
  return st.toa ? (st.toa_v6 ? kToaLenV6 : kToaLenV4) : 0;
}

// Puts the TOA option (the client's port and address, from the client's packet) first
// among the TCP options: the headers before it move into the headroom, the data offset
// and lengths grow, and the checksum is updated for the option's words, the new data
// offset and the pseudo-header's length (RFC 1624) -- a corrupted segment stays so.
// False when the options or the headroom have no room.
bool insert_toa(Packet& p, net::ParsedPacket& pp) {
  uint8_t opt[kToaLenV6];
  const bool v6 = pp.family == Family::v6;
  const size_t n = v6 ? kToaLenV6 : kToaLenV4;
  opt[0] = kTcpOptToa;
  opt[1] = static_cast<uint8_t>(n);
  net::store_be16(opt + 2, pp.tuple.sport);
  std::memcpy(opt + 4, pp.tuple.src.b.data(), v6 ? 16 : 4);

  const size_t hl = net::tcp::header_len(p.data + pp.l4_off);
  if (hl + n > net::kTcpMaxHeaderLen || p.headroom < n || pp.l3_len() + n > 0xffff) return false;
  const size_t old_l4_len = size_t{pp.l3_end} - pp.l4_off;
  std::memcpy(open_gap(p, pp, pp.l4_off + net::kTcpMinHeaderLen, n), opt, n);
  pp.payload_off = static_cast<uint16_t>(pp.payload_off + n);
  if (pp.tcp_mss_off) pp.tcp_mss_off = static_cast<uint16_t>(pp.tcp_mss_off + n);

  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* l4 = p.data + pp.l4_off;
  grow_ip_len(l3, pp, n);
  const uint16_t old_word = net::load_be16(l4 + 12);  // data offset, flags
  const uint16_t new_word = static_cast<uint16_t>(old_word + ((n / 4) << 12));
  net::store_be16(l4 + 12, new_word);
  static constexpr uint8_t kZero[kToaLenV6] = {};
  uint16_t c = net::csum_update_bytes(net::tcp::check(l4), kZero, opt, n);
  c = net::csum_update16(c, old_word, new_word);
  c = net::csum_update16(c, static_cast<uint16_t>(old_l4_len),
                         static_cast<uint16_t>(old_l4_len + n));
  net::tcp::set_check(l4, c);
  return true;
}

}  // namespace

ProxyState proxy_begin(const Packet& p, const net::ParsedPacket& pp, uint8_t version, bool toa) {
  uint8_t hdr[net::kProxyHeaderMax];
  const size_t n = header_of(pp, version, hdr);
  return {.first_seq = net::tcp::seq(p.data + pp.l4_off) + 1,
          .delta = static_cast<uint16_t>(n),
          .version = version,
          .toa = toa,
          .toa_v6 = pp.family == Family::v6};
}

Outcome proxy_to_server(Packet& p, net::ParsedPacket& pp, ProxyState& st, ProxyAdded& added) {
  const bool want_toa = st.toa && !st.toa_done;
  if (pp.tcp_flags & net::kTcpSyn) {
    if (want_toa) (insert_toa(p, pp) ? added.toa : added.toa_no_room) = true;
    return Outcome::tx();
  }
  uint8_t* l4 = p.data + pp.l4_off;
  const uint32_t seq = net::tcp::seq(l4);
  if (seq == st.first_seq) {
    const bool rst = pp.tcp_flags & net::kTcpRst;
    // A reset before the server has the header stays where the server expects it, bare;
    // once the header is acknowledged, the first byte is past it like every other.
    if (rst && (st.delta == 0 || !st.acked)) return Outcome::tx();
    if (want_toa && !rst) (insert_toa(p, pp) ? added.toa : added.toa_no_room) = true;
    if (st.delta == 0) return Outcome::tx();
    if (!st.acked) {
      // The same bytes as at the SYN: the header depends on the connection's addresses.
      uint8_t hdr[net::kProxyHeaderMax];
      [[maybe_unused]] const size_t n = header_of(pp, st.version, hdr);
      assert(n == st.delta);
      const Outcome o = insert_prefix(p, pp, hdr, st.delta);
      added.header = o.verdict == Verdict::tx;
      return o;
    }
    l4 = p.data + pp.l4_off;  // the option moved the headers
  }
  // All but the ISN (a keep-alive probe before any data), however far on.
  if (st.delta != 0 && seq != st.first_seq - 1) set_tcp_u32(l4, 4, seq + st.delta);
  return Outcome::tx();
}

Outcome proxy_datagram(Packet& p, net::ParsedPacket& pp, uint8_t version) {
  uint8_t hdr[net::kProxyHeaderMax];
  const size_t n = header_of(pp, version, hdr);
  if (n == 0) return Outcome::tx();
  return insert_prefix(p, pp, hdr, n);
}

void proxy_to_client(Packet& p, const net::ParsedPacket& pp, ProxyState& st) {
  uint8_t* l4 = p.data + pp.l4_off;
  const bool syn = pp.tcp_flags & net::kTcpSyn;
  if (st.toa && !syn &&
      (pp.payload_off != pp.l3_end || ((pp.tcp_flags & net::kTcpAck) &&
                                       static_cast<int32_t>(net::tcp::ack(l4) - st.first_seq) > 0)))
    st.toa_done = 1;                  // the server is past the handshake: it has the client's ACK
  if (st.delta == 0 && !syn) return;  // TOA alone: only the SYN-ACK's MSS moves
  const uint16_t shrink = static_cast<uint16_t>(st.delta + toa_len(st));
  if (st.delta != 0 && (pp.tcp_flags & net::kTcpAck)) {
    const uint32_t ack = net::tcp::ack(l4);
    if (static_cast<int32_t>(ack - st.first_seq) >= st.delta) st.acked = 1;
    set_tcp_u32(l4, 8, to_client_space(ack, st));
  }
  uint8_t* opts = l4 + net::kTcpMinHeaderLen;
  uint8_t* end = l4 + net::tcp::header_len(l4);
  if (opts == end) return;
  net::walk_options(opts, end, [&](uint8_t kind, uint8_t* at, uint8_t len) {
    if (kind == net::kTcpOptSack && st.delta != 0) {
      for (size_t e = 2; e + 4 <= len; e += 4) {
        const size_t off = static_cast<size_t>(at - l4) + e;
        set_tcp_u32(l4, off, to_client_space(net::load_be32(l4 + off), st));
      }
    } else if (kind == net::kTcpOptMss && len == 4 && syn) {
      // The client's segments must leave room for what goes in front of the first.
      const uint16_t mss = net::load_be16(at + 2);
      if (mss > shrink + 64) {
        const size_t off = static_cast<size_t>(at - l4);  // kind, len, value: aligned
        set_tcp_u32(l4, off, net::load_be32(at) - shrink);
      }
    }
  });
}

}  // namespace gale::lb
