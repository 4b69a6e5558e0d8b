#include "net/proxy_protocol.h"

#include <cstdio>
#include <cstring>

#include "net/bytes.h"
#include "net/ipv4.h"

namespace gale::net {

namespace {

// "PROXY TCP4 <src> <dst> <sport> <dport>\r\n" (section 2.1).
size_t write_v1(uint8_t* out, const ProxyEndpoints& e) {
  if (e.proto != kProtoTcp) return 0;
  const int n =
      std::snprintf(reinterpret_cast<char*>(out), kProxyHeaderMax, "PROXY TCP%c %s %s %u %u\r\n",
                    e.src.is_v4() ? '4' : '6', to_text(e.src).c_str(), to_text(e.dst).c_str(),
                    unsigned{e.sport}, unsigned{e.dport});
  return n > 0 && static_cast<size_t>(n) < kProxyHeaderMax ? static_cast<size_t>(n) : 0;
}

// Signature, version 2 + PROXY command, family + transport, length, then the
// addresses and ports (section 2.2).
size_t write_v2(uint8_t* out, const ProxyEndpoints& e) {
  const bool v4 = e.src.is_v4();
  const size_t addr_len = v4 ? 12 : 36;
  std::memcpy(out, kProxyV2Sig, kProxyV2Signature);
  out[12] = 0x21;  // version 2, PROXY
  out[13] = static_cast<uint8_t>((v4 ? 0x10 : 0x20) | (e.proto == kProtoTcp ? 0x1 : 0x2));
  store_be16(out + 14, static_cast<uint16_t>(addr_len));
  uint8_t* a = out + 16;
  if (v4) {
    store_be32(a, e.src.v4().v);
    store_be32(a + 4, e.dst.v4().v);
    a += 8;
  } else {
    std::memcpy(a, e.src.b.data(), 16);
    std::memcpy(a + 16, e.dst.b.data(), 16);
    a += 32;
  }
  store_be16(a, e.sport);
  store_be16(a + 2, e.dport);
  return 16 + addr_len;
}

}  // namespace

size_t write_proxy_header(uint8_t* out, int version, const ProxyEndpoints& e) {
  if (e.src.family != e.dst.family || e.src.family == Family::none) return 0;
  if (e.proto != kProtoTcp && e.proto != kProtoUdp) return 0;
  if (version == 1) return write_v1(out, e);
  if (version == 2) return write_v2(out, e);
  return 0;
}

}  // namespace gale::net
