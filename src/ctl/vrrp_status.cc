#include "ctl/vrrp_status.h"

#include <algorithm>
#include <cstdio>

#include "ctl/json_fields.h"

namespace gale::ctl {

uint64_t vrrp_state_number(std::string_view state) {
  if (state == "BACKUP") return 1;
  if (state == "MASTER") return 2;
  if (state == "FAULT") return 3;
  return 0;
}

nlohmann::json to_json(const std::vector<VrrpRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const VrrpRow& r : rows) {
    nlohmann::json vips = nlohmann::json::array();
    for (const net::IpAddr& a : r.vips)
      vips.push_back(detail::ip_text(a));
    out.push_back({{"instance", r.instance},
                   {"state", r.state},
                   {"priority", r.priority},
                   {"configured_priority", r.configured_priority},
                   {"transitions", r.transitions},
                   {"vips", vips}});
  }
  return out;
}

Expected<std::vector<VrrpRow>> vrrp_rows_from_json(const nlohmann::json& j) {
  if (!j.is_array()) return fail("vrrp: an array of instances");
  std::vector<VrrpRow> rows;
  for (const nlohmann::json& e : j) {
    if (!e.is_object()) return fail("vrrp: each instance is an object");
    VrrpRow r;
    GALE_JSON_GET(r.instance, detail::string_field(e, "instance", ""));
    GALE_JSON_GET(r.state, detail::string_field(e, "state", "INIT"));
    GALE_JSON_GET(r.priority, detail::uint_field(e, "priority", 0, 255, 0));
    GALE_JSON_GET(r.configured_priority, detail::uint_field(e, "configured_priority", 0, 255, 0));
    GALE_JSON_GET(r.transitions, detail::uint_field(e, "transitions", 0, ~uint64_t{0}, 0));
    const auto vips = e.find("vips");
    if (vips != e.end()) {
      if (!vips->is_array()) return fail("vips: an array of addresses");
      for (const nlohmann::json& v : *vips) {
        const auto a = v.is_string() ? net::parse_ip(v.get<std::string>()) : std::nullopt;
        if (!a) return fail("vips: " + v.dump() + " is not an IP address");
        r.vips.push_back(*a);
      }
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string render_vrrp(const std::vector<VrrpRow>& rows) {
  size_t w = 8;  // "Instance"
  for (const VrrpRow& r : rows)
    w = std::max(w, r.instance.size());
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-*s %-6s %-8s %s\n", static_cast<int>(w), "Instance", "State",
                "Priority", "VIPs");
  out += line;
  for (const VrrpRow& r : rows) {
    std::string vips;
    for (const net::IpAddr& a : r.vips)
      vips += (vips.empty() ? "" : " ") + detail::ip_text(a);
    const std::string prio =
        std::to_string(r.priority) + "/" + std::to_string(r.configured_priority);
    std::snprintf(line, sizeof line, "%-*s %-6s %-8s ", static_cast<int>(w), r.instance.c_str(),
                  r.state.c_str(), prio.c_str());
    out += line;
    out += vips + "\n";
  }
  return out;
}

}  // namespace gale::ctl
