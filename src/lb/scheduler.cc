// The schedulers. Each follows its ip_vs_<name>.c: the same eligibility rules (weight
// > 0, not overloaded), the same cost functions and the same tie-breaking (the first
// server in list order wins), so an ipvsadm user gets the picks they expect.
// Deliberate differences are listed in docs/schedulers.md.
#include "lb/scheduler.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

namespace gale::lb {
namespace {

constexpr std::array<const char*, kSchedKindCount> kNames = {
    "rr", "wrr", "lc", "wlc", "sh", "dh", "mh", "sed", "nq", "fo", "ovf", "lblc", "lblcr", "twos"};

// Rehashes tried before a fallback falls back to a scan of the servers (IPVS tries the
// whole table; a bound keeps the fast path's worst case small).
constexpr uint32_t kFallbackRehashes = 16;

uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | p[i];
  return v;
}

// Hash of an address (and port) for sh/dh/mh buckets and the lblc cache. seed > 0 gives
// the fallback's independent rehashes.
uint64_t addr_hash(const net::IpAddr& a, uint16_t port, uint64_t seed) {
  uint64_t h = maglev_mix(load_be64(a.b.data()) + 0x2545f4914f6cdd1dULL * (seed + 1));
  h = maglev_mix(h ^ load_be64(a.b.data() + 8));
  return maglev_mix(h ^ ((static_cast<uint64_t>(a.family) << 16) | port));
}

// The share a hashing scheduler gives a server in its table.
uint32_t table_weight(const SchedDest& d) {
  if (d.weight > 0) return static_cast<uint32_t>(d.weight);
  return d.last_weight > 0 ? static_cast<uint32_t>(d.last_weight) : 0;
}

// Weighted rendezvous hashing per bucket: each server draws an exponential variate
// -ln(u)/w for the bucket and the smallest wins, so server i wins with probability
// w_i / sum(w), and removing a server changes only the buckets it held.
std::vector<uint16_t> build_rendezvous(std::span<const SchedDest> dests) {
  std::vector<uint16_t> buckets(kShTableSize, kNoBackend);
  std::vector<uint64_t> keys(dests.size());
  for (size_t i = 0; i < dests.size(); ++i)
    keys[i] = maglev_key(dests[i].addr, dests[i].port);
  for (uint32_t b = 0; b < kShTableSize; ++b) {
    uint64_t bh = maglev_mix(b + 0x632be59bd9b4e019ULL);
    double best = 0;
    for (size_t i = 0; i < dests.size(); ++i) {
      uint32_t w = table_weight(dests[i]);
      if (w == 0) continue;
      // u in (0, 1]: the top 53 bits, plus one so that log never sees 0.
      double u = static_cast<double>((maglev_mix(keys[i] ^ bh) >> 11) + 1) * 0x1p-53;
      double score = -std::log(u) / w;
      if (buckets[b] == kNoBackend || score < best) {
        best = score;
        buckets[b] = static_cast<uint16_t>(i);
      }
    }
  }
  return buckets;
}

}  // namespace

std::optional<SchedKind> sched_from_name(std::string_view name) {
  for (int i = 0; i < kSchedKindCount; ++i) {
    if (name == kNames[i]) return static_cast<SchedKind>(i);
  }
  return std::nullopt;
}

const char* to_string(SchedKind k) {
  auto i = static_cast<size_t>(k);
  return i < kNames.size() ? kNames[i] : "?";
}

void update_overload(const SchedDest& d, DestLoad& l) {
  if (d.u_threshold == 0 && !l.overloaded) return;
  const uint32_t u = worker_share(d.u_threshold, d.workers);
  uint64_t total = static_cast<uint64_t>(l.active) + l.inactive;
  if (u != 0 && total >= u) {
    l.overloaded = true;
  } else if (l.overloaded) {
    if (d.l_threshold != 0) {
      l.overloaded = total >= worker_share(d.l_threshold, d.workers);
    } else if (u != 0) {
      l.overloaded = total * 4 >= static_cast<uint64_t>(u) * 3;
    } else {
      l.overloaded = false;
    }
  }
}

void bind_conn(const SchedDest& d, DestLoad& l) {
  ++l.active;
  update_overload(d, l);
}

void unbind_conn(const SchedDest& d, DestLoad& l, bool was_active) {
  uint32_t& n = was_active ? l.active : l.inactive;
  if (n > 0) --n;
  update_overload(d, l);
}

void deactivate_conn(DestLoad& l) {
  if (l.active > 0) --l.active;
  ++l.inactive;
}

void activate_conn(DestLoad& l) {
  if (l.inactive > 0) --l.inactive;
  ++l.active;
}

SchedTables SchedTables::build(SchedKind kind, SchedFlags, std::span<const SchedDest> dests,
                               uint32_t maglev_size) {
  SchedTables t;
  t.ndests = static_cast<uint32_t>(dests.size());
  if (dests.size() >= kNoBackend) return t;  // schedule() then finds no destination
  switch (kind) {
    case SchedKind::sh:
    case SchedKind::dh:
      t.buckets = build_rendezvous(dests);
      break;
    case SchedKind::mh: {
      std::vector<MaglevBackend> backends;
      backends.reserve(dests.size());
      for (const SchedDest& d : dests) {
        backends.push_back({.key = maglev_key(d.addr, d.port), .weight = table_weight(d)});
      }
      t.buckets = build_maglev(backends, maglev_size);
      break;
    }
    case SchedKind::wrr:
      t.wrr_gcd = 0;
      for (const SchedDest& d : dests) {
        if (d.weight <= 0) continue;
        t.wrr_max_weight = std::max(t.wrr_max_weight, d.weight);
        t.wrr_gcd = std::gcd(t.wrr_gcd, d.weight);
      }
      if (t.wrr_gcd == 0) t.wrr_gcd = 1;
      break;
    default:
      break;
  }
  return t;
}

SchedState::SchedState(SchedKind kind, size_t ndests, uint64_t seed) : ndests_(ndests), rng_(seed) {
  if (kind == SchedKind::lblc || kind == SchedKind::lblcr) cache_.resize(kLblcSets * kLblcWays);
}

void SchedState::resync(size_t ndests) {
  // Positions and cached indexes meant other servers: start afresh (no allocation).
  ndests_ = ndests;
  started_ = false;
  std::fill(cache_.begin(), cache_.end(), CacheEntry{});
}

size_t SchedState::cache_entries() const {
  return static_cast<size_t>(
      std::count_if(cache_.begin(), cache_.end(), [](const CacheEntry& e) { return e.size > 0; }));
}

// The schedulers proper; a struct so that they can reach SchedState's insides.
struct SchedImpl {
  std::span<const SchedDest> dests;
  std::span<DestLoad> loads;
  int n;

  bool available(int i) const { return dests[i].weight > 0 && !loads[i].overloaded; }
  int64_t weight(int i) const { return dests[i].weight; }

  int rr(SchedState& s) const {
    int start = s.started_ && s.cursor_ < static_cast<uint32_t>(n) ? s.cursor_ + 1 : 0;
    for (int j = 0; j < n; ++j) {
      int i = (start + j) % n;
      if (available(i)) {
        s.cursor_ = i;
        s.started_ = true;
        return i;
      }
    }
    return -1;
  }

  // IPVS's wrr: passes over the list at falling weight levels cw = max, max - gcd, ...,
  // each pass taking the servers whose weight >= cw. A level no available server can
  // meet is skipped (IPVS walks it and finds nothing), so a pick takes at most two passes.
  int wrr(const SchedTables& t, SchedState& s) const {
    int64_t avail_max = 0;
    for (int i = 0; i < n; ++i) {
      if (available(i)) avail_max = std::max(avail_max, weight(i));
    }
    if (avail_max == 0) return -1;
    int i = -1;  // before the first server, as IPVS's list head
    if (s.started_ && s.cursor_ < static_cast<uint32_t>(n)) {
      i = static_cast<int>(s.cursor_);
    } else {
      s.wrr_cw_ = t.wrr_max_weight;
    }
    for (int step = 0; step <= 2 * n + 1; ++step) {
      if (++i >= n) {
        i = 0;
        s.wrr_cw_ -= t.wrr_gcd;
        if (s.wrr_cw_ <= 0) s.wrr_cw_ = t.wrr_max_weight;
        if (s.wrr_cw_ > avail_max) s.wrr_cw_ = static_cast<int32_t>(avail_max);
      }
      if (available(i) && weight(i) >= s.wrr_cw_) {
        s.cursor_ = static_cast<uint32_t>(i);
        s.started_ = true;
        return i;
      }
    }
    return -1;  // unreachable: the pass at avail_max finds its server
  }

  int lc() const {
    int least = -1;
    uint64_t loh = 0;
    for (int i = 0; i < n; ++i) {
      if (!available(i)) continue;
      uint64_t doh = conn_overhead(loads[i]);
      if (least < 0 || doh < loh) {
        least = i;
        loh = doh;
      }
    }
    return least;
  }

  // The weighted least-cost pick shared by wlc, sed, nq and the lblc family: least
  // overhead/weight, compared as loh * dw > doh * lw to stay in integers.
  template <typename Overhead>
  int weighted_least(Overhead overhead, bool nq_idle_first) const {
    int least = -1;
    uint64_t loh = 0;
    for (int i = 0; i < n; ++i) {
      if (!available(i)) continue;
      uint64_t doh = overhead(loads[i]);
      if (nq_idle_first && loads[i].active == 0) return i;
      if (least < 0 || loh * weight(i) > doh * weight(least)) {
        least = i;
        loh = doh;
      }
    }
    return least;
  }
  int wlc() const { return weighted_least(conn_overhead, false); }
  static uint64_t active_plus_one(const DestLoad& l) { return uint64_t{l.active} + 1; }

  // sh, dh, mh: the table's server for the hash; with fallback, an unavailable one is
  // replaced by rehashing, then by the next available server in list order.
  int hashed(const SchedTables& t, const net::IpAddr& addr, uint16_t port, bool fallback) const {
    if (t.buckets.empty() || t.ndests != static_cast<uint32_t>(n)) return -1;
    uint64_t h = addr_hash(addr, port, 0);
    uint16_t i = maglev_lookup(t.buckets, h);
    if (i < n && available(i)) return i;
    if (!fallback) return -1;
    for (uint32_t r = 1; r <= kFallbackRehashes; ++r) {
      i = maglev_lookup(t.buckets, addr_hash(addr, port, r));
      if (i < n && available(i)) return i;
    }
    for (int j = 0; j < n; ++j) {
      int k = static_cast<int>((h + j) % n);
      if (available(k)) return k;
    }
    return -1;
  }

  int fo() const {
    int best = -1;
    for (int i = 0; i < n; ++i) {
      if (available(i) && (best < 0 || weight(i) > weight(best))) best = i;
    }
    return best;
  }

  int ovf() const {
    int best = -1;
    for (int i = 0; i < n; ++i) {
      if (!available(i) || loads[i].active > weight(i)) continue;
      if (best < 0 || weight(i) > weight(best)) best = i;
    }
    return best;
  }

  static uint64_t next_random(SchedState& s) {
    s.rng_ += 0x9e3779b97f4a7c15ULL;
    return maglev_mix(s.rng_);
  }

  // IPVS's twos: two servers drawn with probability proportional to weight, the one with
  // the lower overhead/weight wins (the first drawn on a tie).
  int twos(SchedState& s) const {
    uint64_t total = 0;
    for (int i = 0; i < n; ++i) {
      if (available(i)) total += static_cast<uint64_t>(weight(i));
    }
    if (total == 0) return -1;
    auto draw = [&](uint64_t r) {
      int last = -1;
      for (int i = 0; i < n; ++i) {
        if (!available(i)) continue;
        last = i;
        auto w = static_cast<uint64_t>(weight(i));
        if (r < w) return i;
        r -= w;
      }
      return last;
    };
    int c1 = draw(next_random(s) % total);
    int c2 = draw(next_random(s) % total);
    uint64_t o1 = conn_overhead(loads[c1]), o2 = conn_overhead(loads[c2]);
    return o1 * weight(c2) > o2 * weight(c1) ? c2 : c1;
  }

  // IPVS's lblc/lblcr is_overloaded: more active connections than its weight while some
  // server is under half its weight.
  bool locality_overloaded(int d) const {
    if (loads[d].active <= weight(d)) return false;
    for (int i = 0; i < n; ++i) {
      if (weight(i) > 0 && int64_t{loads[i].active} * 2 < weight(i)) return true;
    }
    return false;
  }

  static SchedState::CacheEntry* cache_find(SchedState& s, const net::IpAddr& a, uint32_t now) {
    size_t set = (addr_hash(a, 0, 0) % kLblcSets) * kLblcWays;
    for (size_t w = 0; w < kLblcWays; ++w) {
      SchedState::CacheEntry& e = s.cache_[set + w];
      if (e.size > 0 && e.addr == a && now - e.last_use <= kLblcExpireS) return &e;
    }
    return nullptr;
  }

  // A slot for a new entry: free, else stale, else the least recently used.
  static SchedState::CacheEntry& cache_slot(SchedState& s, const net::IpAddr& a, uint32_t now) {
    size_t set = (addr_hash(a, 0, 0) % kLblcSets) * kLblcWays;
    SchedState::CacheEntry* victim = &s.cache_[set];
    for (size_t w = 0; w < kLblcWays; ++w) {
      SchedState::CacheEntry& e = s.cache_[set + w];
      if (e.size == 0 || e.addr == a) return e;
      if (now - e.last_use > now - victim->last_use) victim = &e;
    }
    return *victim;
  }

  int lblc(SchedState& s, const net::IpAddr& daddr, uint32_t now) const {
    if (s.cache_.empty()) return -1;  // a state made for another kind
    SchedState::CacheEntry* e = cache_find(s, daddr, now);
    if (e) {
      e->last_use = now;
      int d = e->set[0];
      if (d < n && available(d) && !locality_overloaded(d)) return d;
    }
    int d = wlc();
    if (d < 0) return -1;
    SchedState::CacheEntry& slot = e ? *e : cache_slot(s, daddr, now);
    slot = {.addr = daddr, .set = {static_cast<uint16_t>(d)}, .size = 1, .last_use = now};
    return d;
  }

  // The member of an lblcr set with the least (most == false) or most overhead/weight,
  // as IPVS's ip_vs_dest_set_min/max; -1 when none qualifies.
  int set_pick(const SchedState::CacheEntry& e, bool most) const {
    int pick = -1;
    uint64_t poh = 0;
    for (uint8_t k = 0; k < e.size; ++k) {
      int d = e.set[k];
      if (d >= n || (most ? weight(d) <= 0 : !available(d))) continue;
      uint64_t doh = conn_overhead(loads[d]);
      if (pick < 0 ||
          (most ? poh * weight(d) < doh * weight(pick) : poh * weight(d) > doh * weight(pick))) {
        pick = d;
        poh = doh;
      }
    }
    return pick;
  }

  static void set_erase(SchedState::CacheEntry& e, int d) {
    for (uint8_t k = 0; k < e.size; ++k) {
      if (e.set[k] == d) {
        e.set[k] = e.set[--e.size];
        return;
      }
    }
  }

  void set_insert(SchedState::CacheEntry& e, int d, uint32_t now) const {
    for (uint8_t k = 0; k < e.size; ++k) {
      if (e.set[k] == d) return;
    }
    if (e.size == kLblcrMaxSet) {
      // Full: drop a member that can take no connection, else the most loaded.
      int victim = -1;
      for (uint8_t k = 0; k < e.size && victim < 0; ++k) {
        if (e.set[k] >= n || weight(e.set[k]) <= 0) victim = e.set[k];
      }
      set_erase(e, victim >= 0 ? victim : set_pick(e, true));
    }
    e.set[e.size++] = static_cast<uint16_t>(d);
    e.last_mod = now;
  }

  int lblcr(SchedState& s, const net::IpAddr& daddr, uint32_t now) const {
    if (s.cache_.empty()) return -1;
    SchedState::CacheEntry* e = cache_find(s, daddr, now);
    if (e) {
      e->last_use = now;
      int d = set_pick(*e, false);
      // A set unchanged for the expiry time sheds its most loaded member.
      if (e->size > 1 && now - e->last_mod > kLblcExpireS) {
        int m = set_pick(*e, true);
        if (m >= 0) {
          set_erase(*e, m);
          e->last_mod = now;
        }
      }
      if (d >= 0 && !locality_overloaded(d)) return d;
      d = wlc();
      if (d < 0) return -1;
      set_insert(*e, d, now);
      return d;
    }
    int d = wlc();
    if (d < 0) return -1;
    SchedState::CacheEntry& slot = cache_slot(s, daddr, now);
    slot = {.addr = daddr,
            .set = {static_cast<uint16_t>(d)},
            .size = 1,
            .last_use = now,
            .last_mod = now};
    return d;
  }
};

int schedule(SchedKind kind, SchedFlags flags, const SchedTables& tables,
             std::span<const SchedDest> dests, std::span<DestLoad> loads, SchedState& state,
             const SchedRequest& req) {
  size_t count = std::min({dests.size(), loads.size(), size_t{kNoBackend - 1}});
  SchedImpl s{.dests = dests, .loads = loads, .n = static_cast<int>(count)};
  if (s.n == 0) return -1;
  if (state.ndests() != count) state.resync(count);
  const net::FiveTuple& t = req.tuple;
  switch (kind) {
    case SchedKind::rr:
      return s.rr(state);
    case SchedKind::wrr:
      return s.wrr(tables, state);
    case SchedKind::lc:
      return s.lc();
    case SchedKind::wlc:
      return s.wlc();
    case SchedKind::sh:
      return s.hashed(tables, t.src, flags.sh_port ? t.sport : 0, flags.sh_fallback);
    case SchedKind::dh:
      return s.hashed(tables, t.dst, 0, false);
    case SchedKind::mh:
      return s.hashed(tables, t.src, flags.mh_port ? t.sport : 0, flags.mh_fallback);
    case SchedKind::sed:
      return s.weighted_least(SchedImpl::active_plus_one, false);
    case SchedKind::nq:
      return s.weighted_least(SchedImpl::active_plus_one, true);
    case SchedKind::fo:
      return s.fo();
    case SchedKind::ovf:
      return s.ovf();
    case SchedKind::lblc:
      return s.lblc(state, t.dst, req.now_s);
    case SchedKind::lblcr:
      return s.lblcr(state, t.dst, req.now_s);
    case SchedKind::twos:
      return s.twos(state);
  }
  return -1;
}

}  // namespace gale::lb
