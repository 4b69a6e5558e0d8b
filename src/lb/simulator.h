// The simulator: "which real server gets this flow?" for a Snapshot and a client's
// 5-tuple, answered without sending a packet (Katran's simulator, `galectl simulate`).
// It runs the same functions the worker runs (schedule(), the Maglev lookup), so its
// answer is the worker's; tests/unit/lb/simulator_test.cc holds it to that.
#pragma once

#include <string>

#include "lb/snapshot.h"
#include "net/parse.h"

namespace gale::lb {

struct SimResult {
  int rs_id = -1;  // real server id (index in Snapshot::real_servers); -1: none
  // The pick depends on scheduler state or connection counts (rr, wlc, lblc, twos ...;
  // sh/mh with the fallback flag), so a busy worker may pick otherwise. False: a pure
  // function of the tuple and the snapshot, the same on every worker and node.
  bool stateful_pick = false;
  std::string explanation;  // one line for a person: service, scheduler, why this server
};

// What a fresh worker picks for the first packet of a connection (a TCP SYN, or any UDP
// packet of a new flow): the service's scheduler on a fresh SchedState and zero loads.
SimResult simulate_new_flow(const Snapshot& snap, const net::FiveTuple& tuple);

// What any node picks for a mid-connection packet it has no flow for (a TCP segment
// without SYN, e.g. after ECMP moved the flow from another node), and for new flows when
// its flow table is full: the service's Maglev table, or schedule() for mh services.
SimResult simulate_adoption(const Snapshot& snap, const net::FiveTuple& tuple);

}  // namespace gale::lb
