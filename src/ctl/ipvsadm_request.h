// A parsed ipvsadm command line as the control socket's request (docs/control.md): the
// one place galectl's words become galed's operations, so -R's lines and single
// commands ask for the same thing.
#pragma once

#include <nlohmann/json.hpp>

#include "ctl/ipvsadm_cli.h"

namespace gale::ctl::ipvsadm {

// The request for a command that changes the table (-A -E -D -C -a -e -d -Z --set,
// --set-health) or the sync daemons (--start-daemon, --stop-daemon), or for the data a
// listing needs (-L, -S: "listing"; -L -c: "conns"; -L --daemon: "daemons").
// Not for -R, -h, -v (galectl handles those itself).
nlohmann::json request_for(const Invocation& inv, uint64_t conns_limit = 100000);

}  // namespace gale::ctl::ipvsadm
