// Config + what the host knows (MACs, MTUs, neighbours) + health -> lb::Snapshot.
// Real servers keep stable ids across reloads (RealServerIds): a flow holds its real
// server's id, so a reload that removes the server keeps the id in the new snapshot as
// live=false (not in its service's dests) while its flows drain, and a server added back
// gets its old id. Off the fast path: allocates freely.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "base/expected.h"
#include "ctl/config.h"
#include "lb/snapshot.h"
#include "net/addr.h"

namespace gale::ctl {

// What the host tells the builder about its interfaces (indexed like
// GaleConf::interfaces), its routes toward clients and its neighbours.
struct HostView {
  std::vector<net::MacAddr> link_macs;
  std::vector<uint16_t> mtus;  // L3 MTU per interface (missing: 1500)
  // Routes over the dataplane interfaces (link = interface index) with their gateways'
  // MACs, and the on-link neighbours; the builder sorts them.
  lb::ClientRoutes routes;
  // The MAC of a real server (or its next hop) as seen on interface `port`; nullopt when
  // unknown. Interfaces are asked from the last to the first (the first faces clients).
  std::function<std::optional<net::MacAddr>(const net::IpAddr&, uint16_t port)> neighbour;
  uint16_t workers = 1;                   // dataplane workers the node runs
  std::vector<net::IpAddr> host_addrs;    // the node's own addresses (lb::Snapshot::host_addrs)
  std::vector<net::MacAddr> accept_macs;  // lb::Snapshot::accept_macs (empty: no check)
  // VIPs of vrrp_instances not MASTER here: their services are standby (lb::Service).
  std::vector<net::IpAddr> standby_vips;
};

// One dataplane service: a virtual_server, or one member of a virtual_server_group.
struct ServiceKey {
  uint32_t fwmark = 0;
  net::IpAddr vip;
  uint16_t port = 0;
  uint8_t proto = 0;
  friend auto operator<=>(const ServiceKey&, const ServiceKey&) = default;
};

// A real server's identity across builds. The forwarding mode is part of it: a reload
// that changes a server's lb_kind retires the old id (not live, its connections drain
// in the mode they began with, and a NAT server's replies stay recognised) and gives the
// server a new id for new connections -- as IPVS, whose connections keep their own
// forwarding method when a destination's changes.
struct RealServerKey {
  ServiceKey service;
  net::IpAddr addr;
  uint16_t port = 0;  // as written (0: not written)
  lb::FwdMode mode = lb::FwdMode::dr;
  friend auto operator<=>(const RealServerKey&, const RealServerKey&) = default;
};

// Stable FullNAT local address ids, as RealServerIds are for real servers: a flow holds
// its local address's id, so reordering `fullnat_local_addresses` changes no id, and an
// address removed from the config keeps its id (not live: no new connection takes it)
// until release(), once its flows have drained (lb::Worker::laddr_flows()).
class LocalAddrIds {
 public:
  std::optional<uint8_t> find(const net::IpAddr& addr) const;
  // The id of addr, the lowest free one on first sight; nullopt when all 255 are taken.
  std::optional<uint8_t> assign(const net::IpAddr& addr);
  void release(uint8_t id);
  // Addresses by id; a free id holds a family-none address.
  const std::vector<net::IpAddr>& addrs() const { return addrs_; }

 private:
  std::vector<net::IpAddr> addrs_;
};

// Stable real server ids, kept by galed from one build to the next. Each id remembers
// the last RealServer built for it, which a removed server keeps while it drains.
class RealServerIds {
 public:
  // The id of key, or nullopt.
  std::optional<uint16_t> find(const RealServerKey& key) const;
  // The id of key, allocating the lowest free one on first sight; nullopt when all
  // 65534 are taken.
  std::optional<uint16_t> assign(const RealServerKey& key);
  // Frees an id once its flows have drained (the next build no longer carries it).
  void release(uint16_t id);
  // Ids in use are below this.
  size_t size() const { return slots_.size(); }
  const RealServerKey* key_of(uint16_t id) const;
  const lb::RealServer* last_built(uint16_t id) const;
  void remember(uint16_t id, const lb::RealServer& rs);
  // The FullNAT local addresses' ids, kept (and committed) with the real servers'.
  LocalAddrIds local_addrs;

 private:
  struct Slot {
    bool used = false;
    RealServerKey key;
    lb::RealServer last;
  };
  std::map<RealServerKey, uint16_t> ids_;
  std::vector<Slot> slots_;
};

// A real server's health as the builder takes it: up or not, and the weight a
// MISC_CHECK with misc_dynamic asked for (else the configured one applies).
struct DestHealth {
  DestHealth(bool is_up = true, std::optional<uint32_t> w = {})  // a bare verdict converts
      : up(is_up), weight(w) {}
  bool up = true;
  std::optional<uint32_t> weight;
};
// Health as the checkers see it; absent: every server healthy.
using HealthView = std::function<DestHealth(const ServiceKey&, const RealServerConf&)>;
// The services whose quorum is lost (the model keeps keepalived's quorum and
// hysteresis); absent: none.
using QuorumView = std::function<bool(const ServiceKey&)>;

// keepalived's sorry server as a real server of `vs`, when it is in the pool: serving
// (weight 1) while the service's quorum is lost, else quiesced (weight 0) with
// sorry_server_inhibit; none otherwise. While it serves, the real servers leave the pool
// (inhibit_on_failure ones stay at weight 0), as keepalived does.
std::optional<RealServerConf> sorry_dest(const VirtualServerConf& vs, bool quorum_lost);

// A real server whose MAC is unknown: built with a zero MAC; galed resolves it and
// builds again.
struct MissingNeighbour {
  uint16_t id = 0;
  net::IpAddr addr;
  uint16_t out_link = 0;
};

struct BuiltSnapshot {
  lb::Snapshot snapshot;  // finalized (unless `unchanged`)
  // The build would forward exactly as `running` does (build_snapshot's argument):
  // finalize() was skipped -- the Maglev tables of every service would be the running
  // ones -- and there is nothing to publish.
  bool unchanged = false;
  std::vector<MissingNeighbour> missing_neighbours;
  // Ids kept only while their flows drain: servers the config no longer names. (A
  // configured server that is down keeps its id for as long as it is configured.)
  std::vector<uint16_t> removed;
  // Services that cannot serve anyone as built, one sentence each: no route toward
  // their clients (NAT, FullNAT), or no real server whose MAC is known. galed says them
  // loudly at start and on reload.
  std::vector<std::string> unreachable;
};

// Builds and finalizes the snapshot. `ids` is updated only when the build succeeds (a
// failed reload leaves it as the running snapshot needs it). An unhealthy server is
// quiesced (weight 0, still in dests) with inhibit_on_failure, else taken out of the
// dests and kept live=false while its flows drain, as keepalived does with IPVS.
// `running`: the snapshot published now, if any (see BuiltSnapshot::unchanged).
Expected<BuiltSnapshot> build_snapshot(const Config& config, const HostView& host,
                                       RealServerIds& ids, const HealthView& healthy = {},
                                       const lb::Snapshot* running = nullptr,
                                       const QuorumView& quorum_lost = {});

// The dataplane services a virtual server stands for (a group: one per member).
std::vector<ServiceKey> service_keys(const VirtualServerConf& vs, const Config& config);

}  // namespace gale::ctl
