// The unit of work of a worker: a batch of up to 64 frames. Each frame is rewritten in
// place (encapsulation grows it into its headroom) and given a verdict.
#pragma once

#include <cstdint>

#include "lb/drop.h"

namespace gale::lb {

inline constexpr int kBatchSize = 64;
// Headroom every I/O backend leaves before a frame: room for the largest
// encapsulation (outer IPv6 + UDP + VXLAN + inner Ethernet = 70 bytes) or an ICMP
// "too big" answer built in front of the quoted packet.
inline constexpr uint16_t kMinHeadroom = 128;

enum class Verdict : uint8_t {
  drop = 0,   // counted under drop_reason
  tx,         // send on `link`
  to_kernel,  // not ours: hand to the host stack (ARP, VRRP, BGP, SSH, ...)
  handoff,    // another worker owns this flow: pass the frame to worker `owner`
};

struct Packet {
  uint8_t* data = nullptr;  // first byte of the Ethernet frame
  uint16_t len = 0;
  uint16_t headroom = 0;  // writable bytes before data
  uint16_t link = 0;      // in: receiving interface; out: transmitting interface
  Verdict verdict = Verdict::drop;
  Drop drop_reason = Drop::none;
  uint16_t owner = 0;  // handoff: the owning worker
};

struct Batch {
  Packet pkts[kBatchSize];
  uint16_t count = 0;
};

}  // namespace gale::lb
