// What a reload may not change while galed runs, checked before anything is built:
// settings that need a restart (interfaces, I/O backend, the worker count: workers own
// flows and FullNAT ports by their number), and a change of fullnat_ports while FullNAT
// connections are live (the range is split among workers, so a new range moves live
// connections' local ports to other workers, which would not find them).
//
// Hook for the engine's finer check: lb::check_fullnat_ports_change(running, next,
// live_flows) (helper "engine", lb/local_ports.h) decides the same question from the
// shard split; where it exists, check_reload() should defer to it.
#pragma once

#include <cstdint>

#include "base/expected.h"
#include "ctl/config.h"

namespace gale::ctl {

struct ReloadContext {
  uint32_t workers = 1;             // the worker count galed runs with
  uint32_t next_workers = 1;        // what the new config would resolve to
  uint64_t live_fullnat_flows = 0;  // FullNAT connections the workers track now
};

// Ok when `next` may replace `running`; else why not, for the operator.
Expected<void> check_reload(const Config& running, const Config& next, const ReloadContext& ctx);

}  // namespace gale::ctl
