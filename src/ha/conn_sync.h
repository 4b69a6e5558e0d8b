// Connection sync between gale nodes (docs/ha.md "Connection sync"): one thread that
// drains the workers' sync rings into UDP datagrams (ha/sync_wire.h) to the multicast
// group (IPVS's 224.0.0.81:8848 by default, or an IPv6 group) or to unicast peers of
// either family (ha/sync_socket.h), and gives what peers
// send to the workers (io::Dataplane::give_sync), which install them as connections that
// a takeover then simply carries on.
//
// A node that starts asks its peers for a bulk copy and, through wait_bulk(), holds its
// VRRP back until the copy is in (or no peer answers); a node about to become MASTER
// calls settle() before it adds and announces its VIPs, so that what the old master sent
// last is in the workers before the first client packet arrives.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/expected.h"
#include "io/dataplane.h"
#include "net/addr.h"

namespace gale::ha {

struct ConnSyncConfig {
  std::string ifname;                             // sends and receives on this interface
  net::IpAddr group = net::Ipv4Addr{0xe0000051};  // 224.0.0.81; or an IPv6 group
  uint16_t port = 8848;
  uint8_t ttl = 1;
  uint8_t syncid = 0;
  uint16_t maxlen = 1472;          // a datagram's UDP payload, at most
  std::vector<net::IpAddr> peers;  // unicast to these instead of the group
  int flush_ms = 1;                // how long an event may wait for a fuller datagram
};

struct ConnSyncCounters {
  uint64_t datagrams_sent = 0;
  uint64_t records_sent = 0;
  uint64_t send_errors = 0;
  uint64_t datagrams_received = 0;
  uint64_t records_received = 0;
  uint64_t malformed = 0;      // datagrams the codec refused
  uint64_t other_syncid = 0;   // datagrams of another lvs_sync_daemon id
  uint64_t seq_gaps = 0;       // datagrams a peer sent that never arrived
  uint64_t given_lost = 0;     // records a worker's inbound ring had no room for
  uint64_t bulk_requests = 0;  // peers' requests answered
  uint64_t bulk_records = 0;   // records sent in bulk copies
  std::string last_error;      // the last malformed datagram's reason
};

class ConnSync {
 public:
  explicit ConnSync(io::Dataplane& dp);
  ~ConnSync();  // stops

  // Opens the socket, starts the thread and asks the peers for a bulk copy.
  Expected<void> start(const ConnSyncConfig& cfg);
  void stop();
  bool running() const;
  // Blocks until a peer's bulk copy has arrived, or nothing came from any peer for
  // idle_ms (there is none, or it has nothing), or max_ms passed; true when a copy
  // arrived.
  bool wait_bulk(int idle_ms, int max_ms);
  // Before a takeover is announced: what has arrived is given to the workers and the
  // workers have applied it, polled up to timeout_ms; false if that did not finish.
  bool settle(int timeout_ms);
  ConnSyncCounters counters() const;
  const ConnSyncConfig& config() const;

 private:
  struct Loop;
  io::Dataplane& dp_;
  std::unique_ptr<Loop> loop_;
};

}  // namespace gale::ha
