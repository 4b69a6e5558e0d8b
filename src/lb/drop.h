// Why the dataplane dropped a frame. Each reason is a per-worker counter
// (gale_drops_total{reason="..."}); the parse reasons mirror net::ParseError. Frames
// that are not ours (no service, a reply or ICMP error matching no connection) are not
// drops: they go to the kernel, which owns the VIP too.
#pragma once

#include <cstdint>

#include "net/parse.h"

namespace gale::lb {

enum class Drop : uint8_t {
  none = 0,
  // net::ParseError, value for value (1 .. kParseErrorCount-1)
  parse_first_ = 1,
  parse_last_ = net::kParseErrorCount - 1,
  no_dest,               // the service has no available real server
  fragment,              // a non-first fragment with no flow to follow (no ports to match)
  ttl_exceeded,          // TTL/hop limit would reach 0 (NAT modes route, so they decrement)
  too_big_no_df,         // too big after encapsulation and fragmentation allowed: not done
  no_local_port,         // FullNAT: every local port in this worker's range is in use
  headroom,              // the frame has too little headroom to encapsulate
  table_full,            // FullNAT: no flow entry free (FullNAT cannot forward statelessly)
  no_neighbour,          // the next hop's MAC is not resolved yet (galed is resolving it)
  no_route,              // no route toward the client of a reply (the host has none either)
  bad_checksum,          // a segment gale must rewrite whole (PROXY header) arrived corrupted
  nat64_fragment,        // NAT64: a fragment (IPv6 fragment header, IPv4 MF/offset)
  nat64_untranslatable,  // NAT64: a routing header still to follow, an ICMP error of no
                         // counterpart in the other family (RFC 7915 4.2, 5.2)
  count_
};
inline constexpr int kDropCount = static_cast<int>(Drop::count_);

inline Drop drop_of(net::ParseError e) {
  return static_cast<Drop>(static_cast<uint8_t>(e));
}
const char* to_string(Drop d);

}  // namespace gale::lb
