// IPVS's schedulers, with ipvsadm's names and the kernel's semantics (docs/schedulers.md):
// which real server gets a new connection. Three kinds of data, split by owner:
//   SchedDest   - a real server's config, immutable in the service snapshot;
//   SchedTables - per-service tables built from the config off the fast path (the Maglev
//                 table for mh, the bucket table for sh/dh, wrr's max and gcd);
//   SchedState and DestLoad - per worker, mutable: cursors, caches, connection counts.
// schedule() is on the fast path: it never allocates or throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "lb/maglev.h"
#include "net/addr.h"
#include "net/parse.h"

namespace gale::lb {

enum class SchedKind : uint8_t {
  rr,
  wrr,
  lc,
  wlc,
  sh,
  dh,
  mh,
  sed,
  nq,
  fo,
  ovf,
  lblc,
  lblcr,
  twos
};
inline constexpr int kSchedKindCount = 14;

// ipvsadm's name ("wlc") to the kind; nullopt for an unknown name.
std::optional<SchedKind> sched_from_name(std::string_view name);
const char* to_string(SchedKind k);

// ipvsadm -b flags: fallback = skip an unavailable server; port = hash the source port too.
struct SchedFlags {
  bool sh_fallback = false, sh_port = false, mh_fallback = false, mh_port = false;
};

// One real server as a scheduler sees it: immutable config from the snapshot.
struct SchedDest {
  net::IpAddr addr;
  uint16_t port;
  int32_t weight;  // <= 0: quiesced, never picked for a new connection
  // Overload marking (ipvsadm -x -y); 0 = off. See update_overload. The values are the
  // node's: each of `workers` workers marks on its own counts at its share.
  uint32_t u_threshold = 0;
  uint32_t l_threshold = 0;
  // The weight before quiescing (IPVS's last_weight). sh, dh and mh size a server's
  // share of their tables by weight, or by last_weight when weight is 0, so quiescing a
  // server moves no other server's sources; its own go to -1 or, with the fallback flag,
  // elsewhere. 0: a quiesced server leaves the tables.
  int32_t last_weight = 0;
  uint16_t workers = 1;  // the node's workers (Snapshot::finalize sets it)
};

// A worker's share of a node-wide threshold: ceil(value / workers), so that the node
// holds at most value + workers - 1 connections where IPVS holds value (0 stays off).
inline uint32_t worker_share(uint32_t value, uint16_t workers) {
  if (workers <= 1) return value;
  return static_cast<uint32_t>((uint64_t{value} + workers - 1) / workers);
}

// Connection counts of one real server on this worker: mutable, owned by the worker.
struct DestLoad {
  uint32_t active = 0;
  uint32_t inactive = 0;
  bool overloaded = false;  // set and cleared by update_overload, as IPVS does
};

// IPVS's ip_vs_dest_conn_overhead: an active connection costs 256 inactive ones.
inline uint64_t conn_overhead(const DestLoad& l) {
  return (static_cast<uint64_t>(l.active) << 8) + l.inactive;
}

// IPVS's overload hysteresis on this worker's share of the thresholds (worker_share):
// set when active + inactive >= u_threshold (u != 0); cleared when the total drops below
// l_threshold, or below 3/4 of u_threshold when l_threshold is 0 (always cleared when
// both are 0).
void update_overload(const SchedDest& d, DestLoad& l);
// Connection accounting, each followed by update_overload (as ip_vs_bind_dest/unbind).
void bind_conn(const SchedDest& d, DestLoad& l);                     // new, active
void unbind_conn(const SchedDest& d, DestLoad& l, bool was_active);  // gone
void deactivate_conn(DestLoad& l);  // active -> inactive (e.g. TCP FIN seen)
void activate_conn(DestLoad& l);    // inactive -> active

// sh/dh bucket table size (power of two). Sources map to buckets by hash, buckets to
// servers by weighted rendezvous hashing: removing a server moves only its buckets.
inline constexpr uint32_t kShTableBits = 14;
inline constexpr uint32_t kShTableSize = 1u << kShTableBits;

// Immutable per-service scheduler data, built by the control plane off the fast path.
// Indexes refer to the dests span it was built from; rebuild when that span changes.
struct SchedTables {
  std::vector<uint16_t> buckets;  // sh, dh (kShTableSize), mh (the Maglev table)
  int32_t wrr_max_weight = 0;     // wrr: largest weight
  int32_t wrr_gcd = 1;            // wrr: gcd of the positive weights
  uint32_t ndests = 0;            // dests.size() at build time

  static SchedTables build(SchedKind kind, SchedFlags flags, std::span<const SchedDest> dests,
                           uint32_t maglev_size = kDefaultMaglevSize);
};

// lblc/lblcr caches: kLblcSets sets of kLblcWays entries per worker and service, LRU
// within a set; an entry unused for kLblcExpireS seconds is stale (IPVS's default
// lblc_expiration / lblcr_expiration, 24 h).
inline constexpr uint32_t kLblcSets = 1024;
inline constexpr uint32_t kLblcWays = 4;
inline constexpr uint32_t kLblcExpireS = 24 * 60 * 60;
// lblcr: most servers one destination address's set holds.
inline constexpr uint32_t kLblcrMaxSet = 4;

// Mutable per-worker-per-service state. Allocates in the constructor only. A worker makes
// one per service when the snapshot's server list changes (indexes then mean new servers).
class SchedState {
 public:
  explicit SchedState(SchedKind kind, size_t ndests, uint64_t seed = 0x5eed);

  // lblc/lblcr: the cache entries in use (for tests and stats).
  size_t cache_entries() const;
  size_t ndests() const { return ndests_; }
  // Called by schedule() when the server count differs from the one the state was made
  // for (a new snapshot): forgets cursors and caches rather than misuse them.
  void resync(size_t ndests);

 private:
  friend struct SchedImpl;

  // lblc: one destination address -> one server; lblcr: -> a set of servers.
  struct CacheEntry {
    net::IpAddr addr;
    uint16_t set[kLblcrMaxSet];  // lblc uses set[0]
    uint8_t size = 0;            // 0: free
    uint32_t last_use = 0;
    uint32_t last_mod = 0;  // lblcr: when the set last changed
  };

  size_t ndests_;
  uint32_t cursor_ = 0;  // rr/wrr: the last server picked (IPVS's list position)
  bool started_ = false;
  int32_t wrr_cw_ = 0;             // wrr: current weight
  uint64_t rng_;                   // twos: splitmix64 state
  std::vector<CacheEntry> cache_;  // lblc/lblcr: kLblcSets * kLblcWays
};

// The tuple from the client's packet: src = client, dst = VIP (or, for lblc/lblcr on a
// transparent cache cluster, the address the client asked for).
struct SchedRequest {
  const net::FiveTuple& tuple;
  uint32_t now_s;  // monotonic seconds (lblc/lblcr expiry)
};

// Picks the real server index for a new connection, or -1 when none is available
// (IPVS: "no destination available"). Does not count the connection: the caller calls
// bind_conn when it creates the flow.
int schedule(SchedKind kind, SchedFlags flags, const SchedTables& tables,
             std::span<const SchedDest> dests, std::span<DestLoad> loads, SchedState& state,
             const SchedRequest& req);

}  // namespace gale::lb
