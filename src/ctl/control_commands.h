// The control socket's commands (DESIGN.md section 6), apart from the socket itself:
// a request (one JSON object) is checked against the running config and turned into a
// call of ControlApi, which galed implements. Every command answers {"ok":true, ...} with
// its result, or {"ok":false,"error":"..."} saying what went wrong -- never ok for an
// operation that did not happen.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "base/expected.h"
#include "ctl/config.h"
#include "ctl/snapshot_builder.h"

namespace gale::ctl {

// set_health: take a configured real server out of its service by hand, or back in.
struct HealthChange {
  ServiceKey service;
  net::IpAddr rs;
  uint16_t rs_port = 0;  // as the config writes it (0: not written)
  bool healthy = true;
};

// What the daemon does for the control socket. Results carry the generation of the
// snapshot running afterwards.
class ControlApi {
 public:
  virtual ~ControlApi() = default;
  // Re-reads the config file; on any error the running config stays.
  virtual Expected<uint64_t> reload() = 0;
  virtual Expected<uint64_t> set_health(const HealthChange& change) = 0;
  // The statistics aggregate as JSON (ctl/stats.h).
  virtual nlohmann::json stats() = 0;
  // The config running now (requests are checked against it).
  virtual const Config& config() const = 0;
};

// {"cmd":"set_health","vip":"10.0.0.1","vport":80,"proto":"tcp","rs":"10.1.0.1",
//  "rs_port":80,"healthy":false} (or "fwmark":N instead of vip/vport) -> the change, or
// why it names nothing the config has. rs_port may be left out when the address alone
// names one real server of the service.
Expected<HealthChange> parse_set_health(const nlohmann::json& request, const Config& config);

// Answers one request: {"cmd":"stats"|"reload"|"set_health", ...}.
nlohmann::json handle_request(ControlApi& api, const nlohmann::json& request);

}  // namespace gale::ctl
