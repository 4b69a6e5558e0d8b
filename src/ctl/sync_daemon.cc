#include "ctl/sync_daemon.h"

#include <algorithm>

#include "ctl/json_fields.h"

namespace gale::ctl {

const char* to_string(SyncRole r) {
  return r == SyncRole::master ? "master" : "backup";
}

std::optional<SyncRole> sync_role_from(std::string_view word) {
  if (word == "master") return SyncRole::master;
  if (word == "backup") return SyncRole::backup;
  return std::nullopt;
}

Expected<SyncDaemons::Thread> SyncDaemons::start(SyncRole role, SyncDaemonConf conf,
                                                 Origin origin) {
  bool& on = role == SyncRole::master ? master_ : backup_;
  if (on) return fail("Daemon has already run");  // IPVS's EEXIST, in libipvs' words
  conf.maxlen = std::max(conf.maxlen, kSyncMinMaxlen);
  if (running()) {
    if (!(conf == conf_))
      return fail(std::string("gale: the ") + to_string(role) +
                  " daemon would run in the same sync thread as the " +
                  to_string(role == SyncRole::master ? SyncRole::backup : SyncRole::master) +
                  " daemon, so it needs the same settings");
    on = true;
    return Thread::keep;
  }
  conf_ = std::move(conf);
  origin_ = origin;
  on = true;
  return Thread::start;
}

Expected<SyncDaemons::Thread> SyncDaemons::start_both(const SyncDaemonConf& conf) {
  auto t = start(SyncRole::master, conf, Origin::config);
  if (!t) return t;
  if (auto b = start(SyncRole::backup, conf, Origin::config); !b) return b;
  return t;
}

Expected<SyncDaemons::Thread> SyncDaemons::stop(SyncRole role) {
  bool& on = role == SyncRole::master ? master_ : backup_;
  if (!on) return fail("No daemon is running");  // IPVS's ESRCH, in libipvs' words
  on = false;
  return running() ? Thread::keep : Thread::stop;
}

std::vector<SyncDaemonRow> SyncDaemons::rows() const {
  std::vector<SyncDaemonRow> out;
  if (master_) out.push_back({.role = SyncRole::master, .conf = conf_, .origin = origin_});
  if (backup_) out.push_back({.role = SyncRole::backup, .conf = conf_, .origin = origin_});
  return out;
}

nlohmann::json to_json(SyncRole role, const SyncDaemonConf& conf) {
  return {
      {"role", to_string(role)}, {"interface", conf.interface},          {"syncid", conf.syncid},
      {"maxlen", conf.maxlen},   {"group", detail::ip_text(conf.group)}, {"port", conf.port},
      {"ttl", conf.ttl}};
}

// Absent fields take IPVS's defaults; the interface is required (galectl sends
// ipvsadm's eth0 when --mcast-interface is not given).
Expected<std::pair<SyncRole, SyncDaemonConf>> sync_daemon_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail("daemon: {\"role\":\"master\",\"interface\":IFNAME,...}");
  std::string role_word;
  GALE_JSON_GET(role_word, detail::string_field(j, "role", ""));
  const auto role = sync_role_from(role_word);
  if (!role) return fail("role: master or backup");
  SyncDaemonConf c;
  GALE_JSON_GET(c.interface, detail::string_field(j, "interface", ""));
  if (c.interface.empty()) return fail("interface: the interface sync datagrams use");
  GALE_JSON_GET(c.syncid, detail::uint_field(j, "syncid", 0, 255, c.syncid));
  GALE_JSON_GET(c.maxlen, detail::uint_field(j, "maxlen", 1, 65507, c.maxlen));
  GALE_JSON_GET(c.port, detail::uint_field(j, "port", 1, 65535, c.port));
  GALE_JSON_GET(c.ttl, detail::uint_field(j, "ttl", 1, 255, c.ttl));
  if (j.contains("group")) {
    GALE_JSON_GET(c.group, detail::ip_field(j, "group"));
    const bool multicast = c.group.is_v4() ? (c.group.b[0] & 0xf0) == 0xe0 : c.group.b[0] == 0xff;
    if (!multicast) return fail("group: connection sync takes a multicast group");
  }
  return std::make_pair(*role, std::move(c));
}

nlohmann::json to_json(const std::vector<SyncDaemonRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const SyncDaemonRow& r : rows) {
    nlohmann::json j = to_json(r.role, r.conf);
    j["origin"] = to_string(r.origin);
    out.push_back(std::move(j));
  }
  return out;
}

Expected<std::vector<SyncDaemonRow>> sync_daemon_rows_from_json(const nlohmann::json& j) {
  if (!j.is_array()) return fail("daemons: an array of sync daemons");
  std::vector<SyncDaemonRow> rows;
  for (const nlohmann::json& e : j) {
    auto d = sync_daemon_from_json(e);
    if (!d) return fail("daemons: " + d.error().message);
    std::string origin;
    GALE_JSON_GET(origin, detail::string_field(e, "origin", "runtime"));
    rows.push_back({.role = d->first,
                    .conf = std::move(d->second),
                    .origin = origin == "config" ? Origin::config : Origin::runtime});
  }
  return rows;
}

}  // namespace gale::ctl
