// The control model (DESIGN.md section 6): the desired state -- services and real
// servers from the config file and from runtime commands, health verdicts, weights --
// and the one API of operations on it. The config loader, the control socket (and so
// galectl), the health checkers and, later, VRRP and BGP change state only through these
// functions, as VPP's cli.c and api.c both call lb_vip_add(). Each operation validates
// first and returns Expected; a refused operation changes nothing.
//
// Pure: no I/O, no clock. galed builds a snapshot from effective() and health() after
// every change (version() tells it one happened); the builder keeps the Maglev tables
// and scheduler state of every service whose content did not change, so a health flap
// of one server touches one service.
//
// Runtime changes and the config file (docs/galectl.md): the file owns what it names.
// load() on reload replaces the file's services with what the file now says (runtime
// edits of them are reset); services and real servers added at runtime survive reloads,
// unless the file now defines the same service or server, which then belongs to the file.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/expected.h"
#include "ctl/config.h"
#include "ctl/snapshot_builder.h"

namespace gale::ctl {

// A service as ipvsadm's -A / -E describe it (-t/-u VIP:PORT or -f MARK, -6 for an
// IPv6 firewall-mark service).
struct ServiceSpec {
  ServiceKey key;
  net::Family family = net::Family::v4;      // of the VIP; -6 for fwmark services
  lb::SchedKind sched = lb::SchedKind::wlc;  // -s (ipvsadm's default: wlc)
  lb::SchedFlags flags;                      // -b sh-fallback,sh-port,mh-fallback,mh-port
  uint32_t persistence_s = 0;                // -p [TIMEOUT]; 0: not persistent
  uint8_t persistence_prefix = 0;            // -M NETMASK as a prefix length; 0: host
  bool one_packet = false;                   // -o, --ops (UDP only)
  // gale's own (long options only): the forwarding mode new -a's default to.
  std::optional<lb::FwdMode> default_mode;
};

// A real server as ipvsadm's -a / -e describe it.
struct DestSpec {
  net::IpAddr addr;                    // -r ADDR[:PORT]
  uint16_t port = 0;                   // 0: the service's port (fwmark: any)
  lb::FwdMode mode = lb::FwdMode::dr;  // -g (default) -i -m; gale: --fullnat
  uint32_t weight = 1;                 // -w 0..65535
  uint32_t uthreshold = 0;             // -x; 0: no limit
  uint32_t lthreshold = 0;             // -y
  std::optional<lb::TunEncap> encap;   // --tun-type ipip|gue (-i only)
  uint16_t tun_port = 0;               // --tun-port (GUE)
  // --tun-nocsum / --tun-csum / --tun-remcsum (GUE): as ipvsadm's flags.
  enum class TunCsum : uint8_t { none, csum, remcsum } tun_csum = TunCsum::none;
  // gale's (FullNAT only): --proxy-protocol v1|v2|none, --toa / --no-toa. Not given: the
  // service's (a config file's virtual_server may set one for all its servers).
  std::optional<lb::ProxyProto> proxy;
  std::optional<bool> toa;
};

// A health verdict on one real server of one service: from a checker, or by hand.
struct HealthState {
  bool up = true;
  // MISC_CHECK with misc_dynamic: the weight the exit code asked for; else the
  // configured weight applies.
  std::optional<uint32_t> weight;
  std::string reason;  // the last failure, as the checker said it ("" when up)
};

// One real server's place in the model.
struct RealServerRef {
  ServiceKey service;
  net::IpAddr addr;
  uint16_t port = 0;  // as written (0: not written)
  friend auto operator<=>(const RealServerRef&, const RealServerRef&) = default;
};

class Model {
 public:
  // The file's part, at start and on reload (the config was parsed and validated).
  // Returns one line per runtime object that the file now owns.
  Expected<std::vector<std::string>> load(Config file);

  // ipvsadm's operations, on any service (the file's or a runtime one). A service that
  // is a member of a virtual_server_group of the file is refused for -E/-D/-a/-e/-d
  // (the group is one unit: change it in the file).
  Expected<void> add_service(const ServiceSpec& s);                    // -A
  Expected<void> edit_service(const ServiceSpec& s);                   // -E
  Expected<void> delete_service(const ServiceKey& key);                // -D
  Expected<void> clear();                                              // -C
  Expected<void> add_dest(const ServiceKey& key, const DestSpec& d);   // -a
  Expected<void> edit_dest(const ServiceKey& key, const DestSpec& d);  // -e
  Expected<void> delete_dest(const ServiceKey& key, const net::IpAddr& addr,
                             uint16_t port);  // -d
  // A checker's or the operator's verdict (set_health on the control socket).
  Expected<void> set_health(const RealServerRef& rs, const HealthState& state);
  // ipvsadm --set TCP TCPFIN UDP (0: unchanged); a reload restores the file's.
  Expected<void> set_timeouts(uint32_t tcp, uint32_t tcpfin, uint32_t udp);

  // The config to build snapshots from: the file's services as edited at runtime, plus
  // the runtime services (VirtualServerConf::origin says which).
  const Config& effective() const { return effective_; }
  // Health as build_snapshot takes it (absent entries: up).
  HealthView health_view() const;
  // keepalived's quorum, per service: the weights of its up real servers (a misc_dynamic
  // weight where one was given) summed; at or above quorum it has quorum; it loses it
  // below quorum - hysteresis and regains it at quorum + hysteresis. Kept after every
  // change; a service the model has not seen starts with quorum.
  bool quorum_lost(const ServiceKey& key) const { return quorum_lost_.contains(key); }
  QuorumView quorum_view() const;
  // What changed since the last call (galed logs it and runs quorum_up / quorum_down).
  struct QuorumChange {
    ServiceKey service;
    bool up = false;      // regained (true) or lost
    std::string script;   // the virtual_server's quorum_up / quorum_down
    uint64_t weight = 0;  // the sum that decided
    uint32_t quorum = 0;
  };
  std::vector<QuorumChange> take_quorum_changes();
  const std::map<RealServerRef, HealthState>& health() const { return health_; }
  // Bumped by every operation that changed something.
  uint64_t version() const { return version_; }

 private:
  // Checks `next` as the file's checks would and makes it the effective config.
  Expected<void> commit(Config next);
  void update_quorum();

  Config effective_;
  std::map<RealServerRef, HealthState> health_;
  std::set<ServiceKey> quorum_lost_;
  std::vector<QuorumChange> quorum_changes_;
  uint64_t version_ = 0;
};

// ServiceSpec / DestSpec <-> the control socket's JSON (docs/control.md); the names are
// those of ipvsadm's long options where it has one.
nlohmann::json to_json(const ServiceSpec& s);
nlohmann::json to_json(const DestSpec& d);
Expected<ServiceSpec> service_spec_from_json(const nlohmann::json& j);
Expected<DestSpec> dest_spec_from_json(const nlohmann::json& j);
// A dest whose JSON names no "mode" takes `default_mode` (the service's default_mode).
Expected<DestSpec> dest_spec_from_json(const nlohmann::json& j, lb::FwdMode default_mode);

// A service key as the control socket writes it: {"proto","vip","port"} or
// {"fwmark","family"} (firewall-mark services match by mark and family, any protocol).
struct ServiceKeyRef {
  ServiceKey key;
  net::Family family = net::Family::v4;
};
nlohmann::json key_to_json(const ServiceKey& k, net::Family family);
Expected<ServiceKeyRef> service_key_from_json(const nlohmann::json& j);
// The control socket's mode words: "dr", "tun", "nat", "fullnat".
const char* mode_word(lb::FwdMode m);
Expected<lb::FwdMode> mode_from_word(const std::string& word);

// ipvsadm -p without a timeout: its default persistence (
// IPVS_SVC_PERSISTENT_TIMEOUT, 6*60 s, in ipvsadm's ip_vs.h).
inline constexpr uint32_t kDefaultPersistenceS = 360;

}  // namespace gale::ctl
