#include "ha/sync_wire.h"

#include <cstring>
#include <string>

#include "net/bytes.h"

namespace gale::ha {

namespace {

constexpr uint8_t kMagic[4] = {'G', 'S', 'Y', 'N'};

size_t addr_len(net::Family f) {
  return f == net::Family::v4 ? 4 : 16;
}

void put_addr(uint8_t* p, const net::IpAddr& a, net::Family f) {
  if (a.family == f) std::memcpy(p, a.b.data(), addr_len(f));  // else zero: none
}

net::IpAddr get_addr(const uint8_t* p, net::Family f) {
  if (f == net::Family::v4) return net::IpAddr(net::Ipv4Addr{net::load_be32(p)});
  net::Ipv6Addr a;
  std::memcpy(a.b.data(), p, 16);
  return net::IpAddr(a);
}

// NAT64 (lb/nat64.h): an IPv6 record's real server and local address may be IPv4,
// written IPv4-mapped (::ffff:a.b.c.d, RFC 4291 2.5.5.2), which no IPv6 server or local
// address is. A reader that does not know this finds no such server: refused, counted.
constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
void put_addr_or_mapped(uint8_t* p, const net::IpAddr& a, net::Family f) {
  if (f != net::Family::v6 || !a.is_v4()) return put_addr(p, a, f);
  std::memcpy(p, kMappedPrefix, 12);
  std::memcpy(p + 12, a.b.data(), 4);
}
net::IpAddr get_addr_or_mapped(const uint8_t* p, net::Family f) {
  if (f == net::Family::v6 && std::memcmp(p, kMappedPrefix, 12) == 0)
    return net::IpAddr(net::Ipv4Addr{net::load_be32(p + 12)});
  return get_addr(p, f);
}

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

}  // namespace

size_t write_sync_header(std::span<uint8_t> buf, const SyncHeader& h, uint8_t count) {
  uint8_t* p = buf.data();
  std::memcpy(p, kMagic, 4);
  p[4] = kSyncVersion;
  p[5] = static_cast<uint8_t>(h.type);
  p[6] = h.syncid;
  p[7] = count;
  net::store_be32(p + 8, h.node);
  net::store_be32(p + 12, h.seq);
  return kSyncHeaderLen;
}

SyncWriter::SyncWriter(std::span<uint8_t> buf, const SyncHeader& h) : buf_(buf) {
  write_sync_header(buf_, h, 0);
}

bool SyncWriter::add(const lb::SyncEvent& ev) {
  const lb::FlowRecord& r = ev.flow;
  const net::Family f = r.tuple.src.family;
  const size_t base = f == net::Family::v4 ? kSyncRecordV4 : kSyncRecordV6;
  const size_t n = base + (r.proxy_version ? kSyncSeqLen : 0);
  if (count_ == kSyncMaxRecords || len_ + n > buf_.size()) return false;
  uint8_t* p = buf_.data() + len_;
  std::memset(p, 0, n);
  p[0] = static_cast<uint8_t>(ev.op);
  p[1] = f == net::Family::v4 ? 4 : 6;
  p[2] = r.proto;
  p[3] = static_cast<uint8_t>(r.mode);
  p[4] = static_cast<uint8_t>(r.state);
  net::store_be16(p + 6, static_cast<uint16_t>(n));
  net::store_be32(p + 8, r.fwmark);
  net::store_be32(p + 12, r.timeout_s);
  net::store_be16(p + 16, r.vport);
  net::store_be16(p + 18, r.rs_port);
  net::store_be16(p + 20, r.tuple.sport);
  net::store_be16(p + 22, r.tuple.dport);
  net::store_be16(p + 24, r.lport);
  net::store_be16(p + 26, (r.persistence_template ? kSyncFlagTemplate : 0) |
                              (r.proxy_version ? kSyncFlagInSeq : 0));
  const size_t al = addr_len(f);
  uint8_t* a = p + kSyncRecordFixed;
  put_addr(a, r.vip, f);
  put_addr_or_mapped(a + al, r.rs_addr, f);
  put_addr(a + 2 * al, r.tuple.src, f);
  put_addr(a + 3 * al, r.tuple.dst, f);
  put_addr_or_mapped(a + 4 * al, r.laddr, f);
  if (r.proxy_version) {
    uint8_t* q = p + base;
    net::store_be32(q, r.proxy_first_seq);
    net::store_be16(q + 4, r.proxy_delta);
    q[6] = r.proxy_version;
    q[7] = r.proxy_acked ? 1 : 0;
  }
  len_ += n;
  ++count_;
  return true;
}

size_t SyncWriter::finish() {
  buf_[7] = count_;
  return len_;
}

Expected<SyncHeader> parse_sync(std::span<const uint8_t> d, std::vector<lb::SyncEvent>& out) {
  auto bad = [](std::string why) { return Expected<SyncHeader>(fail(std::move(why))); };
  if (d.size() < kSyncHeaderLen) return bad("too short");
  if (std::memcmp(d.data(), kMagic, 4) != 0) return bad("magic");
  if (d[4] != kSyncVersion) return bad("version " + std::to_string(d[4]));
  if (d[5] < 1 || d[5] > 3) return bad("type " + std::to_string(d[5]));
  SyncHeader h{.type = static_cast<SyncType>(d[5]),
               .syncid = d[6],
               .node = net::load_be32(d.data() + 8),
               .seq = net::load_be32(d.data() + 12)};
  const uint8_t count = d[7];
  if (h.type != SyncType::flows && count != 0) return bad("records in a control message");
  std::vector<lb::SyncEvent> got;
  got.reserve(count);
  size_t off = kSyncHeaderLen;
  for (int i = 0; i < count; ++i) {
    const std::string at = "record " + std::to_string(i + 1) + ": ";
    if (d.size() - off < kSyncRecordFixed) return bad(at + "truncated");
    const uint8_t* p = d.data() + off;
    const uint16_t len = net::load_be16(p + 6);
    if (len > d.size() - off) return bad(at + "truncated");
    if (p[1] != 4 && p[1] != 6) return bad(at + "family " + std::to_string(p[1]));
    const net::Family f = p[1] == 4 ? net::Family::v4 : net::Family::v6;
    const size_t need = f == net::Family::v4 ? kSyncRecordV4 : kSyncRecordV6;
    if (len < need) return bad(at + "length " + std::to_string(len));
    if (p[0] != 1 && p[0] != 2) return bad(at + "op " + std::to_string(p[0]));
    if (p[3] > static_cast<uint8_t>(lb::FwdMode::fullnat))
      return bad(at + "mode " + std::to_string(p[3]));
    if (p[4] == 0 || p[4] >= lb::kConnStateCount) return bad(at + "state " + std::to_string(p[4]));
    if (p[2] == 0) return bad(at + "protocol 0");
    const size_t al = addr_len(f);
    const uint8_t* a = p + kSyncRecordFixed;
    lb::SyncEvent ev{.op = static_cast<lb::SyncOp>(p[0])};
    lb::FlowRecord& r = ev.flow;
    r.fwmark = net::load_be32(p + 8);
    r.timeout_s = net::load_be32(p + 12);
    r.vport = net::load_be16(p + 16);
    r.rs_port = net::load_be16(p + 18);
    r.proto = p[2];
    r.mode = static_cast<lb::FwdMode>(p[3]);
    r.state = static_cast<lb::ConnState>(p[4]);
    const uint16_t flags = net::load_be16(p + 26);
    r.persistence_template = (flags & kSyncFlagTemplate) != 0;
    if (flags & kSyncFlagInSeq) {
      if (len < need + kSyncSeqLen) return bad(at + "sequence translation truncated");
      const uint8_t* q = p + need;
      r.proxy_first_seq = net::load_be32(q);
      r.proxy_delta = net::load_be16(q + 4);
      r.proxy_version = q[6];
      r.proxy_acked = q[7] != 0;
      if (r.proxy_version < 1 || r.proxy_version > 2)
        return bad(at + "sequence translation version " + std::to_string(q[6]));
    }
    r.tuple = {.src = get_addr(a + 2 * al, f),
               .dst = get_addr(a + 3 * al, f),
               .sport = net::load_be16(p + 20),
               .dport = net::load_be16(p + 22),
               .proto = p[2]};
    // A fwmark service has no VIP; the fields read back as they were written.
    r.vip = r.fwmark && all_zero(a, al) ? net::IpAddr{} : get_addr(a, f);
    r.rs_addr = get_addr_or_mapped(a + al, f);
    if (r.mode == lb::FwdMode::fullnat) {
      r.laddr = get_addr_or_mapped(a + 4 * al, f);
      r.lport = net::load_be16(p + 24);
    }
    got.push_back(ev);
    off += len;
  }
  if (off != d.size()) return bad("trailing bytes");
  out.insert(out.end(), got.begin(), got.end());
  return h;
}

}  // namespace gale::ha
