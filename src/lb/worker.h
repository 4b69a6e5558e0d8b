// One dataplane worker: owns its flow tables, scheduler state and counters, and runs
// the pipeline over batches of frames (DESIGN.md section 3), sequencing the stages:
//   classify every frame, hash and prefetch its flow bucket (Worker::classify);
//   prefetch the candidate entries, then look up (lb/flow_tracker.h);
//   schedule / adopt / follow the flow (lb/scheduler.h), take a FullNAT local port
//   (lb/local_ports.h), and rewrite per mode (lb/modes.h);
//   relay ICMP errors about connections (lb/icmp_relay.h); sweep expired flows.
// Nothing here locks, allocates per packet, makes a syscall or throws.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "lb/client_addr.h"
#include "lb/conn_state.h"
#include "lb/drop.h"
#include "lb/flow_export.h"
#include "lb/flow_sync.h"
#include "lb/flow_table.h"
#include "lb/flow_tracker.h"
#include "lb/local_ports.h"
#include "lb/modes.h"
#include "lb/ownership.h"
#include "lb/packet.h"
#include "lb/scheduler.h"
#include "lb/snapshot.h"

namespace gale::lb {

struct WorkerConfig {
  uint32_t flows_v4 = 1u << 20;   // tracked IPv4 connections
  uint32_t flows_v6 = 1u << 16;   // tracked IPv6 connections
  uint64_t seed = 0x6a1e5eed;     // secret flow-table hash seed (random per worker in galed)
  uint16_t id = 0;                // this worker's index
  uint16_t count = 1;             // workers in all
  uint32_t sweep_per_batch = 16;  // entries the expiry sweep examines per batch and family
  // Secret seed of the client endpoint -> shard hash (lb/ownership.h): random per node
  // in galed, the same on all its workers.
  uint64_t ownership_seed = 0x0b5eed;
  // Shard -> worker, kShards entries; empty: even_shards(count).
  std::vector<uint16_t> shard_owner;
  // The short way for packets that leave a connection's state as it is
  // (Worker::steady); off only to compare with the general way (tests, fuzzers).
  bool steady = true;
};

// Per-worker counters; the control plane sums them over workers.
struct WorkerCounters {
  uint64_t rx = 0;
  uint64_t tx = 0;
  uint64_t to_kernel = 0;
  uint64_t drops[kDropCount] = {};
  uint64_t flows_created = 0;
  uint64_t flows_expired = 0;
  uint64_t flows_adopted = 0;      // mid-connection packets given a flow by the consistent hash
  uint64_t stateless = 0;          // forwarded by the consistent hash without a flow (table full)
  uint64_t stateless_replies = 0;  // NAT replies translated without a flow
  uint64_t nodest_expired = 0;     // ended as their server left (expire_nodest_conn)
  uint64_t icmp_forwarded = 0;     // ICMP errors about a connection, translated and sent on
  uint64_t too_big_sent = 0;       // ICMP "too big" answers
  uint64_t handed_off = 0;         // frames of flows another worker owns, passed to it
  uint64_t flows_imported = 0;     // installed by import_flow()
  uint64_t imports_refused = 0;    // import_flow() records that named what this node lacks
  uint64_t sync_sent = 0;          // events written to the sync ring (lb/flow_sync.h)
  uint64_t sync_lost = 0;          // events lost: the sync ring was full
  uint64_t sync_applied = 0;       // peers' events installed, updated or removed here
  uint64_t proxy_headers = 0;      // PROXY protocol headers put in front of a payload
  uint64_t toa_added = 0;          // TOA options put in a client's segment
  uint64_t toa_no_room = 0;        // ... left out: the TCP options or headroom were full
};

// IPVS's per-real-server statistics.
struct RsCounters {
  uint64_t conns = 0;   // connections created (IPVS's "Conns")
  uint64_t flows = 0;   // connections tracked now (a removed server's id is freed at 0)
  uint64_t active = 0;  // of them, established (IPVS's ActiveConn; the rest: InActConn)
  uint64_t in_pkts = 0;
  uint64_t out_pkts = 0;
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;
};

class Worker {
 public:
  explicit Worker(const WorkerConfig& cfg);
  ~Worker();

  // Switches to a snapshot between batches. When its generation differs, connection
  // counts are carried over by real-server id, and scheduler state is kept for the
  // services whose content_hash is unchanged, made afresh for the others (allocates:
  // once per reload, never per packet).
  void use(const Snapshot* snap);
  const Snapshot* snapshot() const { return snap_; }

  // Runs the pipeline over the batch; `now_s` is the worker's clock in seconds.
  void process(Batch& batch, uint32_t now_s);

  const WorkerCounters& counters() const { return counters_; }
  std::span<const RsCounters> rs_counters() const { return rs_counters_; }
  // Connections tracked now per FullNAT local address id (an id is free at 0).
  std::span<const uint32_t> laddr_flows() const { return laddr_flows_; }
  std::span<const DestLoad> loads(size_t service) const { return services_[service].loads; }
  uint32_t flows() const { return flows_.flows(); }
  // Packets that went the short way (Worker::steady): for tests and benchmarks.
  uint64_t steady_packets() const { return steady_packets_; }
  size_t flow_memory_bytes() const { return flows_.memory_bytes(); }
  const FlowTable<FlowKeyV4>& table_v4() const { return flows_.table<FlowKeyV4>(); }
  const FlowTable<FlowKeyV6>& table_v6() const { return flows_.table<FlowKeyV6>(); }
  // The worker that owns a flow, from what both directions can compute (DESIGN.md
  // section 3, lb/ownership.h): the client endpoint for DR, TUN and NAT; the local port
  // for FullNAT.
  uint16_t owner_of_client(const net::IpAddr& client, uint16_t port) const {
    return shard_owner_[shard_of_client(client, port, cfg_.ownership_seed)];
  }
  uint16_t owner_of_local_port(uint16_t lport) const { return lports_.owner(lport, cfg_.id); }
  // The owner of a connection of client (addr, port) to `svc`: the client endpoint's, or
  // for a persistent service (ipvsadm -p) the client network's alone (port 0), so that
  // one worker holds the client's template and every one of its connections.
  uint16_t owner_of_conn(const Service& svc, const net::IpAddr& client, uint16_t port) const {
    if (GALE_LIKELY(svc.persistence_s == 0)) return owner_of_client(client, port);
    return owner_of_client(
        svc.persistence_prefix ? mask_prefix(client, svc.persistence_prefix) : client, 0);
  }

  // Export and import of flows (lb/flow_export.h). export_flows appends this worker's
  // live connections (and its persistence templates if asked); allocates: off the fast
  // path, on the worker's thread. import_flow installs one where this worker owns a
  // direction of it.
  void export_flows(std::vector<FlowRecord>& out, uint32_t now_s,
                    size_t max = SIZE_MAX,  // stops once `out` holds `max`
                    Export what = Export::connections) const;
  ImportResult import_flow(const FlowRecord& r, uint32_t now_s);
  FlowOwners owners_of(const FlowRecord& r) const;
  FlowOwners owners_of(const FlowRecord& r, const Service* svc) const;  // svc: r's, if known
  int64_t service_of(const FlowRecord& r) const;  // r's service index here, or -1
  // Connection sync (lb/flow_sync.h): events about this worker's connections go to
  // `out` (nullptr: sync off); apply_sync takes a peer's event, on the worker's thread.
  void sync_to(SyncRing* out) { sync_out_ = out; }
  ImportResult apply_sync(const SyncEvent& ev, uint32_t now_s);
  // The seed of a service's scheduler state on a worker seeded `worker_seed` (the
  // simulator seeds a fresh worker's the same way).
  static uint64_t sched_seed(uint64_t worker_seed, size_t service) {
    return worker_seed ^ (service * 0x9e37);
  }

  // The connection a client's packet belongs to: its real server id, or -1.
  int find_flow_rs(const net::FiveTuple& client_tuple, uint32_t now_s) const;

 private:
  struct ServiceState {
    std::unique_ptr<SchedState> sched;
    std::vector<DestLoad> loads;  // in dest order
    std::vector<uint16_t> ids;    // real server id of each dest
    uint64_t content_hash = 0;    // the service's, when sched was made
  };
  // What stage 1 learned of a frame that needs the flow table.
  enum class Kind : uint8_t { forward, reply_nat, reply_fullnat };
  struct Slot {
    net::ParsedPacket pp;
    FlowKeyV4 k4;  // the frame's own key, of its family
    FlowKeyV6 k6;
    uint64_t hash;
    uint32_t home;  // home bucket of hash
    uint32_t ref;
    int32_t target;  // forward: service index; reply_nat: real server id
    Kind kind;
    template <typename Key>
    const Key& key() const {
      if constexpr (std::is_same_v<Key, FlowKeyV4>)
        return k4;
      else
        return k6;
    }
  };

  bool classify(Packet& p, Slot& s, uint32_t now_s);
  template <typename Key>
  void act_stage(Batch& batch, std::span<const uint8_t> idx, uint32_t now_s);
  template <typename Key>
  void act(Packet& p, Slot& s, uint32_t ref, uint32_t now_s);
  void act_nat64_reply(Packet& p, Slot& s, uint32_t now_s);
  bool ends_nodest(const Snapshot& snap, uint16_t rs_id);
  template <typename Key>
  bool steady(Packet& p, Slot& s, FlowEntry<Key>& e, uint32_t now_s);
  template <typename Key>
  void act_new(Packet& p, Slot& s, uint32_t now_s);
  template <typename Key>
  void remove_flow(uint32_t idx);
  template <typename Key>
  void export_table(std::vector<FlowRecord>& out, uint32_t now_s, size_t max, Export what) const;
  // What a record names, as this worker's ids (flow_export.cc).
  struct Resolved {
    ImportResult why = ImportResult::ok;
    uint16_t rs = 0;
    uint8_t laddr = 0;
    bool mirror = false;  // this worker holds only the reply direction
  };
  Resolved resolve(const FlowRecord& r);
  template <typename Key>
  ImportResult import_into(const FlowRecord& r, uint16_t rs_id, uint8_t laddr_id, bool mirror,
                           uint32_t now_s);
  template <typename Key>
  ImportResult apply_into(const SyncEvent& ev, const Resolved& at, uint32_t now_s);
  template <typename Key>
  ImportResult apply_template(const SyncEvent& ev, uint16_t rs_id, uint32_t now_s);
  template <typename Key>
  FlowRecord record_of(const FlowEntry<Key>& e, uint32_t now_s) const;
  // Sends a connection or a persistence template to the sync ring when it changed or is
  // due (lb/flow_sync.h).
  template <typename Key>
  void note_sync(FlowEntry<Key>& e, bool changed, uint32_t now_s) {
    if (!sync_out_ || (e.flags & kFlowMirror)) return;
    if ((changed || now_s >= e.sync_at) && worth_syncing(static_cast<ConnState>(e.state)))
      send_sync(e, SyncOp::upsert, now_s);
  }
  template <typename Key>
  void send_sync(FlowEntry<Key>& e, SyncOp op, uint32_t now_s);
  template <typename Key>
  int sticky_dest(const Key& k, uint32_t service, uint32_t now_s);
  template <typename Key>
  void sync_template(const FlowEntry<Key>& conn, const net::ParsedPacket& pp, uint32_t now_s);

  void forward(Packet& p, const net::ParsedPacket& pp, uint16_t rs_id, FwdMode mode,
               const NatAddrs* a, uint64_t hash);
  // A PROXY connection's client packet: the header or the sequence translation, then
  // forward().
  void forward_proxy(Packet& p, const net::ParsedPacket& pp, uint16_t rs_id, const NatAddrs& a,
                     ProxyState& st);
  template <typename Key>
  std::vector<ProxyState>& proxy_states() {
    if constexpr (std::is_same_v<Key, FlowKeyV4>)
      return proxy4_;
    else
      return proxy6_;
  }
  template <typename Key>
  const std::vector<ProxyState>& proxy_states() const {
    return const_cast<Worker*>(this)->proxy_states<Key>();
  }
  // Allocates the PROXY side arrays (once: a reload that asks for the header, or a
  // synced connection that has one).
  void ensure_proxy_states();
  void handle_icmp_error(Packet& p, const net::ParsedPacket& pp, uint32_t now_s);
  int adopt_pick(const Service& svc, const net::FiveTuple& t);
  void set_state(uint8_t& flags, uint8_t& state, ConnState next, uint16_t rs_id);
  void count_in(uint16_t rs_id, uint32_t bytes);
  void finish(Packet& p, const Outcome& o);
  void drop(Packet& p, Drop d);

  WorkerConfig cfg_;
  const Snapshot* snap_ = nullptr;
  uint64_t generation_ = ~0ull;
  FlowTracker flows_;
  FlowTable<FlowKeyV4>* t4_;  // flows_'s tables, for classify's prefetch
  FlowTable<FlowKeyV6>* t6_;
  ShardMap shard_owner_;
  LocalPorts lports_;
  std::vector<ServiceState> services_;
  std::vector<RsCounters> rs_counters_;
  uint32_t laddr_flows_[256] = {};  // by local address id (at most 255, finalize())
  WorkerCounters counters_;
  uint64_t steady_packets_ = 0;
  SyncRing* sync_out_ = nullptr;
  // PROXY connections' state by entry index (lb/client_addr.h): allocated once a
  // snapshot has a real server that asks for the header.
  std::vector<ProxyState> proxy4_, proxy6_;
  Slot slots_[kBatchSize];
};

}  // namespace gale::lb
