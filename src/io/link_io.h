// The I/O backend interface (DESIGN.md section 4). One LinkIo serves one worker over a
// set of interfaces ("links": the index into the config's interface list, the same index
// as lb::Snapshot::links). The worker loop is:
//
//   io.wait_rx(timeout);                 // optional: sleep while idle (one poll())
//   while (io.rx(batch)) { worker.process(batch, now); io.complete(batch); io.flush(); }
//
// Calls are virtual once per batch, never per frame. Frames handed out by rx() stay
// valid until complete(); every one has at least lb::kMinHeadroom writable bytes before
// Packet::data and room to grow after it.
#pragma once

#include <cstdint>

#include "lb/packet.h"
#include "net/addr.h"

namespace gale::io {

// Counters of one LinkIo, summed over its interfaces.
struct IoStats {
  uint64_t rx = 0;              // frames handed to the pipeline
  uint64_t tx = 0;              // frames queued for transmission
  uint64_t tx_dropped = 0;      // tx ring (or free frames) exhausted, or no tx path on the link
  uint64_t rx_dropped = 0;      // frames the backend could not hand over (too long, ring loss)
  uint64_t kernel_dropped = 0;  // to_kernel verdicts the backend could not give to the host
};

class LinkIo {
 public:
  virtual ~LinkIo();
  // Fills `batch` (from count 0) with up to lb::kBatchSize frames; returns the count.
  // Never blocks.
  virtual uint16_t rx(lb::Batch& batch) = 0;
  // Disposes of every frame of a batch rx() filled, by verdict: tx -> queued on
  // Packet::link; to_kernel -> the host stack where the backend can; drop -> freed;
  // handoff -> freed (the worker loop copies such frames to their owner before this).
  virtual void complete(lb::Batch& batch) = 0;
  // Kicks transmission of what complete() queued (one syscall per socket at most).
  virtual void flush() = 0;
  // Queues a copy of a frame that did not come from this backend's rx() (a frame
  // another worker handed over) for transmission on `link`. False when there is no
  // room (counted in tx_dropped).
  virtual bool transmit(uint16_t link, const uint8_t* data, uint16_t len) = 0;
  virtual IoStats stats() const = 0;
  // Waits up to `timeout_ms` for frames to receive; true when some may be there.
  // Backends without a file descriptor to wait on return true at once.
  virtual bool wait_rx(int timeout_ms);
};

}  // namespace gale::io
