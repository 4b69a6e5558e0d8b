// The AF_PACKET backend (DESIGN.md section 4): the fallback where XDP is unavailable.
// Per interface one packet socket with a TPACKET_V2 rx ring (one slot per frame, each
// ours as soon as the kernel wrote it) and a tx ring sent with PACKET_QDISC_BYPASS
// (straight to the driver). Not TPACKET_V3: its blocks reach user space only when full
// or when their retire timeout (1 ms at least) expires, which at low rates held every
// frame up to 1 ms, twice per request (bench/compare.sh: 16k requests/s, p50 1.96 ms). Received
// frames are copied into worker-owned buffers with headroom (the ring leaves none to grow into;
// FramePool) and VLAN tags the kernel took off are put back, so the pipeline sees the frame as it
// was on the wire.
//
// The host stack still receives every frame (a packet socket gets a copy): install the
// owned-traffic filter (io/owned_filter.h) on each interface, or the kernel forwards
// owned traffic a second time or answers it with RSTs. See docs/io.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/frame_pool.h"
#include "io/link_io.h"

namespace gale::io {

struct AfPacketConfig {
  std::vector<std::string> interfaces;  // link i = interfaces[i]
  uint16_t headroom = 256;              // >= lb::kMinHeadroom
  uint32_t buffer_size = 4096;          // per batch slot: headroom + frame + tailroom
  uint32_t rx_frames = 1024;            // rx ring slots per interface
  uint32_t rx_frame_size = 4096;        // rx ring slot: tpacket header + frame (larger: dropped)
  uint32_t tx_frames = 512;             // tx ring slots per interface
  uint32_t tx_frame_size = 4096;        // tx ring slot: tpacket header + frame
  // Non-zero: join this PACKET_FANOUT group (hash) so that several workers share the
  // interfaces, each frame going to one of them. The group id must be unique per host.
  uint16_t fanout_group = 0;
};

class AfPacketIo final : public LinkIo {
 public:
  // Throws std::runtime_error naming the interface and the errno text.
  explicit AfPacketIo(const AfPacketConfig& cfg);
  ~AfPacketIo() override;
  AfPacketIo(const AfPacketIo&) = delete;
  AfPacketIo& operator=(const AfPacketIo&) = delete;

  uint16_t rx(lb::Batch& batch) override;
  void complete(lb::Batch& batch) override;
  void complete_foreign(lb::Batch& batch) override;
  void release(std::span<uint8_t* const> frames) override;
  void flush() override;
  IoStats stats() const override;
  bool wait_rx(int timeout_ms, int wake_fd) override;

 private:
  struct Ring {
    std::string ifname;
    int fd = -1;
    uint8_t* map = nullptr;
    size_t map_size = 0;
    uint8_t* rx = nullptr;  // rx_frames slots
    uint8_t* tx = nullptr;  // tx_frames slots
    uint32_t rx_next = 0;   // the rx slot to read next
    uint32_t tx_next = 0;
    bool tx_pending = false;
  };
  void open_ring(Ring& r);
  bool take(const uint8_t* slot, uint16_t link, lb::Packet& p, uint8_t* dst);
  // Copies a frame into the link's tx ring.
  bool transmit(uint16_t link, const uint8_t* data, uint16_t len);

  AfPacketConfig cfg_;
  FramePool pool_;
  std::vector<Ring> rings_;
  uint16_t rr_ = 0;  // link rx() starts with, rotated for fairness
  IoStats stats_;
  mutable uint64_t ring_drops_ = 0;  // PACKET_STATISTICS, read-and-reset by the kernel
};

}  // namespace gale::io
