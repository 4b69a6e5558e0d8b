#include "ctl/reload_check.h"

#include <string>

#include "lb/local_ports.h"

namespace gale::ctl {

Expected<void> check_reload(const Config& running, const Config& next, const ReloadContext& ctx) {
  const std::string at = to_string(next.gale.where) + ": ";
  if (next.gale.interfaces != running.gale.interfaces)
    return fail(at + "interfaces: a change needs a restart");
  if (next.gale.io != running.gale.io) return fail(at + "io: a change needs a restart");
  if (ctx.next_workers != ctx.workers)
    return fail(at + "workers: " + std::to_string(ctx.workers) + " -> " +
                std::to_string(ctx.next_workers) +
                " needs a restart (workers own connections and FullNAT ports by their number)");
  const GaleConf& a = running.gale;
  const GaleConf& b = next.gale;
  if (b.control_socket != a.control_socket || b.control_socket_group != a.control_socket_group)
    return fail(at + "control_socket, control_socket_group: a change needs a restart");
  if (auto r = lb::check_fullnat_ports_change(
          {.port_lo = a.fullnat_port_lo, .port_hi = a.fullnat_port_hi},
          {.port_lo = b.fullnat_port_lo, .port_hi = b.fullnat_port_hi}, ctx.live_fullnat_flows);
      !r)
    return fail(at + r.error().message);
  return {};
}

}  // namespace gale::ctl
