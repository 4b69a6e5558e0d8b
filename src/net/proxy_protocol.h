// The PROXY protocol header (haproxy's "The PROXY protocol", versions 1 and 2): what a
// proxy writes in front of a connection's first byte so that the server learns the
// client's address. Builders only; gale never reads one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/addr.h"

namespace gale::net {

// The longest header written: v1 is at most 107 bytes ("PROXY TCP6 " and two full
// IPv6 addresses and ports); v2 without TLVs is 28 (IPv4) or 52 (IPv6) bytes.
inline constexpr size_t kProxyHeaderMax = 108;
inline constexpr size_t kProxyV2Signature = 12;
inline constexpr uint8_t kProxyV2Sig[kProxyV2Signature] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                                           0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

// The connection a header describes: the client (source) and the address it connected
// to (destination), of one family; proto is TCP or UDP (v1: TCP only).
struct ProxyEndpoints {
  IpAddr src;
  IpAddr dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
};

// Writes the header of `version` (1 or 2) into out (kProxyHeaderMax bytes) and returns
// its length; 0 when it cannot describe the connection (v1 over UDP, mixed families).
size_t write_proxy_header(uint8_t* out, int version, const ProxyEndpoints& e);

}  // namespace gale::net
