// "Did anything change?": whether two built snapshots forward every frame alike. galed
// builds a candidate every few seconds and on every event; it publishes only when the
// candidate differs from the running snapshot in any input the workers read (services,
// real servers, fwmark rules, links, routes, tunnel, FullNAT, timeouts, Maglev size,
// seed). What finalize() derives from those inputs is not compared: it follows them, so
// an unfinalized candidate may be compared with the finalized running snapshot.
#pragma once

#include "lb/snapshot.h"

namespace gale::ctl {

bool same_forwarding(const lb::Snapshot& a, const lb::Snapshot& b);

}  // namespace gale::ctl
