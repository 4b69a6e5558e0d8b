// Directives gale parses and stores for the features still to come (health checkers,
// sorry servers and quorum, notify scripts, VRRP) but does not
// act on yet. Each one written yields a warning saying what gale does instead, so
// "configuration OK" never hides that part of a config is inert. Remove a row when its
// feature lands.
#include <string_view>

#include "ctl/parse_blocks.h"

namespace gale::ctl::detail {

namespace {

struct Unacted {
  std::string_view block;    // the enclosing block's keyword ("" for the top level)
  std::string_view keyword;  // the directive
  std::string_view instead;  // what gale does instead
};

constexpr std::string_view kNoChecker =
    "health checkers are not run yet: the real server counts as healthy unless taken out "
    "with set_health on the control socket";
constexpr std::string_view kNoScripts =
    "is not run: no health checker changes a real server's state yet";
constexpr std::string_view kNoQuorum =
    "quorum is not enforced yet: the service forwards to whatever real servers are left";
constexpr std::string_view kNoVrrp =
    "VRRP is not run yet: no adverts are sent and no address is added or removed; galed "
    "forwards for every configured VIP as if MASTER";

constexpr Unacted kUnacted[] = {
    {"real_server", "TCP_CHECK", kNoChecker},
    {"real_server", "HTTP_GET", kNoChecker},
    {"real_server", "SSL_GET", kNoChecker},
    {"real_server", "MISC_CHECK", kNoChecker},
    {"real_server", "UDP_CHECK", kNoChecker},
    {"real_server", "DNS_CHECK", kNoChecker},
    {"real_server", "notify_up", kNoScripts},
    {"real_server", "notify_down", kNoScripts},
    {"real_server", "delay_loop", "is unused: no health checker runs yet"},
    {"virtual_server", "delay_loop", "is unused: no health checker runs yet"},
    {"virtual_server", "virtualhost", "is unused: no HTTP checker runs yet"},
    {"virtual_server", "sorry_server",
     "no sorry server yet: with every real server down, new connections are dropped "
     "(drop reason no_dest)"},
    {"virtual_server", "sorry_server_inhibit", "is unused: there is no sorry server yet"},
    {"virtual_server", "quorum", kNoQuorum},
    {"virtual_server", "hysteresis", kNoQuorum},
    {"virtual_server", "quorum_up", "is not run: quorum is not enforced yet"},
    {"virtual_server", "quorum_down", "is not run: quorum is not enforced yet"},
    {"virtual_server", "alpha",
     "is not applied: real servers start healthy (no health checker runs yet)"},
    {"virtual_server", "omega", "is not applied: no notify or quorum script is run"},
    {"global_defs", "router_id", "is unused: gale sends no notifications that name the node"},
    {"global_defs", "script_user", "is unused: gale runs no scripts yet"},
    {"global_defs", "enable_script_security", "is unused: gale runs no scripts yet"},
    {"global_defs", "vrrp_version", kNoVrrp},
    {"", "vrrp_instance", kNoVrrp},
    {"", "vrrp_sync_group", kNoVrrp},
    {"", "vrrp_script", "is not run: VRRP is not run yet, so nothing tracks it"},
};

void walk(const std::vector<Statement>& block, std::string_view parent, std::vector<Warning>& out) {
  for (const Statement& s : block) {
    bool warned = false;
    for (const Unacted& u : kUnacted) {
      if (u.block != parent || u.keyword != s.keyword()) continue;
      // A sentence of its own, or a clause after the directive's name.
      const bool clause = u.instead.starts_with("is ");
      out.push_back(
          {.where = location(s.head()),
           .message = std::string(u.keyword) + (clause ? " " : ": ") + std::string(u.instead)});
      warned = true;
    }
    // The directives inside an inert block are covered by its warning.
    if (!warned && s.has_block) walk(s.block, s.keyword(), out);
  }
}

}  // namespace

std::vector<Warning> unacted_directives(const std::vector<Statement>& top) {
  std::vector<Warning> out;
  walk(top, "", out);
  return out;
}

}  // namespace gale::ctl::detail
