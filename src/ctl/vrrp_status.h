// What operators see of the running VRRP: one row per vrrp_instance, as galed's engine
// reports it. The control socket's "vrrp" command answers it (JSON), galectl --vrrp prints
// it as a table, and the metrics endpoint renders it as the gale_vrrp_* series.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/expected.h"
#include "net/addr.h"

namespace gale::ctl {

struct VrrpRow {
  std::string instance;
  std::string state;      // INIT, BACKUP, MASTER or FAULT
  uint32_t priority = 0;  // effective: what it advertises (tracking applied)
  uint32_t configured_priority = 0;
  uint64_t transitions = 0;       // states entered since start (BACKUP at start included)
  std::vector<net::IpAddr> vips;  // advertised
};

// gale_vrrp_state's value: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.
uint64_t vrrp_state_number(std::string_view state);

nlohmann::json to_json(const std::vector<VrrpRow>& rows);
Expected<std::vector<VrrpRow>> vrrp_rows_from_json(const nlohmann::json& j);

// galectl --vrrp: "Instance State Priority VIPs", priority as effective/configured.
std::string render_vrrp(const std::vector<VrrpRow>& rows);

}  // namespace gale::ctl
