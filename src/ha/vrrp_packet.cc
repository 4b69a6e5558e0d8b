#include "ha/vrrp_packet.h"

#include <algorithm>

#include "net/bytes.h"
#include "net/checksum.h"

namespace gale::ha {

namespace {

constexpr size_t kHeader = 8;    // version/type .. checksum
constexpr size_t kAuthData = 8;  // v2's trailing authentication data

size_t addr_len(net::Family f) {
  return f == net::Family::v6 ? 16 : 4;
}

// The checksum over the message (and, for v3, the pseudo-header), the field zeroed.
uint16_t vrrp_checksum(std::span<const uint8_t> msg, uint8_t version, const VrrpIpPair& ip) {
  uint32_t sum = 0;
  if (version == 3) {
    const auto len = static_cast<uint16_t>(msg.size());
    sum = ip.src.is_v6() ? net::pseudo_header_v6(ip.src.b.data(), ip.dst.b.data(), kVrrpProto, len)
                         : net::pseudo_header_v4(ip.src.v4(), ip.dst.v4(), kVrrpProto, len);
  }
  // Bytes 6-7 (the checksum) count as zero: sum around them.
  sum = net::csum_partial(msg.data(), 6, sum);
  return net::checksum(msg.data() + kHeader, msg.size() - kHeader, sum);
}

}  // namespace

Expected<void> check_vrrp(const VrrpAdvert& a) {
  if (a.version != 2 && a.version != 3)
    return fail("VRRP version " + std::to_string(a.version) + " (2 or 3)");
  if (a.vrid == 0) return fail("virtual router id 0 (1..255)");
  if (a.family != net::Family::v4 && a.family != net::Family::v6) return fail("no address family");
  if (a.version == 2 && a.family != net::Family::v4) return fail("VRRP v2 is IPv4 only");
  if (a.version == 2 && (a.interval < 1 || a.interval > 255))
    return fail("v2 advertisement interval " + std::to_string(a.interval) + " s (1..255)");
  if (a.version == 3 && (a.interval < 1 || a.interval > 4095))
    return fail("v3 advertisement interval " + std::to_string(a.interval) + " cs (1..4095)");
  if (a.addrs.size() > kVrrpMaxAddrs) return fail("more than 255 addresses");
  for (const net::IpAddr& x : a.addrs)
    if (x.family != a.family) return fail("an address of the other family");
  if (a.version == 3 && a.auth != VrrpAuth::none) return fail("v3 has no authentication");
  return {};
}

std::vector<uint8_t> build_vrrp(const VrrpAdvert& a, const VrrpIpPair& ip) {
  const size_t alen = addr_len(a.family);
  std::vector<uint8_t> m(kHeader + a.addrs.size() * alen + (a.version == 2 ? kAuthData : 0));
  m[0] = static_cast<uint8_t>(a.version << 4 | 1);
  m[1] = a.vrid;
  m[2] = a.priority;
  m[3] = static_cast<uint8_t>(a.addrs.size());
  if (a.version == 2) {
    m[4] = static_cast<uint8_t>(a.auth);
    m[5] = static_cast<uint8_t>(a.interval);
  } else {
    net::store_be16(&m[4], a.interval & 0x0fff);
  }
  size_t at = kHeader;
  for (const net::IpAddr& x : a.addrs) {
    std::copy_n(x.b.begin(), alen, m.begin() + static_cast<ptrdiff_t>(at));
    at += alen;
  }
  if (a.version == 2)
    std::copy(a.auth_data.begin(), a.auth_data.end(), m.begin() + static_cast<ptrdiff_t>(at));
  net::store_be16(&m[6], vrrp_checksum(m, a.version, ip));
  return m;
}

Expected<VrrpAdvert> parse_vrrp(std::span<const uint8_t> msg, net::Family family,
                                const VrrpIpPair& ip) {
  if (msg.size() < kHeader) return fail("too short for a VRRP header");
  VrrpAdvert a;
  a.version = msg[0] >> 4;
  if (a.version != 2 && a.version != 3) return fail("version " + std::to_string(a.version));
  if ((msg[0] & 0x0f) != 1)
    return fail("type " + std::to_string(msg[0] & 0x0f) + " (1 is ADVERTISEMENT)");
  if (a.version == 2 && family != net::Family::v4) return fail("v2 over IPv6");
  a.family = family;
  a.vrid = msg[1];
  if (a.vrid == 0) return fail("virtual router id 0");
  a.priority = msg[2];
  const size_t count = msg[3];
  const size_t alen = addr_len(family);
  const size_t want = kHeader + count * alen + (a.version == 2 ? kAuthData : 0);
  // Longer is allowed (keepalived pads nothing, but a sender may); shorter is not.
  if (msg.size() < want)
    return fail("length " + std::to_string(msg.size()) + " < " + std::to_string(want) + " for " +
                std::to_string(count) + " addresses");
  if (net::load_be16(&msg[6]) != vrrp_checksum(msg, a.version, ip)) return fail("checksum");
  if (a.version == 2) {
    if (msg[4] > 2) return fail("auth type " + std::to_string(msg[4]));
    a.auth = static_cast<VrrpAuth>(msg[4]);
    a.interval = msg[5];
    if (a.interval == 0) return fail("advertisement interval 0");
  } else {
    a.interval = net::load_be16(&msg[4]) & 0x0fff;
    if (a.interval == 0) return fail("advertisement interval 0");
  }
  size_t at = kHeader;
  a.addrs.reserve(count);
  for (size_t i = 0; i < count; ++i, at += alen) {
    net::IpAddr x;
    x.family = family;
    std::copy_n(msg.begin() + static_cast<ptrdiff_t>(at), alen, x.b.begin());
    a.addrs.push_back(x);
  }
  if (a.version == 2)
    std::copy_n(msg.begin() + static_cast<ptrdiff_t>(at), kAuthData, a.auth_data.begin());
  return a;
}

}  // namespace gale::ha
