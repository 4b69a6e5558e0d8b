#include "ctl/control_commands.h"

#include <string>

namespace gale::ctl {

namespace {

using nlohmann::json;

json error(const std::string& message) {
  return {{"ok", false}, {"error", message}};
}

std::string text(const net::IpAddr& a) {
  return std::string(net::to_text(a).view());
}

// A field that must be a string naming an IP address.
Expected<net::IpAddr> ip_field(const json& req, const char* name) {
  const auto it = req.find(name);
  if (it == req.end() || !it->is_string()) return fail(std::string(name) + ": an IP address");
  auto a = net::parse_ip(it->get<std::string>());
  if (!a)
    return fail(std::string(name) + ": \"" + it->get<std::string>() + "\" is not an IP address");
  return *a;
}

// An optional unsigned field within [lo, hi]; `fallback` when absent.
Expected<uint64_t> number_field(const json& req, const char* name, uint64_t lo, uint64_t hi,
                                uint64_t fallback) {
  const auto it = req.find(name);
  if (it == req.end()) return fallback;
  if (!it->is_number_unsigned() || it->get<uint64_t>() < lo || it->get<uint64_t>() > hi)
    return fail(std::string(name) + ": a number from " + std::to_string(lo) + " to " +
                std::to_string(hi));
  return it->get<uint64_t>();
}

std::string service_name(const ServiceKey& k) {
  const std::string proto = k.proto == 17 ? "udp" : "tcp";
  if (k.fwmark) return "fwmark " + std::to_string(k.fwmark) + " " + proto;
  return text(k.vip) + ":" + std::to_string(k.port) + " " + proto;
}

}  // namespace

Expected<HealthChange> parse_set_health(const json& req, const Config& config) {
  const std::string proto_name = req.value("proto", std::string("tcp"));
  if (proto_name != "tcp" && proto_name != "udp")
    return fail("proto: \"" + proto_name + "\" is not tcp or udp");
  ServiceKey key{.proto = static_cast<uint8_t>(proto_name == "udp" ? 17 : 6)};
  if (req.contains("fwmark")) {
    auto m = number_field(req, "fwmark", 1, 0xffffffffu, 0);
    if (!m) return fail(m.error().message);
    key.fwmark = static_cast<uint32_t>(*m);
  } else {
    auto vip = ip_field(req, "vip");
    if (!vip) return fail(vip.error().message);
    auto vport = number_field(req, "vport", 1, 65535, 0);
    if (!vport) return fail(vport.error().message);
    if (*vport == 0) return fail("vport: the virtual service's port (1-65535)");
    key.vip = *vip;
    key.port = static_cast<uint16_t>(*vport);
  }
  auto rs = ip_field(req, "rs");
  if (!rs) return fail(rs.error().message);
  auto rs_port = number_field(req, "rs_port", 0, 65535, 0);
  if (!rs_port) return fail(rs_port.error().message);
  const bool port_given = req.contains("rs_port");
  bool healthy = true;
  if (const auto it = req.find("healthy"); it != req.end()) {
    if (!it->is_boolean()) return fail("healthy: true or false");
    healthy = it->get<bool>();
  }

  for (const VirtualServerConf& vs : config.virtual_servers) {
    for (const ServiceKey& k : service_keys(vs, config)) {
      if (k != key) continue;
      const RealServerConf* match = nullptr;
      for (const RealServerConf& rc : vs.real_servers) {
        if (rc.addr != *rs) continue;
        // An unwritten port is the service's own (NAT without a port keeps it).
        const uint16_t effective = rc.port ? rc.port : k.port;
        if (port_given && rc.port != *rs_port && effective != *rs_port) continue;
        if (match)
          return fail("real server " + text(*rs) + " of " + service_name(key) +
                      " is configured with several ports: say which (rs_port)");
        match = &rc;
      }
      if (!match)
        return fail(service_name(key) + " has no real server " + text(*rs) +
                    (port_given ? " port " + std::to_string(*rs_port) : std::string()));
      return HealthChange{.service = key, .rs = *rs, .rs_port = match->port, .healthy = healthy};
    }
  }
  return fail("no virtual service " + service_name(key) + " in the running config");
}

json handle_request(ControlApi& api, const json& req) {
  if (!req.is_object()) return error("a request is a JSON object: {\"cmd\":\"stats\"}");
  const auto it = req.find("cmd");
  if (it == req.end() || !it->is_string())
    return error("the request names no \"cmd\" (stats, reload, set_health)");
  const std::string cmd = it->get<std::string>();
  if (cmd == "stats") return api.stats();
  if (cmd == "reload") {
    auto r = api.reload();
    if (!r) return error("reload failed, the running config stays: " + r.error().message);
    return {{"ok", true}, {"generation", *r}};
  }
  if (cmd == "set_health") {
    auto change = parse_set_health(req, api.config());
    if (!change) return error("set_health: " + change.error().message);
    auto r = api.set_health(*change);
    if (!r) return error("set_health: " + r.error().message);
    return {{"ok", true}, {"generation", *r}};
  }
  return error("unknown cmd \"" + cmd + "\" (stats, reload, set_health)");
}

}  // namespace gale::ctl
