// `galed -t`: everything galed does with a config before it touches the host, as one
// path shared with start and reload -- parse, validate, build the snapshot and
// finalize it -- run against a synthetic host view (every interface present, every
// neighbour resolved), so a config that would fail at start fails here, with
// file:line:col.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "ctl/config.h"
#include "ctl/parser.h"
#include "ctl/snapshot_builder.h"

namespace gale::ctl {

struct CheckedConfig {
  Config config;
  size_t services = 0;      // dataplane services (a group counts each member)
  size_t real_servers = 0;  // real server ids the snapshot carries
};

// A stand-in for the host: made-up MACs, MTU 1500, default routes of both families on
// the first interface, every address resolved on the last. The build's outcome (accept
// or refuse) does not depend on them.
HostView synthetic_host(const Config& config);

// Checks that need the worker count galed will run with (the config's, or --workers,
// or one per core): FullNAT local ports are split among workers.
Expected<void> check_workers(const Config& config, uint32_t workers);

// load_config, check_workers, build_snapshot on the synthetic host. `workers`: what
// galed would resolve (0: the config's, else one per core).
Expected<CheckedConfig> check_config(const std::string& path, uint32_t workers,
                                     const ParseOptions& options = {});

// The worker count galed runs with: `requested` (--workers), else the config's, else
// one per core.
uint32_t resolve_workers(const Config& config, uint32_t requested);

}  // namespace gale::ctl
