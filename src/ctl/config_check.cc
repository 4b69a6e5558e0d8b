#include "ctl/config_check.h"

#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "ctl/parser.h"
#include "ctl/script_user.h"

namespace gale::ctl {

HostView synthetic_host(const Config& config) {
  HostView h;
  const size_t n = config.gale.interfaces.size();
  for (size_t i = 0; i < n; ++i) {
    net::MacAddr own{};
    own.b = {0x02, 0, 0, 0, 0, static_cast<uint8_t>(i + 1)};
    h.link_macs.push_back(own);
    h.mtus.push_back(1500);
  }
  // Default routes of both families through a gateway on the first interface.
  net::MacAddr gw{};
  gw.b = {0x02, 0, 0, 0, 1, 1};
  h.routes.v4.push_back({.prefix = net::Ipv4Addr{}, .len = 0, .link = 0, .mac = gw});
  h.routes.v6.push_back({.prefix = net::Ipv6Addr{}, .len = 0, .link = 0, .mac = gw});
  h.neighbour = [n](const net::IpAddr&, uint16_t link) -> std::optional<net::MacAddr> {
    if (size_t{link} + 1 != n) return std::nullopt;
    net::MacAddr m{};
    m.b = {0x02, 0, 0, 0, 2, 1};
    return m;
  };
  return h;
}

uint32_t resolve_workers(const Config& config, uint32_t requested) {
  if (requested) return requested;
  if (config.gale.workers) return config.gale.workers;
  return std::max(1u, std::thread::hardware_concurrency());
}

Expected<void> check_workers(const Config& config, uint32_t workers) {
  bool fullnat = false;
  for (const VirtualServerConf& vs : config.virtual_servers)
    for (const RealServerConf& rs : vs.real_servers)
      fullnat |= rs.mode.value_or(vs.mode) == lb::FwdMode::fullnat;
  const uint32_t ports = uint32_t{config.gale.fullnat_port_hi} - config.gale.fullnat_port_lo + 1;
  if (fullnat && ports < workers)
    return fail(to_string(config.gale.where) + ": fullnat_ports spans " + std::to_string(ports) +
                " ports for " + std::to_string(workers) +
                " workers: each worker needs a share of its own (widen fullnat_ports or run "
                "fewer workers)");
  return {};
}

namespace {

// The directory of every track_file an instance tracks exists (galed watches it; start
// fails without it, where keepalived drops the track_file with an error).
Expected<void> check_track_file_dirs(const Config& config) {
  for (const VrrpInstance& vi : config.vrrp_instances)
    for (const ResolvedTrack& t : resolved_track_files(config, vi)) {
      const TrackFile& f = config.track_files[t.index];
      const size_t slash = f.path.rfind('/');
      const std::string dir = slash == std::string::npos ? "." : f.path.substr(0, slash + 1);
      struct stat st {};
      if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(to_string(f.where) + ": track_file \"" + f.name + "\": directory " + dir +
                    " does not exist on this host");
    }
  return {};
}

}  // namespace

Expected<CheckedConfig> check_config(const std::string& path, uint32_t workers,
                                     const ParseOptions& options) {
  auto cfg = load_config(path, options);
  if (!cfg) return fail(cfg.error().message);
  const uint32_t n = resolve_workers(*cfg, workers);
  if (auto r = check_workers(*cfg, n); !r) return fail(r.error().message);
  if (auto r = check_script_users(*cfg); !r) return fail(r.error().message);
  if (auto r = check_track_file_dirs(*cfg); !r) return fail(r.error().message);
  RealServerIds ids;
  HostView host = synthetic_host(*cfg);
  host.workers = static_cast<uint16_t>(n);
  auto built = build_snapshot(*cfg, host, ids);
  if (!built) return fail(built.error().message);
  return CheckedConfig{.config = std::move(*cfg),
                       .services = built->snapshot.services.size(),
                       .real_servers = built->snapshot.real_servers.size()};
}

}  // namespace gale::ctl
