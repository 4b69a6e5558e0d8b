#include "health/plan.h"

#include <string_view>

#include "ctl/snapshot_builder.h"

namespace gale::health {

namespace {

std::string addr_text(const net::IpAddr& a) {
  return std::string(net::to_text(a).view());
}

// The port a checker talks to when neither connect_port nor the real server names one.
uint16_t default_port(ctl::CheckKind k) {
  switch (k) {
    case ctl::CheckKind::http:
      return 80;
    case ctl::CheckKind::ssl:
      return 443;
    case ctl::CheckKind::dns:
      return 53;
    case ctl::CheckKind::smtp:
      return 25;
    default:
      return 0;
  }
}

void field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
}
void field(std::string& out, uint64_t v) {
  field(out, std::to_string(v));
}

std::string identity(const PlannedCheck& c) {
  const ctl::HealthCheck& h = c.spec;
  std::string id;
  field(id, static_cast<uint64_t>(h.kind));
  field(id, addr_text(c.addr));
  field(id, c.port);
  field(id, c.delay_loop_ms);
  field(id, c.host);
  field(id, h.connect_timeout_ms);
  field(id, h.bindto ? addr_text(*h.bindto) : "");
  field(id, h.bind_port);
  field(id, h.bind_if);
  field(id, h.fwmark);
  field(id, h.alpha);
  field(id, h.retry);
  field(id, h.delay_before_retry_ms);
  field(id, h.warmup_ms);
  for (const ctl::CheckUrl& u : h.urls) {
    field(id, u.path);
    field(id, u.digest);
    field(id, u.virtualhost);
    for (const ctl::StatusRange& r : u.status)
      field(id, r.lo * 1000u + r.hi);
  }
  field(id, h.enable_sni);
  field(id, h.http_protocol);
  field(id, h.misc_path);
  field(id, h.misc_timeout_ms);
  field(id, h.misc_dynamic);
  field(id, c.run_as);
  field(id, h.payload);
  field(id, h.require_reply);
  field(id, h.min_reply_length);
  field(id, h.max_reply_length);
  field(id, h.dns_type);
  field(id, h.dns_name);
  field(id, h.helo_name);
  return id;
}

}  // namespace

std::string describe(const PlannedCheck& c) {
  std::string s = ctl::to_string(c.spec.kind);
  s += ' ';
  if (c.addr.is_v6()) s += '[';
  s += addr_text(c.addr);
  if (c.addr.is_v6()) s += ']';
  if (c.port) {
    s += ':';
    s += std::to_string(c.port);
  }
  return s;
}

std::vector<PlannedServer> plan_checks(const ctl::Config& config) {
  std::vector<PlannedServer> out;
  for (const ctl::VirtualServerConf& vs : config.virtual_servers) {
    const std::vector<ctl::ServiceKey> keys = ctl::service_keys(vs, config);
    for (const ctl::RealServerConf& rs : vs.real_servers) {
      if (rs.checks.empty()) continue;
      PlannedServer ps{.notify_up = rs.notify_up,
                       .notify_down = rs.notify_down,
                       .script_user = config.global.script_user,
                       .omega = vs.omega};
      for (const ctl::ServiceKey& k : keys) {
        ps.refs.push_back({.service = k, .addr = rs.addr, .port = rs.port});
        field(ps.id, k.fwmark);
        field(ps.id, addr_text(k.vip));
        field(ps.id, k.port);
        field(ps.id, k.proto);
      }
      field(ps.id, addr_text(rs.addr));
      field(ps.id, rs.port);
      for (const ctl::HealthCheck& h : rs.checks) {
        PlannedCheck pc{.spec = h};
        ps.alpha = ps.alpha || h.alpha;
        pc.addr = h.connect_ip.value_or(rs.addr);
        pc.port = h.connect_port ? h.connect_port : rs.port ? rs.port : default_port(h.kind);
        pc.delay_loop_ms = h.delay_loop_ms.value_or(rs.delay_loop_ms.value_or(vs.delay_loop_ms));
        // keepalived's Host: the checker's virtualhost, else the real server's, else the
        // service's, else the address the check connects to.
        // (Appended, not `"[" + ... + "]"`: g++ 12 -O3 -Wrestrict, PR 105651.)
        if (!h.virtualhost.empty()) {
          pc.host = h.virtualhost;
        } else if (!rs.virtualhost.empty()) {
          pc.host = rs.virtualhost;
        } else if (!vs.virtualhost.empty()) {
          pc.host = vs.virtualhost;
        } else if (pc.addr.is_v6()) {
          pc.host = '[';
          pc.host += addr_text(pc.addr);
          pc.host += ']';
        } else {
          pc.host = addr_text(pc.addr);
        }
        if (h.kind == ctl::CheckKind::misc)
          pc.run_as = h.user.empty() ? config.global.script_user : h.user;
        pc.id = identity(pc);
        ps.checks.push_back(std::move(pc));
      }
      out.push_back(std::move(ps));
    }
  }
  return out;
}

}  // namespace gale::health
