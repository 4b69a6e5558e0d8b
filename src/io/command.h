// Runs a tool (nft, ethtool) the control plane needs, feeding it stdin and collecting
// its stderr so that a failure reads as the tool's own message. Control plane only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace gale::io {

// Runs argv[0] (searched in PATH) with `input` on its stdin; fails with
// "<argv...>: <stderr or exit status>" unless it exits 0.
Expected<void> run_command(const std::vector<std::string>& argv, std::string_view input = {});

}  // namespace gale::io
