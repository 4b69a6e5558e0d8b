// Flows as another node can install them (connection sync, a node taking over): the
// real server is named by what every node's config shares -- the service (VIP, port,
// protocol, or fwmark) and the server's address and port -- not by this node's id,
// which stays the fast-path handle. Worker::export_flows() writes them from a worker's
// tables; Worker::import_flow() resolves one through the worker's snapshot and installs
// it (lb/flow_export.cc).
#pragma once

#include <cstdint>

#include "lb/conn_state.h"
#include "lb/snapshot.h"
#include "net/addr.h"
#include "net/parse.h"

namespace gale::lb {

struct FlowRecord {
  // The service.
  uint32_t fwmark = 0;  // non-zero: a fwmark service (vip, vport unused)
  net::IpAddr vip;
  uint16_t vport = 0;
  uint8_t proto = 0;
  // The real server, as configured (port 0: the service's port).
  net::IpAddr rs_addr;
  uint16_t rs_port = 0;
  // The connection.
  net::FiveTuple tuple;  // the client's packets: client -> VIP
  FwdMode mode = FwdMode::dr;
  ConnState state = ConnState::none;
  net::IpAddr laddr;  // FullNAT: local address and port
  uint16_t lport = 0;
  uint32_t timeout_s = 0;  // seconds left until it expires
  // A persistence template (ipvsadm -p), not a connection: tuple.src is the client's
  // network, port 0; the client's next connections go to this real server.
  bool persistence_template = false;
  // FullNAT with a PROXY protocol header (lb/client_addr.h): the connection's sequence
  // translation, which a takeover must go on applying. proxy_version 0: none.
  uint8_t proxy_version = 0;
  bool proxy_acked = false;      // the server acknowledged the header
  uint16_t proxy_delta = 0;      // the header's length
  uint32_t proxy_first_seq = 0;  // the client's first payload byte
  friend bool operator==(const FlowRecord&, const FlowRecord&) = default;
};

// What an export writes: the connections (galectl -L -c), or with the persistence
// templates too (a peer's bulk copy: its clients keep their servers there).
enum class Export : uint8_t { connections, with_templates };

enum class ImportResult : uint8_t {
  ok,
  unknown_service,  // no such service in this node's snapshot
  unknown_server,   // the service has no such real server (live or draining)
  unknown_laddr,    // FullNAT: the local address or port is not this node's
  not_owner,        // another worker owns both directions (Worker::owners_of)
  exists,           // the connection is already tracked
  table_full,
};
const char* to_string(ImportResult r);

// The workers a record's packets reach: the client's by its endpoint, the real
// server's (replies) by the local port for FullNAT, else the same.
struct FlowOwners {
  uint16_t forward = 0;
  uint16_t reply = 0;
};

}  // namespace gale::lb
