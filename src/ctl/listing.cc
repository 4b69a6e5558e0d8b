// Listing / ConnListing <-> JSON: galed sends the aggregate on the control socket,
// galectl reads it back. Field names are listing.h's; reading is strict about types
// (a galed and galectl of different versions say what they disagree on) and lenient
// about absent fields (zero), so a field added later does not break an older reader.
#include "ctl/listing.h"

#include <cstdlib>
#include <string>

#include "ctl/json_fields.h"

namespace gale::ctl {

namespace {

using nlohmann::json;

json to_json(const Counters& c) {
  return {{"conns", c.conns},
          {"in_pkts", c.in_pkts},
          {"out_pkts", c.out_pkts},
          {"in_bytes", c.in_bytes},
          {"out_bytes", c.out_bytes}};
}

json to_json(const Rates& r) {
  return {{"cps", r.cps},
          {"inpps", r.inpps},
          {"outpps", r.outpps},
          {"inbps", r.inbps},
          {"outbps", r.outbps}};
}

json to_json(const CheckStats& c) {
  return {{"checks", c.checks},
          {"failures", c.failures},
          {"latency_us_sum", c.latency_us_sum},
          {"last_latency_us", c.last_latency_us}};
}

constexpr uint64_t kMax = ~uint64_t{0};

// Reads the unsigned field `name` of object `j` into `out` (absent: left as is).
Expected<void> get(const json& j, const char* name, uint64_t& out) {
  auto v = detail::uint_field(j, name, 0, kMax, out);
  if (!v) return fail(v.error().message);
  out = *v;
  return {};
}
Expected<void> get(const json& j, const char* name, uint32_t& out) {
  auto v = detail::uint_field(j, name, 0, 0xffffffffu, out);
  if (!v) return fail(v.error().message);
  out = static_cast<uint32_t>(*v);
  return {};
}
Expected<void> get(const json& j, const char* name, uint16_t& out) {
  auto v = detail::uint_field(j, name, 0, 65535, out);
  if (!v) return fail(v.error().message);
  out = static_cast<uint16_t>(*v);
  return {};
}

#define GALE_GET(j, name, field)              \
  do {                                        \
    auto r_ = get(j, name, field);            \
    if (!r_) return fail(r_.error().message); \
  } while (0)

// An object field (absent: an empty object).
Expected<json> object_field(const json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end()) return json::object();
  if (!it->is_object()) return fail(std::string(name) + ": an object");
  return *it;
}

Expected<Counters> counters_from_json(const json& j) {
  Counters c;
  GALE_GET(j, "conns", c.conns);
  GALE_GET(j, "in_pkts", c.in_pkts);
  GALE_GET(j, "out_pkts", c.out_pkts);
  GALE_GET(j, "in_bytes", c.in_bytes);
  GALE_GET(j, "out_bytes", c.out_bytes);
  return c;
}

Expected<Rates> rates_from_json(const json& j) {
  Rates r;
  GALE_GET(j, "cps", r.cps);
  GALE_GET(j, "inpps", r.inpps);
  GALE_GET(j, "outpps", r.outpps);
  GALE_GET(j, "inbps", r.inbps);
  GALE_GET(j, "outbps", r.outbps);
  return r;
}

Expected<CheckStats> checks_from_json(const json& j) {
  CheckStats c;
  GALE_GET(j, "checks", c.checks);
  GALE_GET(j, "failures", c.failures);
  GALE_GET(j, "latency_us_sum", c.latency_us_sum);
  GALE_GET(j, "last_latency_us", c.last_latency_us);
  return c;
}

Expected<Origin> origin_from_json(const json& j) {
  std::string w;
  GALE_JSON_GET(w, detail::string_field(j, "origin", "config"));
  if (w == "config") return Origin::config;
  if (w == "runtime") return Origin::runtime;
  return fail("origin: \"" + w + "\" is not config or runtime");
}

// The common part of the three nested objects of a row.
template <typename Row>
Expected<void> stats_and_rate(const json& j, Row& row) {
  json o;
  GALE_JSON_GET(o, object_field(j, "stats"));
  GALE_JSON_GET(row.stats, counters_from_json(o));
  GALE_JSON_GET(o, object_field(j, "rate"));
  GALE_JSON_GET(row.rate, rates_from_json(o));
  return {};
}

Expected<DestRow> dest_row_from_json(const json& j, lb::FwdMode default_mode) {
  if (!j.is_object()) return fail("a dest row is an object");
  DestRow d;
  json o;
  GALE_JSON_GET(o, object_field(j, "spec"));
  GALE_JSON_GET(d.spec, dest_spec_from_json(o, default_mode));
  GALE_JSON_GET(d.origin, origin_from_json(j));
  GALE_GET(j, "weight", d.weight);
  GALE_JSON_GET(d.healthy, detail::bool_field(j, "healthy", true));
  GALE_JSON_GET(d.health_reason, detail::string_field(j, "health_reason", ""));
  GALE_GET(j, "active", d.active);
  GALE_GET(j, "inactive", d.inactive);
  GALE_GET(j, "persistent", d.persistent);
  if (auto r = stats_and_rate(j, d); !r) return fail(r.error().message);
  GALE_JSON_GET(o, object_field(j, "checks"));
  GALE_JSON_GET(d.checks, checks_from_json(o));
  return d;
}

Expected<ServiceRow> service_row_from_json(const json& j) {
  if (!j.is_object()) return fail("a service row is an object");
  ServiceRow s;
  json o;
  GALE_JSON_GET(o, object_field(j, "spec"));
  GALE_JSON_GET(s.spec, service_spec_from_json(o));
  GALE_JSON_GET(s.origin, origin_from_json(j));
  GALE_JSON_GET(s.group, detail::string_field(j, "group", ""));
  if (auto r = stats_and_rate(j, s); !r) return fail(r.error().message);
  const auto it = j.find("dests");
  if (it != j.end()) {
    if (!it->is_array()) return fail("dests: a list");
    for (const json& dj : *it) {
      auto d = dest_row_from_json(dj, s.spec.default_mode.value_or(lb::FwdMode::dr));
      if (!d) return fail("dest " + std::to_string(s.dests.size()) + ": " + d.error().message);
      s.dests.push_back(std::move(*d));
    }
  }
  return s;
}

json to_json(const ConnRow& c) {
  json j{{"proto", c.proto == 17  ? "udp"
                   : c.proto == 6 ? "tcp"
                                  : std::to_string(c.proto)},
         {"state", c.state},
         {"expires_s", c.expires_s},
         {"client", detail::ip_text(c.client)},
         {"client_port", c.client_port},
         {"vip", detail::ip_text(c.vip)},
         {"vport", c.vport},
         {"rs", detail::ip_text(c.rs)},
         {"rs_port", c.rs_port}};
  if (c.fwmark) j["fwmark"] = c.fwmark;
  return j;
}

Expected<ConnRow> conn_row_from_json(const json& j) {
  if (!j.is_object()) return fail("a connection row is an object");
  ConnRow c;
  std::string proto;
  GALE_JSON_GET(proto, detail::string_field(j, "proto", "tcp"));
  if (proto == "tcp")
    c.proto = 6;
  else if (proto == "udp")
    c.proto = 17;
  else {
    const unsigned long n = std::strtoul(proto.c_str(), nullptr, 10);
    if (n == 0 || n > 255) return fail("proto: \"" + proto + "\" is not tcp, udp or a number");
    c.proto = static_cast<uint8_t>(n);
  }
  GALE_JSON_GET(c.state, detail::string_field(j, "state", ""));
  GALE_GET(j, "expires_s", c.expires_s);
  GALE_JSON_GET(c.client, detail::ip_field(j, "client"));
  GALE_GET(j, "client_port", c.client_port);
  GALE_JSON_GET(c.vip, detail::ip_field(j, "vip"));
  GALE_GET(j, "vport", c.vport);
  GALE_JSON_GET(c.rs, detail::ip_field(j, "rs"));
  GALE_GET(j, "rs_port", c.rs_port);
  GALE_GET(j, "fwmark", c.fwmark);
  return c;
}

}  // namespace

json to_json(const Listing& l) {
  json services = json::array();
  for (const ServiceRow& s : l.services) {
    json dests = json::array();
    for (const DestRow& d : s.dests)
      dests.push_back({{"spec", to_json(d.spec)},
                       {"origin", to_string(d.origin)},
                       {"weight", d.weight},
                       {"healthy", d.healthy},
                       {"health_reason", d.health_reason},
                       {"active", d.active},
                       {"inactive", d.inactive},
                       {"persistent", d.persistent},
                       {"stats", to_json(d.stats)},
                       {"rate", to_json(d.rate)},
                       {"checks", to_json(d.checks)}});
    services.push_back({{"spec", to_json(s.spec)},
                        {"origin", to_string(s.origin)},
                        {"group", s.group},
                        {"stats", to_json(s.stats)},
                        {"rate", to_json(s.rate)},
                        {"dests", std::move(dests)}});
  }
  return {{"generation", l.generation},
          {"conn_table_size", l.conn_table_size},
          {"reloads_ok", l.reloads_ok},
          {"reloads_failed", l.reloads_failed},
          {"services", std::move(services)}};
}

Expected<Listing> listing_from_json(const json& j) {
  if (!j.is_object()) return fail("a listing is a JSON object");
  Listing l;
  GALE_GET(j, "generation", l.generation);
  GALE_GET(j, "conn_table_size", l.conn_table_size);
  GALE_GET(j, "reloads_ok", l.reloads_ok);
  GALE_GET(j, "reloads_failed", l.reloads_failed);
  const auto it = j.find("services");
  if (it != j.end()) {
    if (!it->is_array()) return fail("services: a list");
    for (const json& sj : *it) {
      auto s = service_row_from_json(sj);
      if (!s)
        return fail("service " + std::to_string(l.services.size()) + ": " + s.error().message);
      l.services.push_back(std::move(*s));
    }
  }
  return l;
}

json to_json(const ConnListing& l) {
  json conns = json::array();
  for (const ConnRow& c : l.conns)
    conns.push_back(to_json(c));
  return {{"total", l.total}, {"conns", std::move(conns)}};
}

Expected<ConnListing> conn_listing_from_json(const json& j) {
  if (!j.is_object()) return fail("a connection listing is a JSON object");
  ConnListing l;
  GALE_GET(j, "total", l.total);
  const auto it = j.find("conns");
  if (it != j.end()) {
    if (!it->is_array()) return fail("conns: a list");
    for (const json& cj : *it) {
      auto c = conn_row_from_json(cj);
      if (!c) return fail("conn " + std::to_string(l.conns.size()) + ": " + c.error().message);
      l.conns.push_back(std::move(*c));
    }
  }
  return l;
}

}  // namespace gale::ctl
