// translate_v4 (one pass, each checksum updated once) against the field-by-field
// rewrite it replaces (decrement_ttl, set_src_addr, set_dst_addr, set_port): the same
// bytes for random IPv4 TCP and UDP headers, corner values included (checksums 0 and
// 0xffff, UDP without a checksum, ports 0 and 0xffff, unchanged fields, TTL 1).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "lb/rewrite.h"
#include "net/ipv4.h"
#include "net/l4.h"

namespace gale::lb {
namespace {

uint16_t pick16(std::mt19937& rng) {
  switch (rng() % 6) {
    case 0:
      return 0;
    case 1:
      return 0xffff;
    default:
      return static_cast<uint16_t>(rng());
  }
}

uint32_t pick_addr(std::mt19937& rng) {
  // A unicast address (first octet 1..223), or the corner 255.255.255.255 as an old one.
  return static_cast<uint32_t>(((1 + rng() % 223) << 24) | (rng() & 0xffffff));
}

TEST(TranslateV4, SameBytesAsTheFieldByFieldRewrite) {
  std::mt19937 rng(99);
  int changed = 0;
  for (int round = 0; round < 200000; ++round) {
    std::vector<uint8_t> a(20 + 20);
    for (auto& b : a)
      b = static_cast<uint8_t>(rng());
    const uint8_t proto = rng() % 2 ? net::kProtoTcp : net::kProtoUdp;
    a[0] = 0x45;
    a[8] = static_cast<uint8_t>(rng() % 4 == 0 ? rng() % 3 : rng());  // TTL 0, 1, 2 often
    a[9] = proto;
    net::store_be16(a.data() + 10, pick16(rng));
    if (rng() % 4 == 0) net::store_be32(a.data() + 12, 0xffffffff);
    net::store_be16(a.data() + 20, pick16(rng));
    net::store_be16(a.data() + 22, pick16(rng));
    const size_t check_at = 20 + (proto == net::kProtoTcp ? 16 : 6);
    net::store_be16(a.data() + check_at, pick16(rng));
    V4Tuple to{.src = rng() % 3 == 0 ? net::load_be32(a.data() + 12) : pick_addr(rng),
               .dst = rng() % 3 == 0 ? net::load_be32(a.data() + 16) : pick_addr(rng),
               .sport = rng() % 3 == 0 ? net::load_be16(a.data() + 20) : pick16(rng),
               .dport = rng() % 3 == 0 ? net::load_be16(a.data() + 22) : pick16(rng)};
    if (to.sport == 0) to.sport = 1;  // the rewrites set no port 0 (rs, local and VIP ports)
    if (to.dport == 0 && rng() % 2) to.dport = 1;  // a client's port may be anything
    std::vector<uint8_t> b = a;

    // Both sides (FullNAT), the destination only (NAT to the server), the source only
    // (NAT back to the client).
    const int sides = static_cast<int>(rng() % 3);
    const bool src = sides != 1, dst = sides != 2;
    const bool ok_a = sides == 0   ? translate_v4<true, true>(a.data(), a.data() + 20, proto, to)
                      : sides == 1 ? translate_v4<false, true>(a.data(), a.data() + 20, proto, to)
                                   : translate_v4<true, false>(a.data(), a.data() + 20, proto, to);
    bool ok_b = decrement_ttl(b.data(), net::Family::v4);
    if (ok_b && src) {
      set_src_addr(b.data(), b.data() + 20, proto, net::Ipv4Addr{to.src});
      set_port(b.data() + 20, 0, proto, net::Family::v4, to.sport);
    }
    if (ok_b && dst) {
      set_dst_addr(b.data(), b.data() + 20, proto, net::Ipv4Addr{to.dst});
      set_port(b.data() + 20, 2, proto, net::Family::v4, to.dport);
    }
    ASSERT_EQ(ok_a, ok_b) << "round " << round;
    ASSERT_EQ(a, b) << "round " << round;
    changed += ok_a;
  }
  EXPECT_GT(changed, 100000);
}

}  // namespace
}  // namespace gale::lb
