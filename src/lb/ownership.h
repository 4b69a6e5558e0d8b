// Flow ownership (DESIGN.md section 3): which worker owns a flow, defined through a
// fixed number of virtual shards so that it does not depend on the worker count:
//   DR, TUN, NAT: the client endpoint (address, port) hashes to a shard;
//   FullNAT: the local port's slice of the configured local port range is its shard
//            (the range is cut into kShards slices of nearly equal size);
//   a shard map (WorkerConfig::shard_owner) gives each shard's worker.
// A flow exported by one node is installed on another by the same functions, whatever
// that node's worker count.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>

#include "lb/maglev.h"
#include "net/addr.h"

namespace gale::lb {

inline constexpr uint32_t kShards = 256;
using ShardMap = std::array<uint16_t, kShards>;

// The client endpoint's shard. The seed is secret per node (galed draws it at start),
// so that nobody can aim a flood of endpoints at one worker.
inline uint16_t shard_of_client(const net::IpAddr& client, uint16_t port, uint64_t seed) {
  uint64_t a, b;
  std::memcpy(&a, client.b.data(), 8);
  std::memcpy(&b, client.b.data() + 8, 8);
  const uint64_t h = maglev_mix(seed ^ a ^ maglev_mix(b ^ (uint64_t{port} << 48)));
  return static_cast<uint16_t>(((h >> 32) * kShards) >> 32);
}

// The shard of a local port within [lo, hi]: slice s holds the ports p with
// (p - lo) * kShards / (hi - lo + 1) == s.
inline uint16_t shard_of_local_port(uint16_t lport, uint16_t lo, uint16_t hi) {
  const uint32_t range = uint32_t{hi} - lo + 1;
  return static_cast<uint16_t>((uint32_t{lport} - lo) * kShards / range);
}
// The first port of shard s's slice (s == kShards: one past the range).
inline uint32_t local_port_slice_start(uint32_t s, uint16_t lo, uint16_t hi) {
  const uint32_t range = uint32_t{hi} - lo + 1;
  return lo + (s * range + kShards - 1) / kShards;
}

// Shards in even contiguous blocks: shard s to worker s * workers / kShards.
inline ShardMap even_shards(uint16_t workers) {
  ShardMap m;
  for (uint32_t s = 0; s < kShards; ++s)
    m[s] = static_cast<uint16_t>(s * (workers ? workers : 1u) / kShards);
  return m;
}

}  // namespace gale::lb
