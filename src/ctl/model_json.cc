// ServiceSpec / DestSpec <-> the control socket's JSON (docs/control.md). The words are
// ipvsadm's: scheduler names, -b flag names, --tun-type values; modes are lower-case
// ("dr", "tun", "nat", "fullnat") as galectl's long options.
#include <array>
#include <string>

#include "ctl/json_fields.h"
#include "ctl/model.h"

namespace gale::ctl {

namespace {

using detail::bool_field;
using detail::ip_field;
using detail::string_field;
using detail::uint_field;
using nlohmann::json;

constexpr std::array<std::pair<const char*, lb::FwdMode>, 4> kModes{{
    {"dr", lb::FwdMode::dr},
    {"tun", lb::FwdMode::tun},
    {"nat", lb::FwdMode::nat},
    {"fullnat", lb::FwdMode::fullnat},
}};

constexpr std::array<std::pair<const char*, DestSpec::TunCsum>, 3> kCsums{{
    {"nocsum", DestSpec::TunCsum::none},
    {"csum", DestSpec::TunCsum::csum},
    {"remcsum", DestSpec::TunCsum::remcsum},
}};

// lb's words for the PROXY protocol versions: "v1", "v2", "none".
Expected<lb::ProxyProto> proxy_of(const json& j) {
  constexpr lb::ProxyProto kAll[] = {lb::ProxyProto::v1, lb::ProxyProto::v2, lb::ProxyProto::none};
  const std::string w = j.is_string() ? j.get<std::string>() : j.dump();
  for (lb::ProxyProto p : kAll)
    if (w == lb::to_string(p)) return p;
  return fail("proxy_protocol: \"" + w + "\" is not one of v1, v2, none");
}

template <typename T, size_t N>
std::string names_of(const std::array<std::pair<const char*, T>, N>& table) {
  std::string out;
  for (const auto& [name, v] : table)
    out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

template <typename T, size_t N>
Expected<T> pick(const std::array<std::pair<const char*, T>, N>& table, const char* field,
                 const std::string& word) {
  for (const auto& [name, v] : table)
    if (word == name) return v;
  return fail(std::string(field) + ": \"" + word + "\" is not one of " + names_of(table));
}

template <typename T, size_t N>
const char* name_in(const std::array<std::pair<const char*, T>, N>& table, T v) {
  for (const auto& [name, value] : table)
    if (value == v) return name;
  return "?";
}

}  // namespace

const char* mode_word(lb::FwdMode m) {
  return name_in(kModes, m);
}

Expected<lb::FwdMode> mode_from_word(const std::string& word) {
  return pick(kModes, "mode", word);
}

json key_to_json(const ServiceKey& k, net::Family family) {
  if (k.fwmark) return {{"fwmark", k.fwmark}, {"family", family == net::Family::v6 ? "v6" : "v4"}};
  return {
      {"proto", k.proto == 17 ? "udp" : "tcp"}, {"vip", detail::ip_text(k.vip)}, {"port", k.port}};
}

Expected<ServiceKeyRef> service_key_from_json(const json& j) {
  if (!j.is_object())
    return fail("service: {\"proto\":\"tcp\",\"vip\":ADDR,\"port\":N} or {\"fwmark\":N}");
  ServiceKeyRef out;
  if (j.contains("fwmark")) {
    uint64_t mark = 0;
    GALE_JSON_GET(mark, uint_field(j, "fwmark", 1, 0xffffffffu, 0));
    std::string fam;
    GALE_JSON_GET(fam, string_field(j, "family", "v4"));
    if (fam != "v4" && fam != "v6") return fail("family: \"" + fam + "\" is not v4 or v6");
    out.key.fwmark = static_cast<uint32_t>(mark);
    // Firewall-mark services match by mark and family, any protocol; the model keeps
    // keepalived's default (TCP) as the key's.
    out.key.proto = 6;
    out.family = fam == "v6" ? net::Family::v6 : net::Family::v4;
    return out;
  }
  std::string proto;
  GALE_JSON_GET(proto, string_field(j, "proto", "tcp"));
  if (proto != "tcp" && proto != "udp") return fail("proto: \"" + proto + "\" is not tcp or udp");
  GALE_JSON_GET(out.key.vip, ip_field(j, "vip"));
  uint64_t port = 0;
  GALE_JSON_GET(port, uint_field(j, "port", 0, 65535, 0));
  if (!j.contains("port")) return fail("port: the virtual service's port (0-65535)");
  out.key.port = static_cast<uint16_t>(port);
  out.key.proto = proto == "udp" ? 17 : 6;
  out.family = out.key.vip.family;
  return out;
}

json to_json(const ServiceSpec& s) {
  json j = key_to_json(s.key, s.family);
  j["sched"] = lb::to_string(s.sched);
  json flags = json::array();
  if (s.flags.sh_fallback) flags.push_back("sh-fallback");
  if (s.flags.sh_port) flags.push_back("sh-port");
  if (s.flags.mh_fallback) flags.push_back("mh-fallback");
  if (s.flags.mh_port) flags.push_back("mh-port");
  j["flags"] = flags;
  j["persistence_s"] = s.persistence_s;
  j["netmask_prefix"] = s.persistence_prefix;
  j["ops"] = s.one_packet;
  if (s.default_mode) j["mode"] = mode_word(*s.default_mode);
  return j;
}

Expected<ServiceSpec> service_spec_from_json(const json& j) {
  auto key = service_key_from_json(j);
  if (!key) return fail(key.error().message);
  ServiceSpec s{.key = key->key, .family = key->family};
  std::string sched;
  GALE_JSON_GET(sched, string_field(j, "sched", "wlc"));
  const auto kind = lb::sched_from_name(sched);
  if (!kind) return fail("sched: unknown scheduler \"" + sched + "\"");
  s.sched = *kind;
  if (const auto it = j.find("flags"); it != j.end()) {
    if (!it->is_array()) return fail("flags: a list of sh-fallback, sh-port, mh-fallback, mh-port");
    for (const json& f : *it) {
      const std::string w = f.is_string() ? f.get<std::string>() : f.dump();
      if (w == "sh-fallback")
        s.flags.sh_fallback = true;
      else if (w == "sh-port")
        s.flags.sh_port = true;
      else if (w == "mh-fallback")
        s.flags.mh_fallback = true;
      else if (w == "mh-port")
        s.flags.mh_port = true;
      else
        return fail("flags: \"" + w + "\" is not sh-fallback, sh-port, mh-fallback or mh-port");
    }
  }
  uint64_t v = 0;
  GALE_JSON_GET(v, uint_field(j, "persistence_s", 0, 0xffffffffu, 0));
  s.persistence_s = static_cast<uint32_t>(v);
  const uint64_t max_prefix = s.family == net::Family::v6 ? 128 : 32;
  GALE_JSON_GET(v, uint_field(j, "netmask_prefix", 0, max_prefix, 0));
  s.persistence_prefix = static_cast<uint8_t>(v);
  GALE_JSON_GET(s.one_packet, bool_field(j, "ops", false));
  if (const auto it = j.find("mode"); it != j.end()) {
    if (!it->is_string()) return fail("mode: one of " + names_of(kModes));
    GALE_JSON_GET(s.default_mode, pick(kModes, "mode", it->get<std::string>()));
  }
  return s;
}

json to_json(const DestSpec& d) {
  json j{{"addr", detail::ip_text(d.addr)}, {"port", d.port},
         {"mode", mode_word(d.mode)},       {"weight", d.weight},
         {"uthreshold", d.uthreshold},      {"lthreshold", d.lthreshold}};
  if (d.encap) j["tun_type"] = lb::to_string(*d.encap);
  if (d.tun_port) j["tun_port"] = d.tun_port;
  if (d.tun_csum != DestSpec::TunCsum::none) j["tun_csum"] = name_in(kCsums, d.tun_csum);
  if (d.proxy) j["proxy_protocol"] = lb::to_string(*d.proxy);
  if (d.toa) j["toa"] = *d.toa;
  return j;
}

Expected<DestSpec> dest_spec_from_json(const json& j) {
  return dest_spec_from_json(j, lb::FwdMode::dr);
}

Expected<DestSpec> dest_spec_from_json(const json& j, lb::FwdMode default_mode) {
  if (!j.is_object()) return fail("dest: {\"addr\":ADDR,\"port\":N,...}");
  DestSpec d;
  GALE_JSON_GET(d.addr, ip_field(j, "addr"));
  uint64_t v = 0;
  GALE_JSON_GET(v, uint_field(j, "port", 0, 65535, 0));
  d.port = static_cast<uint16_t>(v);
  std::string mode;
  GALE_JSON_GET(mode, string_field(j, "mode", mode_word(default_mode)));
  GALE_JSON_GET(d.mode, pick(kModes, "mode", mode));
  GALE_JSON_GET(v, uint_field(j, "weight", 0, 65535, 1));
  d.weight = static_cast<uint32_t>(v);
  GALE_JSON_GET(v, uint_field(j, "uthreshold", 0, 0xffffffffu, 0));
  d.uthreshold = static_cast<uint32_t>(v);
  GALE_JSON_GET(v, uint_field(j, "lthreshold", 0, 0xffffffffu, 0));
  d.lthreshold = static_cast<uint32_t>(v);
  if (const auto it = j.find("tun_type"); it != j.end()) {
    const std::string w = it->is_string() ? it->get<std::string>() : it->dump();
    if (w == "ipip")
      d.encap = lb::TunEncap::ipip;
    else if (w == "gue")
      d.encap = lb::TunEncap::gue;
    else
      return fail("tun_type: \"" + w + "\" is not ipip or gue");
  }
  GALE_JSON_GET(v, uint_field(j, "tun_port", 0, 65535, 0));
  d.tun_port = static_cast<uint16_t>(v);
  std::string csum;
  GALE_JSON_GET(csum, string_field(j, "tun_csum", "nocsum"));
  GALE_JSON_GET(d.tun_csum, pick(kCsums, "tun_csum", csum));
  // Absent: the service's (DestSpec::proxy, ::toa).
  if (const auto it = j.find("proxy_protocol"); it != j.end())
    GALE_JSON_GET(d.proxy, proxy_of(*it));
  if (j.contains("toa")) GALE_JSON_GET(d.toa, bool_field(j, "toa", false));
  return d;
}

}  // namespace gale::ctl
