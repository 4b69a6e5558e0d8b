// The AF_XDP backend (DESIGN.md section 4), the default on Linux. One AF_XDP socket per
// (interface, queue) this worker serves, each with its own UMEM of 4 KiB frames whose
// headroom (xsk_umem_config.frame_headroom) leaves room for encapsulation. The XDP
// steering program (XdpProgram, one per interface, shared by the workers) sends owned
// frames to these sockets and passes the rest to the kernel.
//
// A frame transmitted on the socket it arrived on is sent from its own UMEM frame (no
// copy); one leaving by another interface, or lent by another worker (hand-off), is
// copied once into a free frame of the transmitting socket's UMEM. Each socket's tx
// descriptors for a whole batch are reserved at once. Zero-copy is tried first where the driver
// allows it, then copy mode (veth is copy mode only). See docs/io.md.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "io/kernel_tun.h"
#include "io/link_io.h"
#include "io/xdp_program.h"

namespace gale::io {

// A queue of a link this worker serves.
struct XdpQueue {
  uint16_t link = 0;
  uint32_t queue = 0;
};

struct AfXdpConfig {
  std::vector<XdpProgram*> programs;  // link i's program (its interface); must outlive the io
  std::vector<XdpQueue> queues;       // empty: every active queue of every link
  uint32_t frames = 4096;             // UMEM frames per socket (4 KiB each)
  uint32_t ring_size = 2048;          // fill, completion, rx and tx ring entries
  uint32_t tx_ring_size = 0;          // tx ring entries if not ring_size (0)
  uint16_t headroom = 256;            // frame_headroom: >= lb::kMinHeadroom
  bool try_zero_copy = true;          // XDP_ZEROCOPY first, XDP_COPY if refused
  // to_kernel frames go to the host through a TUN device per interface (kernel_tun.h);
  // false: they are counted in kernel_dropped.
  bool kernel_path = true;
};

class AfXdpIo final : public LinkIo {
 public:
  static constexpr uint32_t kFrameSize = 4096;

  // Throws std::runtime_error naming the interface, queue and errno text.
  explicit AfXdpIo(const AfXdpConfig& cfg);
  ~AfXdpIo() override;
  AfXdpIo(const AfXdpIo&) = delete;
  AfXdpIo& operator=(const AfXdpIo&) = delete;

  uint16_t rx(lb::Batch& batch) override;
  void complete(lb::Batch& batch) override;
  void complete_foreign(lb::Batch& batch) override;
  void release(std::span<uint8_t* const> frames) override;
  void flush() override;
  IoStats stats() const override;
  bool wait_rx(int timeout_ms, int wake_fd) override;

  size_t sockets() const { return socks_.size(); }
  // Whether every socket got zero-copy.
  bool zero_copy() const;

 private:
  struct Sock;
  // Where each frame of the batch rx() filled came from.
  struct Origin {
    Sock* sock;
    uint64_t chunk;  // UMEM offset of its frame
  };
  void close_all();
  void open_socket(Sock& s, const std::string& ifname, int map_fd);
  void refill(Sock& s);
  void reap(Sock& s);
  void kick_tx(Sock& s);
  // Queues the tx verdicts of a batch; kept_[i]: frame i now belongs to a tx ring.
  void send_batch(const lb::Batch& batch, bool foreign);
  void to_kernel(const lb::Packet& p);
  Sock* sock_of(const uint8_t* p);

  AfXdpConfig cfg_;
  std::vector<std::unique_ptr<Sock>> socks_;
  std::vector<Sock*> tx_sock_;  // by link: the socket transmitting there (nullptr: none)
  std::vector<std::unique_ptr<KernelTun>> tuns_;  // by link; empty without kernel_path
  Origin origin_[lb::kBatchSize];
  bool kept_[lb::kBatchSize] = {};
  size_t rr_ = 0;
  IoStats stats_;
};

}  // namespace gale::io
