// gale's decapsulation role for real servers whose kernel cannot decapsulate (no ipip
// or fou module, as on these machines): frames arriving on an interface that carry IPIP
// (IPv4/IPv6 in IP) or GUE (to `gue_port`) lose their outer headers, and the inner IP
// packet is written into a TUN device, so the server's stack receives what the client
// sent to the VIP. Runs as `galed --decap IFACE` on the real server.
//
// Frames are read with an AF_PACKET socket; an nft netdev ingress chain keeps the kernel
// from also seeing the tunnel frames (it would answer them with ICMP unreachables).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "base/expected.h"

namespace gale::io {

struct DecapConfig {
  std::string ifname;  // where tunnelled frames arrive
  std::string tun_name = "gale-decap";
  uint16_t gue_port = 6080;  // 0: no GUE
};

struct DecapStats {
  uint64_t frames = 0;  // frames looked at
  uint64_t decapsulated = 0;
  uint64_t malformed = 0;  // tunnel frames whose headers did not parse
};

class Decapsulator {
 public:
  // Opens the socket and the TUN device (up), installs the nft chain.
  static Expected<Decapsulator*> open(const DecapConfig& cfg);
  ~Decapsulator();
  // Serves until `stop` is set (checked every 100 ms).
  void run(const std::atomic<bool>& stop);
  const DecapStats& stats() const { return stats_; }

 private:
  explicit Decapsulator(const DecapConfig& cfg) : cfg_(cfg) {}
  DecapConfig cfg_;
  int sock_ = -1;
  int tun_ = -1;
  bool filter_ = false;
  DecapStats stats_;
};

}  // namespace gale::io
