// PacketBuilder: a fluent way to write whole test frames, outermost layer first:
//
//   auto frame = PacketBuilder()
//                    .eth("02:00:00:00:00:01", "02:00:00:00:00:02")
//                    .ipv4("10.0.0.1", "10.0.0.2").ttl(63)
//                    .tcp(40000, 80, kTcpSyn).mss(1460)
//                    .payload("hello")
//                    .build();
//
// Lengths, next-protocol fields and checksums are filled in by build(), with the
// reference checksum (independent of net/), unless a test overrides them to make a
// malformed frame. Encapsulations nest: .ipv4(...).gue().ipv4(...).tcp(...).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gale::test {

class PacketBuilder {
 public:
  enum class Kind { eth, vlan, ipv4, ipv6, ipv6_ext, tcp, udp, icmp, gue, vxlan };

  PacketBuilder& eth(std::string_view src, std::string_view dst);
  PacketBuilder& vlan(uint16_t tci, uint16_t tpid = 0x8100);
  PacketBuilder& ipv4(std::string_view src, std::string_view dst);
  PacketBuilder& ipv6(std::string_view src, std::string_view dst);
  // An IPv6 extension header (type 0, 43, 60: options padded; 44: fragment).
  PacketBuilder& ipv6_ext(uint8_t type, size_t body_len = 6);
  PacketBuilder& tcp(uint16_t sport, uint16_t dport, uint8_t flags = 0x10);
  PacketBuilder& udp(uint16_t sport, uint16_t dport);
  // ICMP or ICMPv6 (by the enclosing IP). `rest` is the 4 bytes after the checksum.
  PacketBuilder& icmp(uint8_t type, uint8_t code, uint32_t rest = 0);
  PacketBuilder& gue();  // variant 0; the inner protocol comes from the next layer
  PacketBuilder& vxlan(uint32_t vni);
  PacketBuilder& payload(std::string_view text);
  PacketBuilder& payload(const std::vector<uint8_t>& bytes);

  // Modifiers of the last layer added.
  PacketBuilder& ttl(uint8_t v);            // IPv4 TTL or IPv6 hop limit
  PacketBuilder& tos(uint8_t v);            // IPv4 TOS or IPv6 traffic class
  PacketBuilder& id(uint16_t v);            // IPv4 identification
  PacketBuilder& frag(uint16_t flags_off);  // IPv4 flags+offset, or IPv6 frag ext offset|M
  PacketBuilder& ip_options(std::vector<uint8_t> opts);  // IPv4, padded to 4 bytes
  PacketBuilder& seq(uint32_t v);
  PacketBuilder& ack(uint32_t v);
  PacketBuilder& window(uint16_t v);
  PacketBuilder& mss(uint16_t v);                         // appends an MSS option
  PacketBuilder& tcp_options(std::vector<uint8_t> opts);  // raw, padded to 4 bytes
  PacketBuilder& flow_label(uint32_t v);
  PacketBuilder& no_udp_checksum();     // UDP checksum 0 (IPv4 only)
  PacketBuilder& checksum(uint16_t v);  // force the last layer's checksum
  PacketBuilder& length(uint16_t v);    // force the last layer's length field
  PacketBuilder& proto(uint16_t v);     // force IP protocol / next header / ethertype

  // Pads the frame with zeros to at least n bytes (Ethernet minimum is 60 without FCS).
  PacketBuilder& pad_to(size_t n);

  std::vector<uint8_t> build() const;

 private:
  struct Layer {
    Kind kind;
    std::vector<uint8_t> src, dst;  // addresses (MAC, IPv4, IPv6)
    uint16_t a = 0, b = 0;          // ports, or VLAN TCI/TPID, or ext type/len
    uint8_t flags = 0;              // TCP flags, ICMP type
    uint8_t code = 0;
    uint32_t rest = 0;  // ICMP rest-of-header, VXLAN VNI
    uint8_t ttl = 64, tos = 0;
    uint16_t id = 0, frag = 0x4000;  // DF
    bool frag_set = false;
    uint32_t seq = 0, ack = 0, flow_label = 0;
    uint16_t window = 65535;
    std::vector<uint8_t> options;
    bool no_udp_checksum = false;
    std::optional<uint16_t> checksum, length;
    std::optional<uint16_t> proto;  // an IP protocol (8 bits) or an ethertype
  };
  Layer& last();
  std::vector<Layer> layers_;
  std::vector<uint8_t> payload_;
  size_t pad_to_ = 0;
};

std::vector<uint8_t> mac_bytes(std::string_view text);
std::vector<uint8_t> ip_bytes(std::string_view text);  // 4 or 16 bytes

}  // namespace gale::test
