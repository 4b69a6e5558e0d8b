// The fast checksum against the reference one on random data (a differential test), and
// incremental updates against recomputation.
#include "net/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "net/bytes.h"
#include "ref_checksum.h"

namespace gale::net {
namespace {

using test::ref_checksum;

// A header sums right exactly when the reference sum over it, its checksum field
// included, is zero; random headers of every length, half of them given their right
// checksum, and the corner cases of the one's complement (all ones, all zeros).
TEST(Checksum, Ipv4HeaderSumsOkAgreesWithTheReference) {
  std::mt19937 rng(7);
  size_t sound = 0;
  for (int round = 0; round < 20000; ++round) {
    const size_t hl = 20 + 4 * (rng() % 11);
    std::vector<uint8_t> h(hl);
    const int fill = round % 4;
    for (auto& b : h)
      b = fill == 0 ? 0xff : fill == 1 ? 0 : static_cast<uint8_t>(rng());
    if (rng() % 2) {
      h[10] = h[11] = 0;
      const uint16_t c = ref_checksum(h);
      h[10] = static_cast<uint8_t>(c >> 8);
      h[11] = static_cast<uint8_t>(c);
    }
    const bool want = ref_checksum(h) == 0;
    sound += want;
    ASSERT_EQ(ipv4_header_sums_ok(h.data(), hl), want) << "round " << round;
  }
  EXPECT_GT(sound, 5000u);
}

TEST(Checksum, MatchesReferenceOnRandomData) {
  std::mt19937 rng(1);
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> data(rng() % 1600);
    for (auto& b : data)
      b = static_cast<uint8_t>(rng());
    // Start at every alignment: packet headers sit at odd offsets.
    size_t skew = rng() % 8;
    std::vector<uint8_t> buf(skew);
    buf.insert(buf.end(), data.begin(), data.end());
    ASSERT_EQ(checksum(buf.data() + skew, data.size()), ref_checksum(data))
        << "len " << data.size() << " skew " << skew;
  }
}

TEST(Checksum, PiecewiseEqualsWhole) {
  std::mt19937 rng(2);
  for (int round = 0; round < 1000; ++round) {
    std::vector<uint8_t> data(2 + rng() % 1500);
    for (auto& b : data)
      b = static_cast<uint8_t>(rng());
    size_t cut = (rng() % data.size()) & ~size_t{1};
    uint32_t sum = csum_partial(data.data(), cut);
    EXPECT_EQ(checksum(data.data() + cut, data.size() - cut, sum), ref_checksum(data));
  }
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (checksum 220d).
  std::vector<uint8_t> d = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(csum_fold(csum_partial(d.data(), d.size())), 0xddf2);
  EXPECT_EQ(checksum(d.data(), d.size()), 0x220d);
}

TEST(Checksum, IncrementalUpdateEqualsRecompute) {
  std::mt19937 rng(3);
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> data(4 + 2 * (rng() % 40));
    for (auto& b : data)
      b = static_cast<uint8_t>(rng());
    uint16_t check = ref_checksum(data);
    size_t at = 2 * (rng() % (data.size() / 2 - 1));
    // Choose the edge cases often: all-zero and all-one words.
    uint32_t nv = rng() % 4 == 0 ? 0 : rng() % 4 == 0 ? 0xffffffff : rng();
    if (round % 2 == 0) {
      uint16_t old_w = load_be16(&data[at]);
      store_be16(&data[at], static_cast<uint16_t>(nv));
      check = csum_update16(check, old_w, static_cast<uint16_t>(nv));
    } else {
      uint32_t old_v = load_be32(&data[at]);
      store_be32(&data[at], nv);
      check = csum_update32(check, old_v, nv);
    }
    // Ones' complement has two zeros: all-zero data may come out as checksum 0x0000
    // instead of 0xffff, which receivers accept alike (RFC 1624 section 3).
    uint16_t want = ref_checksum(data);
    if (want == 0xffff && check == 0) check = 0xffff;
    ASSERT_EQ(check, want) << "round " << round;
  }
}

TEST(Checksum, UpdateBytesForIpv6Address) {
  std::mt19937 rng(4);
  std::vector<uint8_t> data(64);
  for (auto& b : data)
    b = static_cast<uint8_t>(rng());
  uint16_t check = ref_checksum(data);
  uint8_t addr[16];
  for (auto& b : addr)
    b = static_cast<uint8_t>(rng());
  check = csum_update_bytes(check, &data[8], addr, 16);
  std::copy(addr, addr + 16, &data[8]);
  data.push_back(static_cast<uint8_t>(check >> 8));
  data.push_back(static_cast<uint8_t>(check));
  EXPECT_EQ(ref_checksum(data), 0);
}

TEST(Checksum, UdpZeroMeansNone) {
  EXPECT_EQ(udp_csum_update32(0, 0x0a000001, 0x0a000002), 0);
  // An update whose result would be 0 is sent as 0xffff.
  uint16_t c = csum_update16(0x1234, 0x0000, 0x0000);
  EXPECT_EQ(c, 0x1234);
  EXPECT_NE(udp_csum_update16(0xffff, 0x0000, 0x0000), 0);
}

}  // namespace
}  // namespace gale::net
