#include "packet_builder.h"

#include <arpa/inet.h>

#include <stdexcept>

#include "ref_checksum.h"

namespace gale::test {

std::vector<uint8_t> mac_bytes(std::string_view text) {
  std::vector<uint8_t> m(6);
  unsigned v[6];
  std::string s(text);
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
    throw std::invalid_argument("bad MAC " + s);
  for (int i = 0; i < 6; ++i)
    m[i] = static_cast<uint8_t>(v[i]);
  return m;
}

std::vector<uint8_t> ip_bytes(std::string_view text) {
  std::string s(text);
  std::vector<uint8_t> b(16);
  if (inet_pton(AF_INET, s.c_str(), b.data()) == 1) return {b.begin(), b.begin() + 4};
  if (inet_pton(AF_INET6, s.c_str(), b.data()) == 1) return b;
  throw std::invalid_argument("bad IP " + s);
}

PacketBuilder::Layer& PacketBuilder::last() {
  if (layers_.empty()) throw std::logic_error("PacketBuilder: modifier before any layer");
  return layers_.back();
}

PacketBuilder& PacketBuilder::eth(std::string_view src, std::string_view dst) {
  layers_.push_back({.kind = Kind::eth, .src = mac_bytes(src), .dst = mac_bytes(dst)});
  return *this;
}
PacketBuilder& PacketBuilder::vlan(uint16_t tci, uint16_t tpid) {
  layers_.push_back({.kind = Kind::vlan, .a = tci, .b = tpid});
  return *this;
}
PacketBuilder& PacketBuilder::ipv4(std::string_view src, std::string_view dst) {
  layers_.push_back({.kind = Kind::ipv4, .src = ip_bytes(src), .dst = ip_bytes(dst)});
  return *this;
}
PacketBuilder& PacketBuilder::ipv6(std::string_view src, std::string_view dst) {
  layers_.push_back({.kind = Kind::ipv6, .src = ip_bytes(src), .dst = ip_bytes(dst)});
  return *this;
}
PacketBuilder& PacketBuilder::ipv6_ext(uint8_t type, size_t body_len) {
  layers_.push_back({.kind = Kind::ipv6_ext, .a = type, .b = static_cast<uint16_t>(body_len)});
  if (type == 44) layers_.back().frag = 0;
  return *this;
}
PacketBuilder& PacketBuilder::tcp(uint16_t sport, uint16_t dport, uint8_t flags) {
  layers_.push_back({.kind = Kind::tcp, .a = sport, .b = dport, .flags = flags});
  return *this;
}
PacketBuilder& PacketBuilder::udp(uint16_t sport, uint16_t dport) {
  layers_.push_back({.kind = Kind::udp, .a = sport, .b = dport});
  return *this;
}
PacketBuilder& PacketBuilder::icmp(uint8_t type, uint8_t code, uint32_t rest) {
  layers_.push_back({.kind = Kind::icmp, .flags = type, .code = code, .rest = rest});
  return *this;
}
PacketBuilder& PacketBuilder::gue() {
  layers_.push_back({.kind = Kind::gue});
  return *this;
}
PacketBuilder& PacketBuilder::vxlan(uint32_t vni) {
  layers_.push_back({.kind = Kind::vxlan, .rest = vni});
  return *this;
}
PacketBuilder& PacketBuilder::payload(std::string_view text) {
  payload_.assign(text.begin(), text.end());
  return *this;
}
PacketBuilder& PacketBuilder::payload(const std::vector<uint8_t>& bytes) {
  payload_ = bytes;
  return *this;
}

PacketBuilder& PacketBuilder::ttl(uint8_t v) {
  return last().ttl = v, *this;
}
PacketBuilder& PacketBuilder::tos(uint8_t v) {
  return last().tos = v, *this;
}
PacketBuilder& PacketBuilder::id(uint16_t v) {
  return last().id = v, *this;
}
PacketBuilder& PacketBuilder::frag(uint16_t v) {
  last().frag = v;
  last().frag_set = true;
  return *this;
}
PacketBuilder& PacketBuilder::ip_options(std::vector<uint8_t> o) {
  return last().options = std::move(o), *this;
}
PacketBuilder& PacketBuilder::seq(uint32_t v) {
  return last().seq = v, *this;
}
PacketBuilder& PacketBuilder::ack(uint32_t v) {
  return last().ack = v, *this;
}
PacketBuilder& PacketBuilder::window(uint16_t v) {
  return last().window = v, *this;
}
PacketBuilder& PacketBuilder::mss(uint16_t v) {
  auto& o = last().options;
  o.insert(o.end(), {2, 4, static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)});
  return *this;
}
PacketBuilder& PacketBuilder::tcp_options(std::vector<uint8_t> o) {
  last().options.insert(last().options.end(), o.begin(), o.end());
  return *this;
}
PacketBuilder& PacketBuilder::flow_label(uint32_t v) {
  return last().flow_label = v, *this;
}
PacketBuilder& PacketBuilder::no_udp_checksum() {
  return last().no_udp_checksum = true, *this;
}
PacketBuilder& PacketBuilder::checksum(uint16_t v) {
  return last().checksum = v, *this;
}
PacketBuilder& PacketBuilder::length(uint16_t v) {
  return last().length = v, *this;
}
PacketBuilder& PacketBuilder::proto(uint16_t v) {
  return last().proto = v, *this;
}
PacketBuilder& PacketBuilder::pad_to(size_t n) {
  return pad_to_ = n, *this;
}

namespace {

void put16(std::vector<uint8_t>& v, size_t at, uint16_t x) {
  v[at] = static_cast<uint8_t>(x >> 8);
  v[at + 1] = static_cast<uint8_t>(x);
}
void put32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  put16(v, at, static_cast<uint16_t>(x >> 16));
  put16(v, at + 2, static_cast<uint16_t>(x));
}
void pad4(std::vector<uint8_t>& o) {
  while (o.size() % 4)
    o.push_back(0);
}

using Kind = PacketBuilder::Kind;

// The ethertype, IP protocol or next header that announces a layer of this kind.
uint16_t ethertype_of(Kind k, uint16_t vlan_tpid) {
  switch (k) {
    case Kind::vlan:
      return vlan_tpid;
    case Kind::ipv4:
      return 0x0800;
    case Kind::ipv6:
      return 0x86dd;
    default:
      return 0;
  }
}
uint8_t ip_proto_of(Kind k, bool v6, uint16_t ext_type) {
  switch (k) {
    case Kind::ipv4:
      return 4;
    case Kind::ipv6:
      return 41;
    case Kind::ipv6_ext:
      return static_cast<uint8_t>(ext_type);
    case Kind::tcp:
      return 6;
    case Kind::udp:
      return 17;
    case Kind::icmp:
      return v6 ? 58 : 1;
    default:
      return 59;  // "no next header"
  }
}

}  // namespace

std::vector<uint8_t> PacketBuilder::build() const {
  std::vector<uint8_t> body = payload_;
  for (size_t i = layers_.size(); i-- > 0;) {
    const Layer& L = layers_[i];
    const Layer* next = i + 1 < layers_.size() ? &layers_[i + 1] : nullptr;
    // The nearest enclosing IP layer: its family and pseudo-header addresses.
    const Layer* ip = nullptr;
    for (size_t j = i; j-- > 0;) {
      if (layers_[j].kind == Kind::ipv4 || layers_[j].kind == Kind::ipv6) {
        ip = &layers_[j];
        break;
      }
    }
    // The family that numbers what follows L: L's own when L is an IP layer, else the
    // nearest enclosing IP layer's (IPv4 inside IPv6 carries ICMP, not ICMPv6).
    const bool v6 = L.kind == Kind::ipv6 || L.kind == Kind::ipv6_ext ||
                    (L.kind != Kind::ipv4 && ip && ip->kind == Kind::ipv6);
    const uint16_t next_tpid = next ? next->b : 0;
    const uint8_t next_proto = L.proto ? static_cast<uint8_t>(*L.proto)
                               : next  ? ip_proto_of(next->kind, v6, next->a)
                                       : 59;
    const uint16_t next_type = L.proto ? *L.proto : next ? ethertype_of(next->kind, next_tpid) : 0;

    std::vector<uint8_t> h;
    auto pseudo = [&](uint8_t proto, size_t len) {
      std::vector<uint8_t> p(ip->src);
      p.insert(p.end(), ip->dst.begin(), ip->dst.end());
      if (ip->kind == Kind::ipv4) {
        p.insert(p.end(), {0, proto, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)});
      } else {
        p.insert(p.end(),
                 {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                  static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len), 0, 0, 0, proto});
      }
      return p;
    };
    auto l4_checksum = [&](std::vector<uint8_t>& hdr, size_t at, uint8_t proto) {
      std::vector<uint8_t> all =
          ip ? pseudo(proto, hdr.size() + body.size()) : std::vector<uint8_t>{};
      all.insert(all.end(), hdr.begin(), hdr.end());
      all.insert(all.end(), body.begin(), body.end());
      uint16_t c = ref_checksum(all);
      put16(hdr, at, L.checksum ? *L.checksum : c);
      return c;
    };

    switch (L.kind) {
      case Kind::eth:
        h.insert(h.end(), L.dst.begin(), L.dst.end());
        h.insert(h.end(), L.src.begin(), L.src.end());
        h.resize(14);
        put16(h, 12, next_type);
        break;
      case Kind::vlan:
        h.resize(4);
        put16(h, 0, L.a);
        put16(h, 2, next_type);
        break;
      case Kind::ipv4: {
        std::vector<uint8_t> opts = L.options;
        pad4(opts);
        h.resize(20);
        h.insert(h.end(), opts.begin(), opts.end());
        h[0] = static_cast<uint8_t>(0x40 | (h.size() / 4));
        h[1] = L.tos;
        put16(h, 2, L.length ? *L.length : static_cast<uint16_t>(h.size() + body.size()));
        put16(h, 4, L.id);
        put16(h, 6, L.frag);
        h[8] = L.ttl;
        h[9] = next_proto;
        std::copy(L.src.begin(), L.src.end(), h.begin() + 12);
        std::copy(L.dst.begin(), L.dst.end(), h.begin() + 16);
        put16(h, 10, L.checksum ? *L.checksum : ref_checksum(h));
        break;
      }
      case Kind::ipv6:
        h.resize(40);
        put32(h, 0, (6u << 28) | (uint32_t{L.tos} << 20) | (L.flow_label & 0xfffff));
        put16(h, 4, L.length ? *L.length : static_cast<uint16_t>(body.size()));
        h[6] = next_proto;
        h[7] = L.ttl;
        std::copy(L.src.begin(), L.src.end(), h.begin() + 8);
        std::copy(L.dst.begin(), L.dst.end(), h.begin() + 24);
        break;
      case Kind::ipv6_ext:
        if (L.a == 44) {
          h.resize(8);
          h[0] = next_proto;
          put16(h, 2, L.frag);
          put32(h, 4, L.id);
        } else {
          size_t len = (2 + L.b + 7) / 8 * 8;  // Pad1 options (zero bytes) fill it out
          h.resize(len);
          h[0] = next_proto;
          h[1] = static_cast<uint8_t>(len / 8 - 1);
        }
        break;
      case Kind::tcp: {
        std::vector<uint8_t> opts = L.options;
        pad4(opts);
        h.resize(20);
        h.insert(h.end(), opts.begin(), opts.end());
        put16(h, 0, L.a);
        put16(h, 2, L.b);
        put32(h, 4, L.seq);
        put32(h, 8, L.ack);
        h[12] = static_cast<uint8_t>((h.size() / 4) << 4);
        h[13] = L.flags;
        put16(h, 14, L.window);
        l4_checksum(h, 16, 6);
        break;
      }
      case Kind::udp: {
        h.resize(8);
        put16(h, 0, L.a);
        put16(h, 2, L.b);
        put16(h, 4, L.length ? *L.length : static_cast<uint16_t>(8 + body.size()));
        if (L.no_udp_checksum) {
          put16(h, 6, L.checksum.value_or(0));
        } else if (l4_checksum(h, 6, 17) == 0 && !L.checksum) {
          put16(h, 6, 0xffff);
        }
        break;
      }
      case Kind::icmp: {
        h.resize(8);
        h[0] = L.flags;
        h[1] = L.code;
        put32(h, 4, L.rest);
        if (v6) {
          l4_checksum(h, 2, 58);
        } else {
          std::vector<uint8_t> all(h);
          all.insert(all.end(), body.begin(), body.end());
          put16(h, 2, L.checksum ? *L.checksum : ref_checksum(all));
        }
        break;
      }
      case Kind::gue:
        h.resize(4);
        h[1] = next_proto;
        break;
      case Kind::vxlan:
        h.resize(8);
        h[0] = 0x08;
        put32(h, 4, L.rest << 8);
        break;
    }
    h.insert(h.end(), body.begin(), body.end());
    body = std::move(h);
  }
  if (body.size() < pad_to_) body.resize(pad_to_, 0);
  return body;
}

}  // namespace gale::test
