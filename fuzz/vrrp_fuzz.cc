// libFuzzer target for the VRRP advertisement codec: random bytes through parse_vrrp
// (the first input byte picks the family and the pseudo-header's addresses). What
// parses must be sendable and must round-trip: build, parse again, the same advert.
#include <cstddef>
#include <cstdint>
#include <span>

#include "ha/vrrp_packet.h"

#include "fuzz_check.h"

namespace {

using namespace gale;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool v6 = data[0] & 1;
  const ha::VrrpIpPair ip =
      v6 ? ha::VrrpIpPair{*net::parse_ip("fe80::1"), *net::parse_ip("ff02::12")}
         : ha::VrrpIpPair{*net::parse_ip("10.0.0.1"), *net::parse_ip("224.0.0.18")};
  const net::Family family = v6 ? net::Family::v6 : net::Family::v4;
  auto a = ha::parse_vrrp(std::span(data + 1, size - 1), family, ip);
  if (!a) return 0;
  if (a->auth == ha::VrrpAuth::ah) return 0;  // parsed (counted by the receiver), never sent
  CHECK(ha::check_vrrp(*a).has_value());
  const auto bytes = ha::build_vrrp(*a, ip);
  auto again = ha::parse_vrrp(bytes, family, ip);
  CHECK(again.has_value());
  CHECK(*again == *a);
  return 0;
}
