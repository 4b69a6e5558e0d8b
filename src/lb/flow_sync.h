// Connection sync, the worker's side (docs/ha.md "Connection sync").
//
// A worker whose dataplane syncs writes an event to its outbound ring when one of its
// connections becomes worth keeping on a peer (established, or a UDP or other flow),
// changes state, ends early (a reused closed tuple, expire_nodest_conn), or still
// carries packets a quarter of its timeout after it was last sent; persistence templates
// likewise when made or changed and when a new connection refreshes one that is due
// (their timeout: the service's persistence_timeout). The sync thread
// (ha/conn_sync.h) drains the rings into datagrams. What peers send comes back through
// each worker's inbound ring and Worker::apply_sync installs, updates or removes it. A
// flow that expires is not sent: its peers' copies expire on the same timeout. A full
// ring loses the event (counted): the worker never waits.
#pragma once

#include <cstdint>

#include "base/spsc_ring.h"
#include "lb/conn_state.h"
#include "lb/flow_export.h"

namespace gale::lb {

enum class SyncOp : uint8_t { upsert = 1, remove = 2 };

struct SyncEvent {
  SyncOp op = SyncOp::upsert;
  FlowRecord flow;
  friend bool operator==(const SyncEvent&, const SyncEvent&) = default;
};

inline constexpr uint32_t kSyncRingSlots = 16384;
using SyncRing = SpscRing<SyncEvent, kSyncRingSlots>;

// Whether a connection in state s goes to peers: not before its handshake completes,
// so that a SYN flood does not flood the sync link (a half-open connection lost in a
// takeover is retried by its client, as with IPVS's sync_threshold).
inline bool worth_syncing(ConnState s) {
  return s != ConnState::free && s != ConnState::none && s != ConnState::syn_recv &&
         s != ConnState::syn_sent;
}

// How long a connection that carries packets may go unsent: a quarter of its timeout,
// so that a peer's copy (which ages from when it was sent) outlives the gaps.
inline uint32_t resync_after(uint32_t timeout_s) {
  return timeout_s / 4 + 1;
}

}  // namespace gale::lb
