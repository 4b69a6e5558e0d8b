// The I/O backend interface (DESIGN.md section 4). One LinkIo serves one worker over a
// set of interfaces ("links": the index into the config's interface list, the same index
// as lb::Snapshot::links). The worker loop is:
//
//   io.wait_rx(timeout, wake_fd);        // optional: sleep while idle (one poll())
//   while (io.rx(batch)) { worker.process(batch, now); io.complete(batch); io.flush(); }
//
// Calls are virtual once per batch, never per frame. Frames handed out by rx() stay
// valid until complete() (a frame lent to another worker: until release()); every one
// has at least lb::kMinHeadroom writable bytes before Packet::data and room to grow
// after it. Hand-off between workers: io/handoff.h.
#pragma once

#include <cstdint>
#include <span>

#include "lb/packet.h"
#include "net/addr.h"

namespace gale::io {

// Counters of one LinkIo, summed over its interfaces.
struct IoStats {
  uint64_t rx = 0;              // frames handed to the pipeline
  uint64_t tx = 0;              // frames queued for transmission
  uint64_t tx_dropped = 0;      // tx ring (or free frames) full, or no tx path on the link
  uint64_t rx_dropped = 0;      // frames the backend could not hand over (too long, ring loss)
  uint64_t kernel_dropped = 0;  // to_kernel verdicts the backend could not give to the host
  uint64_t to_kernel = 0;       // to_kernel verdicts given to the host (AF_XDP: its TUN device)
};

class LinkIo {
 public:
  virtual ~LinkIo();
  // Fills `batch` (from count 0) with up to lb::kBatchSize frames; returns the count.
  // Never blocks. Fewer (or none) while too many frames are lent out (see release()).
  virtual uint16_t rx(lb::Batch& batch) = 0;
  // Disposes of every frame of a batch rx() filled, by verdict: tx -> queued on
  // Packet::link (the tx slots of the whole batch reserved at once); to_kernel -> the
  // host stack where the backend can (else counted in kernel_dropped); drop -> freed;
  // handoff -> kept: the frame is lent to its owning worker until release().
  virtual void complete(lb::Batch& batch) = 0;
  // Disposes of a batch of frames another worker's backend lent to this worker (handed
  // over), by verdict: tx -> copied once into this backend's tx path; to_kernel -> the
  // host stack; drop / handoff -> nothing. The frames stay the lender's: the caller
  // returns them to it.
  virtual void complete_foreign(lb::Batch& batch) = 0;
  // Takes back frames complete() kept for a hand-off, once their owner is done with
  // them; each pointer is the Packet::data rx() gave the frame.
  virtual void release(std::span<uint8_t* const> frames) = 0;
  // Kicks transmission of what complete() queued (one syscall per socket at most).
  virtual void flush() = 0;
  virtual IoStats stats() const = 0;
  // Waits up to `timeout_ms` for frames to receive, or for `wake_fd` (when >= 0: another
  // worker's nudge, an eventfd) to become readable; true when some may be there.
  // Backends without a file descriptor to wait on return true at once.
  virtual bool wait_rx(int timeout_ms, int wake_fd = -1);
};

}  // namespace gale::io
