// Who a script runs as: keepalived's `script_user USER [GROUP]` (global_defs) and
// MISC_CHECK's `user USER [GROUP]`, resolved on the host galed runs on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "ctl/config.h"

namespace gale::ctl {

struct RunAs {
  uint32_t uid = 0;
  uint32_t gid = 0;  // the named group's, else the user's primary group
};

// "USER [GROUP]" to ids. Empty: keepalived's default, the user keepalived_script where it
// exists, else nullopt (the script runs as galed does).
Expected<std::optional<RunAs>> resolve_script_user(std::string_view spec);

// A group's id by name; the error says why ("no such group on this host"), the caller
// says which group and what for.
Expected<uint32_t> resolve_group(const std::string& name);

// Every user the config names (scripts', and the notify FIFOs' owners) exists on this
// host (galed -t, start and reload refuse a config that names one that does not, at its
// file:line:col, as keepalived does).
Expected<void> check_script_users(const Config& config);

}  // namespace gale::ctl
