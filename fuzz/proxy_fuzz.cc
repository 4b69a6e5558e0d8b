// libFuzzer target for the PROXY protocol's sequence translation behind FullNAT
// (lb/client_addr.h, docs/modes.md "What gale does to the connection"): one TCP
// connection through a real Worker, and a model of both byte streams on the side.
//
// Input: a config byte (bit 0: PROXY v1 or v2; bit 1: IPv4 or IPv6 client; bits 2-3:
// whether the server's SYN-ACK has an MSS option), the client's ISN (4 bytes), its port
// (2), the server's MSS (2); then operations of an opcode byte and its operands:
// client data at any offset and length of the client's byte stream (overlaps,
// out-of-order, retransmissions of the first segment, FIN), bare ACKs at ISN + 1, server
// ACKs with SACK blocks (edges in the received range, inside the header, or anything),
// jumps of the stream offset (a long connection: gigabytes later), RSTs;
// corrupted checksums on either side. The client's byte at stream offset k is a hash of
// k, so no stream is stored.
//
// Invariants, from the specification rather than from net/proxy_protocol or
// lb/client_addr:
//  - every byte a segment puts at the server's sequence number first + o is the
//    expected header's byte o (o < delta), or the client's byte o - delta: the server's
//    stream is header || client stream wherever covered, and no position ever receives
//    two different bytes; the header is written here from the two versions' text;
//  - a segment starting at the first payload byte carries the header until the server
//    acknowledged it (and a RST there stays there); every other one moves by delta;
//  - every sent frame parses, its lengths agree, its IP checksum verifies and its TCP
//    checksum verifies exactly when the received one did; a corrupted segment that
//    needed the header is dropped (bad_checksum);
//  - the SYN-ACK's MSS reaches the client lowered by delta, and no segment toward the
//    server exceeds the MSS it announced;
//  - acknowledgements and SACK edges reach the client mapped back (an edge inside the
//    header at the first payload byte); from the range the server received, they land
//    in [ISN + 1, ISN + 1 + bytes sent].
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "lb/worker.h"
#include "net/ipv4.h"
#include "tcp_segment.h"

namespace {

using namespace gale;

constexpr size_t kHeadroom = 256;
constexpr uint16_t kVport = 443, kRsPort = 8080;
constexpr uint8_t kPort0Mac[6] = {2, 0, 0, 0, 0, 1};  // toward the clients
constexpr uint8_t kPort1Mac[6] = {2, 0, 0, 0, 0, 2};  // toward the servers
constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kRst = 0x04, kPsh = 0x08;
// The client's stream stays clear of the 2^32 wrap of the server's sequence space.
constexpr uint32_t kStreamCap = 0xfff00000u;

// One family's addresses, in text (for the v1 header) and bytes.
struct Addrs {
  const char *client, *vip, *rs, *laddr;
  uint8_t client_b[16], vip_b[16], rs_b[16], laddr_b[16];
};
const Addrs kV4 = {"198.51.100.7",    "192.0.2.10",    "10.1.0.1",    "10.2.0.1",
                   {198, 51, 100, 7}, {192, 0, 2, 10}, {10, 1, 0, 1}, {10, 2, 0, 1}};
const Addrs kV6 = {"2001:db8:c::7",
                   "2001:db8::10",
                   "2001:db8:1::1",
                   "2001:db8:2::1",
                   {0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7},
                   {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10},
                   {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                   {0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

lb::Snapshot make_snapshot(lb::ProxyProto proxy) {
  lb::Snapshot s;
  s.generation = 1;
  s.links.push_back({.mac = *net::parse_mac("02:00:00:00:00:01"),
                     .gateway_mac = *net::parse_mac("02:00:00:00:00:fe")});
  s.links.push_back({.mac = *net::parse_mac("02:00:00:00:00:02"),
                     .gateway_mac = *net::parse_mac("02:00:00:00:01:fe")});
  s.client_link = 0;
  s.fullnat.laddrs = {ip(kV4.laddr), ip(kV6.laddr)};
  for (const Addrs* a : {&kV4, &kV6}) {
    lb::Service svc{
        .vip = ip(a->vip), .port = kVport, .proto = net::kProtoTcp, .sched = lb::SchedKind::rr};
    svc.dests.push_back({.addr = ip(a->rs), .port = kRsPort, .weight = 1});
    svc.dest_ids.push_back(static_cast<uint16_t>(s.real_servers.size()));
    s.real_servers.push_back({.addr = ip(a->rs),
                              .port = kRsPort,
                              .mode = lb::FwdMode::fullnat,
                              .mac = *net::parse_mac("02:00:00:01:00:01"),
                              .out_link = 1,
                              .proxy = proxy,
                              .service = static_cast<uint32_t>(s.services.size())});
    s.services.push_back(std::move(svc));
  }
  if (!s.finalize()) __builtin_trap();
  return s;
}

// The header the server must read, from the specification: v1 is one text line,
// v2 the signature, version|command, family|transport, length, addresses, ports.
std::vector<uint8_t> expected_header(int version, bool v6, uint16_t cport) {
  const Addrs& a = v6 ? kV6 : kV4;
  if (version == 1) {
    const std::string s = std::string("PROXY TCP") + (v6 ? "6 " : "4 ") + a.client + " " + a.vip +
                          " " + std::to_string(cport) + " " + std::to_string(kVport) + "\r\n";
    return {s.begin(), s.end()};
  }
  const uint8_t sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
  std::vector<uint8_t> h(sig, sig + 12);
  h.insert(h.end(), {0x21, static_cast<uint8_t>(v6 ? 0x21 : 0x11), 0, uint8_t(v6 ? 36 : 12)});
  const size_t n = v6 ? 16 : 4;
  h.insert(h.end(), a.client_b, a.client_b + n);
  h.insert(h.end(), a.vip_b, a.vip_b + n);
  h.insert(h.end(), {static_cast<uint8_t>(cport >> 8), static_cast<uint8_t>(cport), kVport >> 8,
                     kVport & 0xff});
  return h;
}

// The client's byte at stream offset k.
uint8_t stream_byte(uint32_t k) {
  return static_cast<uint8_t>((k * 2654435761u) >> 24) ^ static_cast<uint8_t>(k);
}

// Reads operands; past the end, zeros.
struct Input {
  const uint8_t* d;
  size_t n, at = 0;
  bool more() const { return at < n; }
  uint8_t u8() { return at < n ? d[at++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() << 8 | u8()); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) << 16 | u16(); }
};

// One connection and its model.
struct Conn {
  lb::Worker* w;
  bool v6;
  const Addrs* a;
  std::vector<uint8_t> header;
  uint32_t delta = 0;
  uint16_t cport = 0, lport = 0;
  uint32_t isn = 0, first = 0, server_isn = 0;
  uint16_t client_mss = 0;                  // what the client was told
  uint16_t server_mss = 0;                  // what the server announced, 0: not checked
  uint32_t hi = 0;                          // past the client's highest byte sent (stream offset)
  bool acked = false;                       // the server acknowledged the whole header
  uint64_t headers = 0, bad_checksums = 0;  // what the worker's counters must say

  struct Sent {
    lb::Verdict verdict;
    lb::Drop drop;
    uint16_t link;
    fuzz::SentSegment seg;
    std::unique_ptr<uint8_t[]> buf;  // the frame seg points into
  };
  // One frame through the worker, in its own heap buffer (ASan sees a write past it).
  Sent run(const std::vector<uint8_t>& frame, uint16_t link) {
    const size_t size = kHeadroom + frame.size() + 64;
    auto buf = std::make_unique<uint8_t[]>(size);
    std::memcpy(buf.get() + kHeadroom, frame.data(), frame.size());
    lb::Batch b;
    b.count = 1;
    b.pkts[0] = {.data = buf.get() + kHeadroom,
                 .len = static_cast<uint16_t>(frame.size()),
                 .headroom = kHeadroom,
                 .link = link};
    w->process(b, 1000);
    const lb::Packet& p = b.pkts[0];
    CHECK(p.data >= buf.get() && p.data + p.len <= buf.get() + size);
    CHECK(p.headroom == p.data - buf.get());
    Sent s{p.verdict, p.drop_reason, p.link, {}, std::move(buf)};
    if (p.verdict != lb::Verdict::tx) return s;
    CHECK(fuzz::read_segment(p.data, p.len, s.seg));
    CHECK(s.seg.ip_ok);
    return s;
  }

  fuzz::SegmentSpec from_client(uint32_t seq, uint8_t flags) const {
    return {.v6 = v6,
            .dmac = kPort0Mac,
            .src = a->client_b,
            .dst = a->vip_b,
            .sport = cport,
            .dport = kVport,
            .seq = seq,
            .ack = server_isn + 1,
            .flags = flags};
  }
  fuzz::SegmentSpec from_server(uint32_t ack, uint8_t flags) const {
    return {.v6 = v6,
            .dmac = kPort1Mac,
            .src = a->rs_b,
            .dst = a->laddr_b,
            .sport = kRsPort,
            .dport = lport,
            .seq = server_isn + 1,
            .ack = ack,
            .flags = flags};
  }
  bool to_server(const Sent& s) const {
    const net::FiveTuple& t = s.seg.pp.tuple;
    return s.verdict == lb::Verdict::tx && s.link == 1 && t.src == ip(a->laddr) &&
           t.dst == ip(a->rs) && t.sport == lport && t.dport == kRsPort;
  }
  bool to_client(const Sent& s) const {
    const net::FiveTuple& t = s.seg.pp.tuple;
    return s.verdict == lb::Verdict::tx && s.link == 0 && t.src == ip(a->vip) &&
           t.dst == ip(a->client) && t.sport == kVport && t.dport == cport;
  }

  // The handshake; the server announces MSS m, or none.
  void handshake(uint16_t m, bool has_mss);
  void client_segment(uint32_t k, uint32_t len, uint8_t flags, bool corrupt);
  void server_segment(uint32_t ack, const std::vector<uint32_t>& sack, uint8_t flags, bool odd,
                      bool corrupt);
  uint32_t pick_edge(Input& in, bool near_header) const;

  // A value of the server's space for the client's bytes, in the client's, for a value
  // the server can have received (false for others, which are not checked): the
  // header's bytes map to the first payload byte.
  bool back(uint32_t v, uint32_t& out) const {
    const uint32_t r = v - first;
    if (r > delta + hi) return false;
    out = r < delta ? first : v - delta;
    return true;
  }
};

void Conn::handshake(uint16_t m, bool has_mss) {
  fuzz::SegmentSpec syn = from_client(isn, kSyn);
  syn.ack = 0;
  syn.options = {2, 4, 0x05, 0xb4, 4, 2};  // MSS 1460, SACK permitted
  Sent s = run(fuzz::write_segment(syn), 0);
  CHECK(s.verdict == lb::Verdict::tx && s.link == 1);
  lport = s.seg.pp.tuple.sport;
  CHECK(to_server(s));
  CHECK(s.seg.seq == isn && s.seg.flags == kSyn && s.seg.payload_len == 0 && s.seg.tcp_ok);

  fuzz::SegmentSpec synack = from_server(first, kSyn | kAck);
  synack.seq = server_isn;
  synack.options = {4, 2};
  if (has_mss) synack.options = {2, 4, static_cast<uint8_t>(m >> 8), static_cast<uint8_t>(m), 4, 2};
  s = run(fuzz::write_segment(synack), 1);
  CHECK(to_client(s));
  CHECK(s.seg.seq == server_isn && s.seg.ack == first && s.seg.tcp_ok);
  int told = -1;
  CHECK(fuzz::each_option(s.seg.options, s.seg.options_len,
                          [&](uint8_t kind, const uint8_t* body, size_t len) {
                            if (kind == 2 && len == 2) told = net::load_be16(body);
                          }));
  if (has_mss) {
    // Lowered by the header's length, so that the first segment fits with it; an MSS
    // that would fall to 64 or below is left alone (then nothing is checked against it).
    const bool lowered = m > delta + 64;
    CHECK(told == (lowered ? m - static_cast<int>(delta) : m));
    client_mss = static_cast<uint16_t>(told);
    server_mss = lowered ? m : 0;
  } else {
    CHECK(told == -1);
    client_mss = v6 ? 1220 : 536;  // the defaults (RFC 9293 3.7.1, RFC 8200 5)
  }
}

void Conn::client_segment(uint32_t k, uint32_t len, uint8_t flags, bool corrupt) {
  fuzz::SegmentSpec spec = from_client(first + k, flags);
  for (uint32_t i = 0; i < len; ++i)
    spec.payload.push_back(stream_byte(k + i));
  spec.corrupt = corrupt;
  const bool rst = (flags & kRst) != 0;
  const bool at_first = k == 0 && !acked;  // where the server expects the header
  const bool carries = at_first && !rst;
  const Sent s = run(fuzz::write_segment(spec), 0);
  if (len) hi = std::max(hi, k + len);
  if (carries && corrupt) {
    CHECK(s.verdict == lb::Verdict::drop && s.drop == lb::Drop::bad_checksum);
    ++bad_checksums;
    return;
  }
  CHECK(to_server(s));
  CHECK(s.seg.tcp_ok == !corrupt);
  CHECK(s.seg.flags == flags && s.seg.ack == spec.ack);
  const uint32_t o = s.seg.seq - first;  // the server's stream offset
  CHECK(o == (at_first ? 0 : delta + k));
  CHECK(s.seg.payload_len == len + (carries ? delta : 0));
  for (size_t i = 0; i < s.seg.payload_len; ++i) {
    const uint32_t at = o + static_cast<uint32_t>(i);
    CHECK(s.seg.payload[i] == (at < delta ? header[at] : stream_byte(at - delta)));
  }
  if (server_mss) CHECK(s.seg.payload_len <= server_mss);
  if (carries) ++headers;
}

void Conn::server_segment(uint32_t ack, const std::vector<uint32_t>& sack, uint8_t flags, bool odd,
                          bool corrupt) {
  fuzz::SegmentSpec spec = from_server(ack, flags);
  if (!sack.empty()) {
    spec.options = odd ? std::vector<uint8_t>{1} : std::vector<uint8_t>{1, 1};
    spec.options.insert(spec.options.end(), {5, static_cast<uint8_t>(2 + 4 * sack.size())});
    for (uint32_t e : sack)
      spec.options.insert(spec.options.end(),
                          {static_cast<uint8_t>(e >> 24), static_cast<uint8_t>(e >> 16),
                           static_cast<uint8_t>(e >> 8), static_cast<uint8_t>(e)});
  }
  spec.corrupt = corrupt;
  const Sent s = run(fuzz::write_segment(spec), 1);
  // TCP's comparison of sequence numbers (RFC 9293 3.4, modulo 2^32).
  if ((flags & kAck) && static_cast<int32_t>(ack - first) >= static_cast<int32_t>(delta))
    acked = true;
  CHECK(to_client(s));
  CHECK(s.seg.tcp_ok == !corrupt);
  CHECK(s.seg.flags == flags && s.seg.seq == spec.seq && s.seg.payload_len == 0);
  uint32_t want = 0;
  if ((flags & kAck) && back(ack, want)) {
    CHECK(s.seg.ack == want);
    CHECK(want - first <= hi);
  }
  std::vector<uint32_t> edges;
  CHECK(fuzz::each_option(s.seg.options, s.seg.options_len,
                          [&](uint8_t kind, const uint8_t* body, size_t len) {
                            if (kind != 5) return;
                            for (size_t i = 0; i + 4 <= len; i += 4)
                              edges.push_back(net::load_be32(body + i));
                          }));
  CHECK(edges.size() == sack.size());
  for (size_t i = 0; i < edges.size(); ++i) {
    if (!back(sack[i], want)) continue;
    CHECK(edges[i] == want);
    CHECK(want - first <= hi);
  }
}

// An acknowledgement or SACK edge: near the header, anywhere in the received range, near
// its top, or any number at all.
uint32_t Conn::pick_edge(Input& in, bool near_header) const {
  const uint64_t range = uint64_t{delta} + hi + 1;
  const uint8_t how = in.u8();
  switch (near_header ? 0 : how % 4) {
    case 0:
      return first + how % (2 * delta + 1);
    case 1:
      return first + static_cast<uint32_t>((uint64_t{in.u16()} * range) >> 16);
    case 2:
      return first + static_cast<uint32_t>(range - 1 - std::min<uint64_t>(in.u8(), range - 1));
    default:
      return in.u32();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 9) return 0;
  static const lb::Snapshot snaps[2] = {make_snapshot(lb::ProxyProto::v1),
                                        make_snapshot(lb::ProxyProto::v2)};
  Input in{data, size};
  const uint8_t config = in.u8();
  const int version = config & 1 ? 2 : 1;
  lb::Worker w(lb::WorkerConfig{.flows_v4 = 64, .flows_v6 = 64});
  w.use(&snaps[version - 1]);
  Conn c{.w = &w, .v6 = (config & 2) != 0};
  c.a = c.v6 ? &kV6 : &kV4;
  c.isn = in.u32();
  c.first = c.isn + 1;
  c.server_isn = c.isn ^ 0x5a5a5a5au;
  c.cport = std::max<uint16_t>(in.u16(), 1);
  c.header = expected_header(version, c.v6, c.cport);
  c.delta = static_cast<uint32_t>(c.header.size());
  c.handshake(static_cast<uint16_t>(88 + in.u16() % 1500), (config >> 2 & 3) != 0);

  const uint32_t seg_max = std::min<uint32_t>(c.client_mss, 1460);
  uint32_t base = 0;  // where the client's segments are, in its stream
  for (int ops = 0; in.more() && ops < 64; ++ops) {
    const uint8_t b = in.u8();
    const uint8_t fl = b >> 3;
    switch (b & 7) {
      case 0:
      case 1: {  // data around base; PSH, FIN
        const int64_t k = std::clamp<int64_t>(int64_t{base} + static_cast<int16_t>(in.u16()), 0,
                                              kStreamCap - 2048);
        const uint32_t len = in.u8() * seg_max / 255;
        const uint8_t flags = kAck | (fl & 2 ? kPsh : 0) | (fl & 4 ? kFin : 0);
        c.client_segment(static_cast<uint32_t>(k), len, flags, fl & 1);
        break;
      }
      case 2:  // the first segment again, any length
        c.client_segment(0, in.u8() * seg_max / 255, kAck | kPsh, fl & 1);
        break;
      case 3:  // a bare ACK at ISN + 1 (the handshake's, or its retransmission)
        c.client_segment(0, 0, kAck, fl & 1);
        break;
      case 4: {  // the server acknowledges, with up to 3 SACK blocks; FIN
        const bool near = fl & 4;
        const uint32_t ack = c.pick_edge(in, near);
        std::vector<uint32_t> sack;
        for (int i = 0; i < (fl & 3) * 2; ++i)
          sack.push_back(c.pick_edge(in, near));
        c.server_segment(ack, sack, kAck | (fl & 8 ? kFin : 0), fl & 8, fl & 16);
        break;
      }
      case 5:  // later in a long connection
        base =
            std::min<uint32_t>(base + (uint32_t{in.u16()} << (in.u8() % 17)), kStreamCap - 65536);
        break;
      case 6:  // FIN after the highest byte sent
        c.client_segment(c.hi, 0, kFin | kAck, fl & 1);
        break;
      default:
        if (fl % 4 == 1)  // the server resets
          c.server_segment(c.pick_edge(in, false), {}, kRst | kAck, false, fl & 16);
        else  // the client resets, at ISN + 1 or around base
          c.client_segment(fl & 4 ? 0 : base, 0, kRst, fl & 16);
        ops = 64;  // the connection is over
        break;
    }
  }
  CHECK(w.counters().proxy_headers == c.headers);
  CHECK(w.counters().drops[static_cast<int>(lb::Drop::bad_checksum)] == c.bad_checksums);
  return 0;
}
