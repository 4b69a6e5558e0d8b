// The per-worker flow table: fixed memory allocated once, no locks (one worker owns it).
//
// Layout (docs/engine.md):
//  - entries: one array of fixed-size FlowEntry with a free list;
//  - index: 64-byte buckets of 7 (tag, ref) slots. A key's 64-bit hash picks a home
//    bucket (high bits) and a 32-bit tag (low bits). A full home bucket spills into the
//    next ones; the home bucket remembers how far its keys spilled (`reach`), so a
//    lookup reads one line in the common case. Each slot also records its distance from
//    its home (`dist`), so that erase() shrinks `reach` back when the farthest key of a
//    home leaves: under churn lookups stay as short as the keys present make them.
//    A ref names an entry and the direction the key describes (a NAT connection has a
//    forward and a reply key).
//
// Lookup is split so that a batch can overlap its cache misses: hash and
// prefetch_bucket() for the whole batch, then first_candidate() + prefetch_entry(), then
// find() which verifies the full key through the caller's `match`.
#pragma once

#include <immintrin.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

#include "base/compiler.h"
#include "lb/flow_key.h"

namespace gale::lb {

// Anonymous memory for large tables, faulted in at construction (not on the fast path)
// and asked for transparent huge pages *before* the first touch: with THP in "madvise"
// mode, pages faulted earlier stay 4 KiB, and random lookups would miss the TLB.
class HugeRegion {
 public:
  explicit HugeRegion(size_t bytes) {
    constexpr size_t kHuge = size_t{2} << 20;
    len_ = (bytes + kHuge - 1) / kHuge * kHuge + kHuge;
    raw_ = mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw_ == MAP_FAILED) throw std::bad_alloc();
    // 2 MiB aligned, so that whole huge pages fit; the slack is never touched.
    data_ = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(raw_) + kHuge - 1) &
                                       ~uintptr_t{kHuge - 1});
    madvise(data_, bytes, MADV_HUGEPAGE);
    std::memset(data_, 0, bytes);
  }
  ~HugeRegion() { munmap(raw_, len_); }
  HugeRegion(const HugeRegion&) = delete;
  HugeRegion& operator=(const HugeRegion&) = delete;
  uint8_t* data() const { return data_; }

 private:
  void* raw_ = nullptr;
  size_t len_ = 0;
  uint8_t* data_ = nullptr;
};

inline constexpr uint32_t kNoRef = 0xffffffff;
inline constexpr uint32_t kReplyBit = 0x80000000;  // ref names the reply direction
inline uint32_t ref_entry(uint32_t ref) {
  return ref & ~kReplyBit;
}
inline bool ref_is_reply(uint32_t ref) {
  return (ref & kReplyBit) != 0;
}

// What a flow remembers. Forward key = the client's packet (client -> VIP).
template <typename Key>
struct alignas(sizeof(Key) == 16 ? 32 : 64) FlowEntry {
  Key key;
  uint32_t expires = 0;  // seconds on the worker's clock
  uint16_t rs = 0;       // real server's stable id
  uint8_t state = 0;     // ConnState; 0 = free entry
  uint8_t flags = 0;     // FlowFlag bits
  uint16_t lport = 0;    // FullNAT local port
  uint8_t laddr = 0;     // FullNAT local address index
  uint8_t mode = 0;      // FwdMode the flow began with: a reload does not change it
  union {
    uint32_t next_free = 0;  // free: the free-list link
    uint32_t sync_at;        // live: when the sync log next re-sends it (lb/flow_sync.h)
  };
};

enum FlowFlag : uint8_t {
  kFlowHasReply = 1 << 0,  // a reply key is indexed (NAT, FullNAT)
  kFlowFullNat = 1 << 1,
  kFlowActive = 1 << 2,     // counted as an active connection of its real server
  kFlowTemplate = 1 << 3,   // a persistence template (client network -> real server)
  kFlowReplyOnly = 1 << 4,  // forward key removed: only holds its FullNAT port until expiry
  // An imported copy of a connection another worker of this node counts: it carries
  // only the direction whose packets reach this worker (Worker::import_flow).
  kFlowMirror = 1 << 5,
  // FullNAT with a PROXY protocol header or the TOA option (lb/client_addr.h): its
  // ProxyState sits in the worker's side array at the entry's index.
  kFlowProxy = 1 << 6,
};

static_assert(sizeof(FlowEntry<FlowKeyV4>) == 32, "IPv4 entries are half a cache line");
static_assert(sizeof(FlowEntry<FlowKeyV6>) == 64, "IPv6 entries are one cache line");

struct alignas(64) FlowBucket {
  static constexpr int kSlots = 7;
  uint32_t tag[kSlots];
  uint32_t reach;  // how many buckets past this one hold keys whose home is this one
  uint32_t ref[kSlots];
  uint32_t dist;  // 4 bits per slot: how many buckets past its home the slot's key is

  uint32_t dist_of(int slot) const { return (dist >> (4 * slot)) & 0xf; }
  void set_dist(int slot, uint32_t d) { dist = (dist & ~(0xfu << (4 * slot))) | (d << (4 * slot)); }
};
static_assert(sizeof(FlowBucket) == 64);

template <typename Key>
class FlowTable {
 public:
  using Entry = FlowEntry<Key>;
  // How far a key may be placed from its home bucket before an insert fails (it must
  // fit FlowBucket::dist's 4 bits).
  static constexpr uint32_t kMaxReach = 15;

  // capacity: connections. The index has room for two keys per connection (NAT) at
  // 65% load, where linear probing over 7-slot buckets keeps clusters short.
  FlowTable(uint32_t capacity, uint64_t seed)
      : capacity_(capacity ? capacity : 1),
        nbuckets_(static_cast<uint32_t>((2ull * capacity_ * 100 / 65) / FlowBucket::kSlots + 2)),
        seed_(seed) {
    entry_mem_ = std::make_unique<HugeRegion>(sizeof(Entry) * capacity_);
    bucket_mem_ = std::make_unique<HugeRegion>(sizeof(FlowBucket) * (nbuckets_ + kMaxReach));
    entries_ = reinterpret_cast<Entry*>(entry_mem_->data());
    buckets_ = reinterpret_cast<FlowBucket*>(bucket_mem_->data());
    for (uint32_t i = 0; i < capacity_; ++i)
      entries_[i].next_free = i + 1;
    free_head_ = 0;
  }
  ~FlowTable() = default;
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  uint64_t hash(const Key& k) const { return hash_key(k, seed_); }

  // A key's home bucket: computed once per packet, then passed to the calls below.
  uint32_t home(uint64_t h) const {
    return static_cast<uint32_t>(((h >> 32) * uint64_t{nbuckets_}) >> 32);
  }
  void prefetch_bucket(uint32_t home_b) const { prefetch(&buckets_[home_b]); }
  void prefetch_entry(uint32_t ref) const {
    if (ref != kNoRef) prefetch(&entries_[ref_entry(ref)]);
  }

  // The first slot whose tag matches, without verifying: for prefetching the entry.
  uint32_t first_candidate(uint32_t home_b, uint64_t h) const {
    const FlowBucket& b = buckets_[home_b];
    const uint32_t m = tag_matches(b, tag(h));
    return m ? b.ref[__builtin_ctz(m)] : kNoRef;
  }

  // The ref whose tag matches and for which match(ref) is true, or kNoRef.
  template <typename Match>
  GALE_ALWAYS_INLINE uint32_t find(uint32_t home_b, uint64_t h, Match&& match) const {
    const uint32_t t = tag(h);
    uint32_t bi = home_b;
    const uint32_t last = bi + buckets_[bi].reach;
    for (;; ++bi) {
      const FlowBucket& b = buckets_[bi];
      for (uint32_t m = tag_matches(b, t); m; m &= m - 1) {
        const uint32_t ref = b.ref[__builtin_ctz(m)];
        if (match(ref)) return ref;
      }
      if (bi == last) return kNoRef;
    }
  }

  // Indexes ref under hash h. False when every bucket within kMaxReach is full.
  bool insert(uint64_t h, uint32_t ref) {
    const uint32_t home_b = home(h);
    for (uint32_t d = 0; d <= kMaxReach; ++d) {
      FlowBucket& b = buckets_[home_b + d];
      for (int i = 0; i < FlowBucket::kSlots; ++i) {
        if (b.tag[i] == 0) {
          b.tag[i] = tag(h);
          b.ref[i] = ref;
          b.set_dist(i, d);
          FlowBucket& hb = buckets_[home_b];
          if (d > hb.reach) hb.reach = d;
          ++keys_;
          return true;
        }
      }
    }
    return false;
  }

  // Removes the slot holding ref under hash h (it must be there).
  void erase(uint64_t h, uint32_t ref) {
    const uint32_t t = tag(h);
    const uint32_t home_b = home(h);
    FlowBucket& hb = buckets_[home_b];
    for (uint32_t d = 0; d <= hb.reach; ++d) {
      FlowBucket& b = buckets_[home_b + d];
      for (int i = 0; i < FlowBucket::kSlots; ++i) {
        if (b.tag[i] == t && b.ref[i] == ref && b.dist_of(i) == d) {
          b.tag[i] = 0;
          b.ref[i] = kNoRef;
          b.set_dist(i, 0);
          --keys_;
          if (d != 0 && d == hb.reach) hb.reach = farthest(home_b, d);
          return;
        }
      }
    }
  }

  // How far past `home_b` its keys now reach, looking no further than `limit`.
  uint32_t farthest(uint32_t home_b, uint32_t limit) const {
    for (uint32_t d = limit; d > 0; --d) {
      const FlowBucket& b = buckets_[home_b + d];
      for (int i = 0; i < FlowBucket::kSlots; ++i)
        if (b.tag[i] != 0 && b.dist_of(i) == d) return d;
    }
    return 0;
  }

  // A free entry's index, or kNoRef when the table is full.
  uint32_t alloc() {
    if (free_head_ >= capacity_) return kNoRef;
    uint32_t i = free_head_;
    free_head_ = entries_[i].next_free;
    ++used_;
    return i;
  }
  void release(uint32_t i) {
    entries_[i] = Entry{};
    entries_[i].next_free = free_head_;
    free_head_ = i;
    --used_;
  }

  Entry& entry(uint32_t i) { return entries_[i]; }
  const Entry& entry(uint32_t i) const { return entries_[i]; }

  uint32_t capacity() const { return capacity_; }
  uint32_t index_of(const Entry& e) const { return static_cast<uint32_t>(&e - entries_); }
  // The index, for tests and fuzzers that check `reach`.
  uint32_t buckets() const { return nbuckets_ + kMaxReach; }
  const FlowBucket& bucket(uint32_t i) const { return buckets_[i]; }
  uint32_t used() const { return used_; }
  uint64_t keys() const { return keys_; }
  // Memory this table holds (entries + index), for bytes-per-flow figures.
  size_t memory_bytes() const {
    return sizeof(Entry) * capacity_ + sizeof(FlowBucket) * (nbuckets_ + kMaxReach);
  }

  // Clock-sweep cursor over entries, for incremental expiry.
  uint32_t sweep_cursor = 0;

 private:
  // Bit i set when slot i holds tag t: one compare of all seven tags at once.
  static uint32_t tag_matches(const FlowBucket& b, uint32_t t) {
#if defined(__AVX2__)
    const __m256i tags = _mm256_load_si256(reinterpret_cast<const __m256i*>(b.tag));
    const __m256i eq = _mm256_cmpeq_epi32(tags, _mm256_set1_epi32(static_cast<int>(t)));
    return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(eq))) & 0x7f;
#else
    uint32_t m = 0;
    for (int i = 0; i < FlowBucket::kSlots; ++i)
      m |= uint32_t{b.tag[i] == t} << i;
    return m;
#endif
  }
  static uint32_t tag(uint64_t h) {
    uint32_t t = static_cast<uint32_t>(h);
    return t ? t : 1;  // 0 marks an empty slot
  }
  uint32_t capacity_;
  uint32_t nbuckets_;
  uint64_t seed_;
  std::unique_ptr<HugeRegion> entry_mem_, bucket_mem_;
  Entry* entries_ = nullptr;
  FlowBucket* buckets_ = nullptr;
  uint32_t free_head_ = 0;
  uint32_t used_ = 0;
  uint64_t keys_ = 0;
};

}  // namespace gale::lb
