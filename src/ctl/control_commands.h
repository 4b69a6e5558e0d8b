// The control socket's commands (DESIGN.md section 6, docs/control.md), apart from the
// socket itself: a request (one JSON object) is parsed into one operation of the control
// model (ctl::Model: ipvsadm's operations, set_health) or a query, and handed to
// ControlApi, which galed implements. Every command answers {"ok":true, ...} with its
// result, or {"ok":false,"error":"..."} saying what went wrong -- never ok for an
// operation that did not happen.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "base/expected.h"
#include "ctl/listing.h"
#include "ctl/model.h"
#include "ctl/sync_daemon.h"
#include "ctl/vrrp_status.h"

namespace gale::ctl {

// A change of the model; refused changes leave it as it was.
using ModelChange = std::function<Expected<void>(Model&)>;

// What the daemon does for the control socket. Mutations answer the generation of the
// snapshot running afterwards (published before they return).
class ControlApi {
 public:
  virtual ~ControlApi() = default;
  // Re-reads the config file; on any error the running config stays.
  virtual Expected<uint64_t> reload() = 0;
  // Applies `change` to the model and publishes the snapshot built from it; when the
  // change or the build fails, the model and the running snapshot stay.
  virtual Expected<uint64_t> change(const ModelChange& change) = 0;
  virtual const Model& model() const = 0;
  // The statistics aggregate as JSON (ctl/stats.h).
  virtual nlohmann::json stats() = 0;
  // ipvsadm -L: every service with its real servers, counters and rates.
  virtual Listing listing() = 0;
  // ipvsadm -c: at most `limit` tracked connections, and how many there are.
  virtual Expected<ConnListing> conns(uint64_t limit) = 0;
  // ipvsadm -Z: counters (and rates) of one service or of all restart from zero.
  virtual Expected<void> zero(const std::optional<ServiceKey>& service) = 0;
  // The running vrrp_instances (none when the config has none).
  virtual std::vector<VrrpRow> vrrp() { return {}; }
  // ipvsadm --start-daemon / --stop-daemon: a connection sync role (ctl/sync_daemon.h),
  // refused with IPVS's words; -L --daemon: the roles running.
  virtual Expected<void> start_daemon(SyncRole, const SyncDaemonConf&) {
    return fail("no connection sync here");
  }
  virtual Expected<void> stop_daemon(SyncRole) { return fail("No daemon is running"); }
  virtual std::vector<SyncDaemonRow> daemons() { return {}; }
};

// Answers one request: {"cmd":"listing"|"conns"|"add_service"|..., ...}.
nlohmann::json handle_request(ControlApi& api, const nlohmann::json& request);

}  // namespace gale::ctl
