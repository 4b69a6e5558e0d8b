// What the health engine runs, derived from a Config once: one PlannedServer per real
// server that has checkers (a virtual_server_group's server is checked once and its
// verdict applies to every member service, as keepalived does), with every default
// resolved (address, port, delay_loop, Host header). Pure, so reload's "which checkers
// changed" is a comparison of identities computed here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ctl/config.h"
#include "ctl/model.h"

namespace gale::health {

struct PlannedCheck {
  ctl::HealthCheck spec;
  net::IpAddr addr;   // connect_ip, else the real server's
  uint16_t port = 0;  // connect_port, else the real server's, else the checker's default
  uint32_t delay_loop_ms = 60000;
  std::string host;    // HTTP Host header when a url has no virtualhost of its own
  std::string run_as;  // MISC_CHECK: its `user`, else global_defs' script_user
  std::string id;      // everything that decides how the checker runs (reload compares it)
};

struct PlannedServer {
  std::vector<ctl::RealServerRef> refs;  // one per service the real server belongs to
  std::string notify_up;
  std::string notify_down;
  std::string script_user;  // global_defs' script_user: who the notify scripts run as
  bool alpha = false;       // start down until every checker succeeded once
  bool omega = false;       // notify_down also when it leaves the config or galed stops
  std::vector<PlannedCheck> checks;
  std::string id;  // the refs, as text: the server's identity across reloads
};

std::vector<PlannedServer> plan_checks(const ctl::Config& config);

// "TCP_CHECK 10.0.0.1:80" for logs and failure reasons.
std::string describe(const PlannedCheck& c);

}  // namespace gale::health
