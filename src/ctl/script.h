// Scripts galed runs (MISC_CHECK, notify scripts, quorum_up/down, vrrp_script):
// `/bin/sh -c CMD` with a clean signal mask, as the user keepalived would run it as.
#pragma once

#include <string>

namespace gale::ctl {

// Spawns CMD in the background as `user` ("USER [GROUP]"; empty: keepalived's default,
// keepalived_script where that user exists, else galed's own user). A pidfd to watch, or
// -errno (-ESRCH: the user or group does not exist).
int spawn_script(const std::string& cmd, const std::string& user);

}  // namespace gale::ctl
