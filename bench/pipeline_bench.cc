// gale-bench pipeline: one worker, frames from memory, ns per packet per case.
//
// Frames live in a ring of a few thousand buffers, as a NIC's would (stride 2112 bytes:
// a power-of-two stride would alias every frame's headers into a few cache sets). Before
// each batch the driver refills the 64 buffers it hands over: a 64-byte template copy
// and the flow's addresses and ports. Every case, the floors included, pays that same
// driver cost, so ratios against the floors compare the pipelines alone.
//
// Cases (DR unless named): established flows at 1, 1k, 1M, 10M (random order); new
// flows (every packet a SYN of a new connection), with wrr and keepalived's default
// wlc; IPv6 established (1M flows); churn (256k live flows, one packet in
// 16 a new one, the old ones expiring and swept); NAT and FullNAT with both directions
// mixed, FullNAT also with a PROXY v2 header on its servers (past the header: every
// packet pays its sequence or acknowledgement translation; and at the first payload
// byte, not yet acknowledged: every packet carries the header, against the same
// client-only FullNAT case); TUN/IPIP; and two floors:
//   floor      read each frame and swap its MACs (the compute floor)
//   floor-mem  per frame, read one random 64-byte line of a region as large as the
//              1M-flow table, with the same batch prefetching (the memory floor)
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>  // no-ops unless under valgrind
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#include "frame_ring.h"
#include "lb/worker.h"
#include "net/checksum.h"
#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/l4.h"

namespace gale::bench {
namespace {

using lb::Batch;
using lb::FwdMode;
using lb::Packet;

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}
net::MacAddr mac(const char* s) {
  return *net::parse_mac(s);
}

lb::Snapshot make_snapshot(FwdMode mode, lb::ProxyProto proxy = lb::ProxyProto::none,
                           lb::SchedKind sched = lb::SchedKind::wrr, bool v6 = false) {
  lb::Snapshot s;
  s.generation = 1;
  s.links.push_back({.mac = mac("02:00:00:00:00:01"), .gateway_mac = mac("02:00:00:00:00:fe")});
  // IPv6: the VIP Ring writes (RingFamily::v6), servers 2001:db8:1::1-10.
  lb::Service svc{.vip = ip(v6 ? "2001:db8::c000:20a" : "192.0.2.10"),
                  .port = 80,
                  .proto = net::kProtoTcp,
                  .sched = sched};
  for (uint16_t i = 0; i < 10; ++i) {
    net::IpAddr a = net::Ipv4Addr{0x0a010001u + i};
    if (v6) a = ip(("2001:db8:1::" + std::to_string(i + 1)).c_str());
    s.real_servers.push_back(
        {.addr = a, .mode = mode, .mac = mac("02:00:00:00:01:01"), .proxy = proxy});
    svc.dests.push_back({.addr = a, .port = 80, .weight = 1 + i % 3});
    svc.dest_ids.push_back(i);
  }
  s.services.push_back(svc);
  for (uint32_t i = 0; i < 16; ++i)
    s.fullnat.laddrs.push_back(net::Ipv4Addr{0x0a020001u + i});
  s.tunnel.src_v4 = net::Ipv4Addr{0x0a030000};
  s.tunnel.src_v4_spread_bits = 8;
  s.timeouts.tcp = 1u << 30;  // nothing expires during a run
  s.timeouts.syn_recv = 1u << 30;
  if (!s.finalize()) std::abort();
  return s;
}

struct Result {
  std::string name, mode;
  uint64_t flows;
  double ns_per_packet;
  double bytes_per_flow;
};

using Clock = std::chrono::steady_clock;

// Runs `pkts` (in order, cycling) through `step` for at least `min_packets` packets.
// `counted`: false for a warm-up, which callgrind (bench/icount) must not count.
template <typename Step>
double time_run(Ring& ring, const std::vector<FlowPkt>& pkts, size_t min_packets, Step step,
                bool counted = true) {
  Batch b;
  size_t next = 0, slot = 0, done = 0;
  // Under valgrind --tool=callgrind --instr-atstart=no (bench/icount), only this loop
  // is counted: the set-up (the flows established) is not.
  if (counted) CALLGRIND_START_INSTRUMENTATION;
  const auto t0 = Clock::now();
  while (done < min_packets) {
    for (int i = 0; i < lb::kBatchSize; ++i) {
      ring.fill(b.pkts[i], slot, pkts[next]);
      slot = slot + 1 == kRing ? 0 : slot + 1;
      next = next + 1 == pkts.size() ? 0 : next + 1;
    }
    b.count = lb::kBatchSize;
    step(b);
    done += lb::kBatchSize;
  }
  const auto t1 = Clock::now();
  if (counted) CALLGRIND_STOP_INSTRUMENTATION;
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(done);
}

std::vector<FlowPkt> client_flows(size_t n, uint8_t flags, std::mt19937_64& rng) {
  std::vector<FlowPkt> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = {.src = 0xc6336400u + static_cast<uint32_t>(i >> 14) * 7919u % 0xffffff,
            .dst = 0xc000020a,
            .sport = static_cast<uint16_t>(1024 + (i & 0x3fff)),
            .dport = 80,
            .flags = flags};
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

// Establishes every flow (untimed) and returns, per flow, the reply packet the real
// server would send, read off the forwarded SYN.
std::vector<FlowPkt> establish(lb::Worker& w, Ring& ring, const std::vector<FlowPkt>& fwd,
                               uint32_t syn_seq, uint32_t now) {
  std::vector<FlowPkt> replies;
  replies.reserve(fwd.size());
  Batch b;
  for (size_t i = 0; i < fwd.size(); i += lb::kBatchSize) {
    const size_t n = std::min<size_t>(lb::kBatchSize, fwd.size() - i);
    for (size_t j = 0; j < n; ++j) {
      FlowPkt syn = fwd[i + j];
      syn.flags = net::kTcpSyn;
      ring.fill(b.pkts[j], j, syn);
      net::store_be32(b.pkts[j].data + ring.seq_offset(), syn_seq);  // (its checksum unread)
    }
    b.count = static_cast<uint16_t>(n);
    w.process(b, now);
    for (size_t j = 0; j < n && !ring.v6(); ++j) {  // (IPv4 cases only mix replies in)
      const Packet& p = b.pkts[j];
      const uint8_t* l3 = p.data + net::kEthHeaderLen;
      replies.push_back({.src = net::load_be32(l3 + 16),
                         .dst = net::load_be32(l3 + 12),
                         .sport = net::load_be16(l3 + 22),
                         .dport = net::load_be16(l3 + 20),
                         .flags = net::kTcpAck});
    }
  }
  return replies;
}

std::unique_ptr<lb::Worker> make_worker(size_t flows, bool v6 = false) {
  const auto n = static_cast<uint32_t>(std::max<size_t>(flows, 1024));
  return std::make_unique<lb::Worker>(
      lb::WorkerConfig{.flows_v4 = v6 ? 1024 : n, .flows_v6 = v6 ? n : 1024});
}

double bytes_per_flow(const lb::Worker& w, bool v6 = false) {
  if (v6) return static_cast<double>(w.table_v6().memory_bytes()) / w.table_v6().capacity();
  return static_cast<double>(w.table_v4().memory_bytes()) / w.table_v4().capacity();
}

// A case of established flows.
struct Established {
  const char* mode_name;
  FwdMode mode;
  size_t flows;
  bool both_dirs = false;  // the servers' replies mixed in
  lb::ProxyProto proxy = lb::ProxyProto::none;
  // Every client segment at its first payload byte (the SYN just before it): with a
  // PROXY header, each carries it, as before the server acknowledged it.
  bool at_first_byte = false;
  bool v6 = false;  // IPv6 client, VIP and servers (not with both_dirs)
};

Result run_established(const Established& c, size_t min_packets) {
  const char* mode_name = c.mode_name;
  const size_t flows = c.flows;
  std::mt19937_64 rng(42);
  Ring ring(c.at_first_byte ? L4Checksum::kept : L4Checksum::stale,
            c.v6 ? RingFamily::v6 : RingFamily::v4);
  lb::Snapshot snap = make_snapshot(c.mode, c.proxy, lb::SchedKind::wrr, c.v6);
  auto w = make_worker(flows, c.v6);
  w->use(&snap);
  auto fwd = client_flows(flows, net::kTcpAck, rng);
  auto rev = establish(*w, ring, fwd, c.at_first_byte ? kSeq - 1 : kSynSeq, 1);
  if (getenv("GALE_BENCH_DEBUG"))
    std::fprintf(stderr, "established %u flows, tx %lu kernel %lu created %lu\n", w->flows(),
                 w->counters().tx, w->counters().to_kernel, w->counters().flows_created);
  if (getenv("GALE_BENCH_DEBUG"))
    for (int d = 0; d < lb::kDropCount; ++d)
      if (w->counters().drops[d])
        std::fprintf(stderr, "  drop %s: %lu\n", lb::to_string(lb::Drop(d)),
                     w->counters().drops[d]);
  std::vector<FlowPkt> pkts = fwd;
  if (c.both_dirs) pkts.insert(pkts.end(), rev.begin(), rev.end());
  // A fresh order: in establishing order the entries (allocated in that order) would be
  // read sequentially, and the hardware prefetcher would hide their misses.
  std::shuffle(pkts.begin(), pkts.end(), rng);
  const uint64_t headers = w->counters().proxy_headers;
  double ns = time_run(ring, pkts, min_packets, [&](Batch& b) { w->process(b, 2); });
  const auto& n = w->counters();
  if (n.tx < min_packets) {
    std::fprintf(stderr, "warning: %s forwarded only %lu (kernel %lu, stateless replies %lu)\n",
                 mode_name, n.tx, n.to_kernel, n.stateless_replies);
    for (int d = 0; d < lb::kDropCount; ++d)
      if (n.drops[d])
        std::fprintf(stderr, "  drop %s: %lu\n", lb::to_string(lb::Drop(d)), n.drops[d]);
  }
  // The PROXY cases measure what they say: a header on every packet, or on none.
  const bool all = c.proxy != lb::ProxyProto::none && c.at_first_byte;
  if (n.proxy_headers - headers != (all ? n.tx - flows : 0))
    std::fprintf(stderr, "warning: %s put %lu PROXY headers in front of %lu packets\n", mode_name,
                 n.proxy_headers - headers, n.tx - flows);
  return {"", mode_name, flows, ns, bytes_per_flow(*w, c.v6)};
}

Result run_new_flows(size_t flows, size_t packets = 0, lb::SchedKind sched = lb::SchedKind::wrr) {
  std::mt19937_64 rng(43);
  Ring ring;
  lb::Snapshot snap = make_snapshot(FwdMode::dr, lb::ProxyProto::none, sched);
  auto w = make_worker(flows);
  w->use(&snap);
  auto pkts = client_flows(flows, net::kTcpSyn, rng);
  if (packets) pkts.resize(std::min(packets, pkts.size()));
  double ns = time_run(ring, pkts, pkts.size(), [&](Batch& b) { w->process(b, 1); });
  flows = pkts.size();
  if (w->flows() != flows) std::fprintf(stderr, "warning: %u flows created\n", w->flows());
  return {sched == lb::SchedKind::wrr ? "dr-new-flows" : "dr-new-flows-wlc", "dr", flows, ns,
          bytes_per_flow(*w)};
}

// Steady-state churn (DR): kLive flows carry the traffic, one packet in 16 is the SYN of
// a new flow, and the flow it replaces is never seen again, so it must expire (TCP
// timeout kTimeout s; the clock ticks every kPerSecond packets) and the sweep reclaim
// its entry. The first kWarm packets (untimed) fill the table to its steady state:
// expiries then keep pace with arrivals, and their cost is in the figure.
Result run_churn(size_t min_packets) {
  constexpr size_t kLive = 256 * 1024, kPerSecond = 4 << 20, kWarm = 24 << 20;
  constexpr uint32_t kTimeout = 2;
  std::mt19937_64 rng(47);
  Ring ring;
  lb::Snapshot snap = make_snapshot(FwdMode::dr);
  snap.timeouts.tcp = snap.timeouts.syn_recv = kTimeout;
  snap.timeout_of = snap.timeouts.table();
  auto w = make_worker(size_t{2} << 20);
  w->use(&snap);
  // Flow id i's packet: distinct endpoints for 2^32 ids.
  auto flow = [](uint64_t i, uint8_t flags) {
    return FlowPkt{.src = 0xc6000000u + static_cast<uint32_t>(i >> 14),
                   .dst = 0xc000020a,
                   .sport = static_cast<uint16_t>(1024 + (i & 0x3fff)),
                   .dport = 80,
                   .flags = flags};
  };
  uint64_t next = 0;  // the next new flow's id; the live ones are [next - kLive, next)
  auto stream = [&](size_t n) {
    std::vector<FlowPkt> v(n);
    for (auto& p : v) {
      if (next < kLive || rng() % 16 == 0)
        p = flow(next++, net::kTcpSyn);
      else
        p = flow(next - 1 - rng() % kLive, net::kTcpAck);
    }
    return v;
  };
  size_t done = 0;
  auto step = [&](Batch& b) {
    w->process(b, 1 + static_cast<uint32_t>(done / kPerSecond));
    done += b.count;
  };
  const auto warm = stream(kWarm);
  time_run(ring, warm, warm.size(), step, false);
  const auto pkts = stream(min_packets);
  const uint64_t expired = w->counters().flows_expired, stateless = w->counters().stateless;
  const double ns = time_run(ring, pkts, pkts.size(), step);
  if (w->counters().flows_expired == expired || w->counters().stateless != stateless)
    std::fprintf(stderr, "warning: churn: %lu flows expired while timed, %lu stateless\n",
                 w->counters().flows_expired - expired, w->counters().stateless - stateless);
  if (getenv("GALE_BENCH_DEBUG"))
    std::fprintf(stderr, "churn: %u flows in the table, %lu expired while timed\n", w->flows(),
                 w->counters().flows_expired - expired);
  return {"dr-churn", "dr", kLive, ns, bytes_per_flow(*w)};
}

Result run_floor(size_t min_packets) {
  std::mt19937_64 rng(44);
  Ring ring;
  auto pkts = client_flows(1024, net::kTcpAck, rng);
  uint64_t sink = 0;
  double ns = time_run(ring, pkts, min_packets, [&](Batch& b) {
    for (int i = 0; i < b.count; ++i) {
      uint8_t* d = b.pkts[i].data;
      uint8_t tmp[6];
      std::memcpy(tmp, d, 6);
      std::memcpy(d, d + 6, 6);
      std::memcpy(d + 6, tmp, 6);
      sink += d[23];
      b.pkts[i].verdict = lb::Verdict::tx;
    }
  });
  if (sink == 1) std::puts("");
  return {"floor", "-", 0, ns, 0};
}

Result run_floor_mem(size_t region_bytes, size_t min_packets) {
  std::mt19937_64 rng(45);
  Ring ring;
  auto pkts = client_flows(1 << 20, net::kTcpAck, rng);
  const size_t lines = region_bytes / 64;
  lb::HugeRegion mem(lines * 64);  // the same memory the flow table gets
  const uint8_t* region = mem.data();
  uint64_t sink = 0;
  size_t at[lb::kBatchSize];
  double ns = time_run(ring, pkts, min_packets, [&](Batch& b) {
    for (int i = 0; i < b.count; ++i) {
      const uint8_t* d = b.pkts[i].data;
      uint64_t h =
          lb::maglev_mix(net::load_be32(d + 26) ^ (uint64_t{net::load_be16(d + 34)} << 32));
      at[i] = (h % lines) * 64;
      prefetch(region + at[i]);
    }
    for (int i = 0; i < b.count; ++i) {
      sink += region[at[i]];
      b.pkts[i].verdict = lb::Verdict::tx;
    }
  });
  if (sink == 1) std::puts("");
  return {"floor-mem", "-", 1u << 20, ns, 0};
}

// Two dependent random lines per frame, staged as the worker stages them (all buckets
// prefetched, then the entry named by bucket k+D prefetched while entry k is read): the
// memory floor of a bucket + entry table. For diagnosis (`gale-bench floor2`).
double run_floor_mem2(size_t region_bytes, size_t min_packets) {
  std::mt19937_64 rng(46);
  Ring ring;
  auto pkts = client_flows(1 << 20, net::kTcpAck, rng);
  const size_t lines = region_bytes / 2 / 64;
  lb::HugeRegion b(lines * 64), e(lines * 64);
  uint32_t* bw = reinterpret_cast<uint32_t*>(b.data());
  for (size_t i = 0; i < lines; ++i)
    bw[i * 16] = static_cast<uint32_t>(lb::maglev_mix(i) % lines);
  uint64_t sink = 0;
  size_t at[lb::kBatchSize];
  constexpr int D = 8;
  return time_run(ring, pkts, min_packets, [&](Batch& batch) {
    for (int i = 0; i < batch.count; ++i) {
      const uint8_t* d = batch.pkts[i].data;
      at[i] =
          lb::maglev_mix(net::load_be32(d + 26) ^ (uint64_t{net::load_be16(d + 34)} << 32)) % lines;
      prefetch(b.data() + at[i] * 64);
    }
    for (int i = 0; i < std::min<int>(D, batch.count); ++i)
      prefetch(e.data() + bw[at[i] * 16] * 64);
    for (int i = 0; i < batch.count; ++i) {
      if (i + D < batch.count) prefetch(e.data() + size_t{bw[at[i + D] * 16]} * 64);
      sink += e.data()[size_t{bw[at[i] * 16]} * 64];
      batch.pkts[i].verdict = lb::Verdict::tx;
    }
    if (sink == 1) std::puts("");
  });
}

// Median of three runs.
template <typename F>
Result median3(F f) {
  Result r[3] = {f(), f(), f()};
  std::sort(r, r + 3,
            [](const Result& a, const Result& b) { return a.ns_per_packet < b.ns_per_packet; });
  return r[1];
}

int pipeline(bool json) {
  std::vector<Result> results;
  constexpr size_t kMin = 4'000'000;
  auto add = [&](std::string name, Result r) {
    r.name = std::move(name);
    results.push_back(r);
    const Result& x = results.back();
    if (json) {
      std::printf(
          "{\"case\":\"%s\",\"mode\":\"%s\",\"flows\":%lu,\"ns_per_packet\":%.2f,\"mpps\":%.2f,"
          "\"bytes_per_flow\":%.1f}\n",
          x.name.c_str(), x.mode.c_str(), x.flows, x.ns_per_packet, 1e3 / x.ns_per_packet,
          x.bytes_per_flow);
    } else {
      std::printf("%-24s %-8s %10lu flows %8.2f ns/packet %7.2f Mpps %6.1f B/flow\n",
                  x.name.c_str(), x.mode.c_str(), x.flows, x.ns_per_packet, 1e3 / x.ns_per_packet,
                  x.bytes_per_flow);
    }
    std::fflush(stdout);
  };
  const size_t region = make_worker(1 << 20)->table_v4().memory_bytes();
  add("floor", median3([&] { return run_floor(kMin); }));
  add("floor-mem", median3([&] { return run_floor_mem(region, kMin); }));
  for (size_t flows : {size_t{1}, size_t{1000}, size_t{1} << 20, size_t{10} << 20}) {
    add("dr-established", median3([&] {
          return run_established({.mode_name = "dr", .mode = FwdMode::dr, .flows = flows},
                                 std::max(kMin, flows));
        }));
  }
  add("dr-new-flows", median3([&] { return run_new_flows(1 << 20); }));
  // keepalived's default scheduler beside wrr.
  add("dr-new-flows-wlc", median3([&] { return run_new_flows(1 << 20, 0, lb::SchedKind::wlc); }));
  add("dr-churn", median3([&] { return run_churn(kMin); }));
  add("nat-both-directions", median3([&] {
        return run_established(
            {.mode_name = "nat", .mode = FwdMode::nat, .flows = 1 << 20, .both_dirs = true}, kMin);
      }));
  add("fullnat-both-directions", median3([&] {
        return run_established(
            {.mode_name = "fullnat", .mode = FwdMode::fullnat, .flows = 1 << 20, .both_dirs = true},
            kMin);
      }));
  add("fullnat-proxy-v2-both-directions", median3([&] {
        return run_established({.mode_name = "fullnat",
                                .mode = FwdMode::fullnat,
                                .flows = 1 << 20,
                                .both_dirs = true,
                                .proxy = lb::ProxyProto::v2},
                               kMin);
      }));
  add("fullnat-client-to-server", median3([&] {
        return run_established({.mode_name = "fullnat",
                                .mode = FwdMode::fullnat,
                                .flows = 1 << 20,
                                .at_first_byte = true},
                               kMin);
      }));
  add("fullnat-proxy-v2-first-segment", median3([&] {
        return run_established({.mode_name = "fullnat",
                                .mode = FwdMode::fullnat,
                                .flows = 1 << 20,
                                .proxy = lb::ProxyProto::v2,
                                .at_first_byte = true},
                               kMin);
      }));
  add("tun-ipip", median3([&] {
        return run_established({.mode_name = "tun", .mode = FwdMode::tun, .flows = 1 << 20}, kMin);
      }));
  add("dr-established-ipv6", median3([&] {
        return run_established(
            {.mode_name = "dr", .mode = FwdMode::dr, .flows = 1 << 20, .v6 = true}, kMin);
      }));
  return 0;
}

}  // namespace
}  // namespace gale::bench

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  // gale-bench one MODE FLOWS [both] [proxy-v1|proxy-v2] [first] [v6] [new [wlc]|churn]: one case,
  // for profiling (valgrind --tool=callgrind, bench/icount); `first`: every client
  // segment at its first payload byte; `new`: DR SYNs of FLOWS new connections (the first
  // GALE_BENCH_PACKETS of them); `churn`: the dr-churn case (FLOWS unused).
  if (args.size() >= 3 && args[0] == "one") {
    auto has = [&](std::string_view a) {
      return std::find(args.begin(), args.end(), a) != args.end();
    };
    const size_t packets =
        getenv("GALE_BENCH_PACKETS") ? std::stoul(getenv("GALE_BENCH_PACKETS")) : 1000000;
    if (has("churn")) {
      auto r = gale::bench::run_churn(packets);
      std::printf("dr churn: %.2f ns/packet\n", r.ns_per_packet);
      return 0;
    }
    if (has("new")) {
      auto r = gale::bench::run_new_flows(
          std::stoul(std::string(args[2])), packets,
          has("wlc") ? gale::lb::SchedKind::wlc : gale::lb::SchedKind::wrr);
      std::printf("dr new flows: %lu packets, %.2f ns/packet\n", r.flows, r.ns_per_packet);
      return 0;
    }
    const auto proxy = has("proxy-v2")   ? gale::lb::ProxyProto::v2
                       : has("proxy-v1") ? gale::lb::ProxyProto::v1
                                         : gale::lb::ProxyProto::none;
    using gale::lb::FwdMode;
    const std::string m(args[1]);
    const FwdMode mode = m == "nat"       ? FwdMode::nat
                         : m == "fullnat" ? FwdMode::fullnat
                         : m == "tun"     ? FwdMode::tun
                                          : FwdMode::dr;
    auto r = gale::bench::run_established({.mode_name = m.c_str(),
                                           .mode = mode,
                                           .flows = std::stoul(std::string(args[2])),
                                           .both_dirs = has("both"),
                                           .proxy = proxy,
                                           .at_first_byte = has("first"),
                                           .v6 = has("v6")},
                                          packets);
    std::printf("%s %s flows: %.2f ns/packet\n", m.c_str(), std::string(args[2]).c_str(),
                r.ns_per_packet);
    return 0;
  }
  const bool json = std::find(args.begin(), args.end(), "--json") != args.end();
  if (!args.empty() && args[0] == "floor2") {
    const size_t region = gale::bench::make_worker(1 << 20)->table_v4().memory_bytes();
    std::printf("floor-mem, 1 line: %.2f ns; bucket+entry: %.2f ns\n",
                gale::bench::run_floor_mem(region, 4000000).ns_per_packet,
                gale::bench::run_floor_mem2(region, 4000000));
    return 0;
  }
  if (!args.empty() && args[0] == "pipeline") return gale::bench::pipeline(json);
  std::fprintf(stderr, "usage: gale-bench pipeline [--json]\n");
  return 2;
}
