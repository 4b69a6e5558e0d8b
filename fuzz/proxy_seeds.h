// The seeds of fuzz_proxy (make_seeds --proxy): connections in proxy_fuzz.cc's input
// format, written with a builder that names its operations. Keep the two in step.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gale::fuzz {

// One connection (proxy_fuzz.cc's input): config byte, client ISN, client port 40000,
// server MSS 1460 (88 + 1372), then operations: opcode in the low 3 bits, flags above.
class ProxyInput {
 public:
  ProxyInput(uint8_t config, uint32_t isn)
      : b_{config,
           uint8_t(isn >> 24),
           uint8_t(isn >> 16),
           uint8_t(isn >> 8),
           uint8_t(isn),
           0x9c,
           0x40,
           0x05,
           0x5c} {}
  // Client data at `off` from the current base; flags 1 corrupt, 2 PSH, 4 FIN.
  ProxyInput& data(int16_t off, uint8_t len_of_255, uint8_t flags = 0) {
    return op(0, flags).u16(static_cast<uint16_t>(off)).u8(len_of_255);
  }
  ProxyInput& first_again(uint8_t len_of_255, bool corrupt = false) {
    return op(2, corrupt).u8(len_of_255);
  }
  ProxyInput& bare_ack() { return op(3, 0); }
  // The server acknowledges offset `at` of its stream (the header's included), with
  // SACK blocks of [l, r) offset pairs, all within twice the header's length.
  ProxyInput& ack_near_header(uint8_t at, std::vector<uint8_t> sack_edges = {}) {
    op(4, static_cast<uint8_t>(4 | sack_edges.size() / 2)).u8(at);
    for (uint8_t e : sack_edges)
      u8(e);
    return *this;
  }
  // The server acknowledges up to `behind` bytes short of the highest byte sent.
  ProxyInput& ack_behind_top(uint8_t behind) { return op(4, 0).u8(2).u8(behind); }
  ProxyInput& ack_any(uint32_t v, bool fin = false) {
    return op(4, fin ? 8 : 0).u8(3).u16(uint16_t(v >> 16)).u16(uint16_t(v));
  }
  ProxyInput& jump(uint16_t by, uint8_t shift) { return op(5, 0).u16(by).u8(shift); }
  ProxyInput& fin() { return op(6, 0); }
  ProxyInput& client_rst() { return op(7, 0); }
  ProxyInput& server_rst_behind_top(uint8_t behind) { return op(7, 1).u8(2).u8(behind); }
  std::vector<uint8_t> build() const { return b_; }

 private:
  ProxyInput& op(uint8_t code, uint8_t flags) {
    return u8(static_cast<uint8_t>(flags << 3 | code));
  }
  ProxyInput& u8(uint8_t v) {
    b_.push_back(v);
    return *this;
  }
  ProxyInput& u16(uint16_t v) { return u8(uint8_t(v >> 8)).u8(uint8_t(v)); }
  std::vector<uint8_t> b_;
};

std::vector<std::pair<std::string, std::vector<uint8_t>>> proxy_seeds() {
  // The handshake's ACK (with the header), a request, the header and part of it
  // acknowledged, more data with a hole and SACK edges inside the header, FIN, RST.
  auto request = [](uint8_t config, uint32_t isn) {
    return ProxyInput(config, isn)
        .bare_ack()
        .data(0, 10, 2)
        .ack_near_header(3)
        .ack_behind_top(5)
        .data(400, 60)
        .ack_near_header(30, {2, 20, 40, 50})
        .first_again(5)
        .fin()
        .ack_any(0, true)
        .client_rst()
        .build();
  };
  // Out of order and overlapping, the first segment corrupted then again, then
  // gigabytes later (past 2^31 of the client's bytes) and the server's reset.
  auto long_upload = [](uint8_t config, uint32_t isn) {
    return ProxyInput(config, isn)
        .data(600, 90)
        .data(300, 200)
        .first_again(50, true)
        .first_again(50)
        .ack_near_header(9, {17, 27, 40, 44, 1, 5})
        .jump(0x8000, 16)
        .data(0, 255, 2)
        .ack_behind_top(0)
        .jump(0x4000, 16)
        .data(-100, 255)
        .ack_behind_top(40)
        .server_rst_behind_top(0)
        .build();
  };
  return {{"v1_v4_request", request(0x04, 0xfffffff0)},
          {"v2_v6_request", request(0x07, 12345)},
          {"v2_v4_long_upload", long_upload(0x05, 0x7ffffff0)},
          {"v1_v6_long_upload_no_mss", long_upload(0x02, 1)}};
}

}  // namespace gale::fuzz
