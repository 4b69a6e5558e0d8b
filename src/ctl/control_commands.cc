#include "ctl/control_commands.h"

#include <string>

#include "ctl/json_fields.h"

namespace gale::ctl {

namespace {

using nlohmann::json;

json error(const std::string& message) {
  return {{"ok", false}, {"error", message}};
}

json done(const Expected<uint64_t>& generation, const std::string& cmd) {
  if (!generation) return error(cmd + ": " + generation.error().message);
  return {{"ok", true}, {"generation", *generation}};
}

// The "service" member of a request: a key.
Expected<ServiceKey> service_of(const json& req) {
  const auto it = req.find("service");
  if (it == req.end())
    return fail("service: {\"proto\":\"tcp\",\"vip\":ADDR,\"port\":N} or {\"fwmark\":N}");
  auto k = service_key_from_json(*it);
  if (!k) return fail("service: " + k.error().message);
  return k->key;
}

// The "dest" member naming a real server: {"addr":A,"port":N} (port 0 or absent: the
// service's).
Expected<std::pair<net::IpAddr, uint16_t>> dest_ref_of(const json& req) {
  const auto it = req.find("dest");
  if (it == req.end() || !it->is_object()) return fail("dest: {\"addr\":ADDR,\"port\":N}");
  net::IpAddr addr;
  GALE_JSON_GET(addr, detail::ip_field(*it, "addr"));
  uint64_t port = 0;
  GALE_JSON_GET(port, detail::uint_field(*it, "port", 0, 65535, 0));
  return std::make_pair(addr, static_cast<uint16_t>(port));
}

// The mode a dest without "mode" takes: its service's default_mode, else DR (-g).
lb::FwdMode default_mode_of(const Model& m, const ServiceKey& key) {
  for (const VirtualServerConf& vs : m.effective().virtual_servers)
    for (const ServiceKey& k : service_keys(vs, m.effective()))
      if (k == key || (k.fwmark && k.fwmark == key.fwmark))
        return vs.origin == Origin::runtime ? vs.mode : lb::FwdMode::dr;
  return lb::FwdMode::dr;
}

json mutation(ControlApi& api, const std::string& cmd, const json& req) {
  if (cmd == "add_service" || cmd == "edit_service") {
    const auto it = req.find("service");
    if (it == req.end()) return error(cmd + ": service: the service's spec");
    auto spec = service_spec_from_json(*it);
    if (!spec) return error(cmd + ": service: " + spec.error().message);
    const bool add = cmd == "add_service";
    return done(
        api.change([&](Model& m) { return add ? m.add_service(*spec) : m.edit_service(*spec); }),
        cmd);
  }
  if (cmd == "clear") return done(api.change([](Model& m) { return m.clear(); }), cmd);
  auto key = service_of(req);
  if (!key) return error(cmd + ": " + key.error().message);
  if (cmd == "delete_service")
    return done(api.change([&](Model& m) { return m.delete_service(*key); }), cmd);
  if (cmd == "add_dest" || cmd == "edit_dest") {
    const auto it = req.find("dest");
    if (it == req.end()) return error(cmd + ": dest: the real server's spec");
    auto spec = dest_spec_from_json(*it, default_mode_of(api.model(), *key));
    if (!spec) return error(cmd + ": dest: " + spec.error().message);
    const bool add = cmd == "add_dest";
    return done(api.change([&](Model& m) {
      return add ? m.add_dest(*key, *spec) : m.edit_dest(*key, *spec);
    }),
                cmd);
  }
  auto dest = dest_ref_of(req);
  if (!dest) return error(cmd + ": " + dest.error().message);
  if (cmd == "delete_dest")
    return done(
        api.change([&](Model& m) { return m.delete_dest(*key, dest->first, dest->second); }), cmd);
  // set_health
  const auto healthy = detail::bool_field(req, "healthy", true);
  if (!healthy) return error(cmd + ": " + healthy.error().message);
  const auto reason = detail::string_field(req, "reason", *healthy ? "" : "set by hand");
  if (!reason) return error(cmd + ": " + reason.error().message);
  const RealServerRef ref{.service = *key, .addr = dest->first, .port = dest->second};
  const HealthState state{.up = *healthy, .reason = *reason};
  return done(api.change([&](Model& m) { return m.set_health(ref, state); }), cmd);
}

constexpr const char* kCommands =
    "listing, conns, add_service, edit_service, delete_service, clear, add_dest, edit_dest, "
    "delete_dest, zero, set_timeout, set_health, reload, stats, vrrp, start_daemon, stop_daemon, "
    "daemons";

}  // namespace

json handle_request(ControlApi& api, const json& req) {
  if (!req.is_object()) return error("a request is a JSON object: {\"cmd\":\"listing\"}");
  const auto it = req.find("cmd");
  if (it == req.end() || !it->is_string())
    return error(std::string("the request names no \"cmd\" (") + kCommands + ")");
  const std::string cmd = it->get<std::string>();
  if (cmd == "stats") return api.stats();
  if (cmd == "listing") return {{"ok", true}, {"listing", to_json(api.listing())}};
  if (cmd == "vrrp") return {{"ok", true}, {"vrrp", to_json(api.vrrp())}};
  if (cmd == "daemons") return {{"ok", true}, {"daemons", to_json(api.daemons())}};
  if (cmd == "start_daemon") {
    const auto it = req.find("daemon");
    auto d = sync_daemon_from_json(it == req.end() ? json::object() : *it);
    if (!d) return error(cmd + ": " + d.error().message);
    if (auto r = api.start_daemon(d->first, d->second); !r)
      return error(cmd + ": " + r.error().message);
    return {{"ok", true}};
  }
  if (cmd == "stop_daemon") {
    const auto word = detail::string_field(req, "role", "");
    const auto role = word ? sync_role_from(*word) : std::nullopt;
    if (!role) return error(cmd + ": role: master or backup");
    if (auto r = api.stop_daemon(*role); !r) return error(cmd + ": " + r.error().message);
    return {{"ok", true}};
  }
  if (cmd == "conns") {
    auto limit = detail::uint_field(req, "limit", 0, ~uint64_t{0}, 1000);
    if (!limit) return error("conns: " + limit.error().message);
    auto conns = api.conns(*limit);
    if (!conns) return error("conns: " + conns.error().message);
    return {{"ok", true}, {"conns", to_json(*conns)}};
  }
  if (cmd == "reload") {
    auto r = api.reload();
    if (!r) return error("reload failed, the running config stays: " + r.error().message);
    return {{"ok", true}, {"generation", *r}};
  }
  if (cmd == "zero") {
    std::optional<ServiceKey> key;
    if (req.contains("service")) {
      auto k = service_of(req);
      if (!k) return error("zero: " + k.error().message);
      key = *k;
    }
    if (auto r = api.zero(key); !r) return error("zero: " + r.error().message);
    return {{"ok", true}};
  }
  if (cmd == "set_timeout") {
    uint64_t t[3] = {};
    const char* names[3] = {"tcp", "tcpfin", "udp"};
    for (int i = 0; i < 3; ++i) {
      auto v = detail::uint_field(req, names[i], 0, 0x7fffffff, 0);
      if (!v) return error("set_timeout: " + v.error().message);
      t[i] = *v;
    }
    return done(api.change([&](Model& m) {
      return m.set_timeouts(static_cast<uint32_t>(t[0]), static_cast<uint32_t>(t[1]),
                            static_cast<uint32_t>(t[2]));
    }),
                cmd);
  }
  if (cmd == "add_service" || cmd == "edit_service" || cmd == "delete_service" || cmd == "clear" ||
      cmd == "add_dest" || cmd == "edit_dest" || cmd == "delete_dest" || cmd == "set_health")
    return mutation(api, cmd, req);
  return error("unknown cmd \"" + cmd + "\" (" + kCommands + ")");
}

}  // namespace gale::ctl
