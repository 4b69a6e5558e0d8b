// ipvsadm commands as control-socket requests (ipvsadm_request.h).
#include "ctl/ipvsadm_request.h"

#include <string>

namespace gale::ctl::ipvsadm {

namespace {

nlohmann::json key_of(const Invocation& inv) {
  return key_to_json(inv.service.key, inv.service.family);
}

// A real server named by -r: its address and the port IPVS would hold (the service's
// when -r has none).
nlohmann::json dest_ref(const Invocation& inv) {
  return {{"addr", std::string(net::to_text(inv.dest.addr).view())}, {"port", inv.dest.port}};
}

}  // namespace

nlohmann::json request_for(const Invocation& inv, uint64_t conns_limit) {
  using nlohmann::json;
  switch (inv.command) {
    case Command::add_service:
      return {{"cmd", "add_service"}, {"service", to_json(inv.service)}};
    case Command::edit_service:
      return {{"cmd", "edit_service"}, {"service", to_json(inv.service)}};
    case Command::delete_service:
      return {{"cmd", "delete_service"}, {"service", key_of(inv)}};
    case Command::clear:
      return {{"cmd", "clear"}};
    case Command::add_dest:
      return {{"cmd", "add_dest"}, {"service", key_of(inv)}, {"dest", to_json(inv.dest)}};
    case Command::edit_dest:
      return {{"cmd", "edit_dest"}, {"service", key_of(inv)}, {"dest", to_json(inv.dest)}};
    case Command::delete_dest:
      return {{"cmd", "delete_dest"}, {"service", key_of(inv)}, {"dest", dest_ref(inv)}};
    case Command::zero:
      if (inv.has_service) return {{"cmd", "zero"}, {"service", key_of(inv)}};
      return {{"cmd", "zero"}};
    case Command::set_timeout:
      return {{"cmd", "set_timeout"},
              {"tcp", inv.tcp_timeout},
              {"tcpfin", inv.tcpfin_timeout},
              {"udp", inv.udp_timeout}};
    case Command::set_health:
      return {{"cmd", "set_health"},
              {"service", key_of(inv)},
              {"dest", dest_ref(inv)},
              {"healthy", inv.healthy}};
    case Command::start_daemon:
      return {{"cmd", "start_daemon"}, {"daemon", to_json(inv.sync_role, inv.sync)}};
    case Command::stop_daemon:
      return {{"cmd", "stop_daemon"}, {"role", to_string(inv.sync_role)}};
    case Command::list:
      if (inv.connections) return {{"cmd", "conns"}, {"limit", conns_limit}};
      if (inv.daemon) return {{"cmd", "daemons"}};
      return {{"cmd", "listing"}};
    case Command::save:
      return {{"cmd", "listing"}};
    case Command::vrrp:
      return {{"cmd", "vrrp"}};
    default:
      return nullptr;
  }
}

}  // namespace gale::ctl::ipvsadm
