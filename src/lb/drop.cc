#include "lb/drop.h"

namespace gale::lb {

const char* to_string(Drop d) {
  const int v = static_cast<int>(d);
  if (v >= static_cast<int>(Drop::parse_first_) && v <= static_cast<int>(Drop::parse_last_))
    return net::to_string(static_cast<net::ParseError>(v));
  switch (d) {
    case Drop::none:
      return "none";
    case Drop::no_dest:
      return "no_dest";
    case Drop::fragment:
      return "fragment";
    case Drop::ttl_exceeded:
      return "ttl_exceeded";
    case Drop::too_big_no_df:
      return "too_big_no_df";
    case Drop::no_local_port:
      return "no_local_port";
    case Drop::headroom:
      return "headroom";
    case Drop::table_full:
      return "table_full";
    case Drop::no_neighbour:
      return "no_neighbour";
    case Drop::no_route:
      return "no_route";
    case Drop::bad_checksum:
      return "bad_checksum";
    case Drop::nat64_fragment:
      return "nat64_fragment";
    case Drop::nat64_untranslatable:
      return "nat64_untranslatable";
    default:
      return "unknown";
  }
}

}  // namespace gale::lb
