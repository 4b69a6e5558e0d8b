// gale-workers-bench: W workers through the real Dataplane (threads, hand-off lanes,
// QSBR) on the in-memory backend, which copies each received frame into a worker buffer
// as AF_PACKET does. It answers what the single-worker pipeline benchmark cannot: what
// a second worker adds, and what handing frames between workers costs.
//
// Traffic: FLOWS UDP flows to a DR service (established after their first datagram),
// replayed for SECONDS per case. Cases:
//   one-worker           W = 1, every frame on its queue;
//   two-workers-one-queue  W = 2, every frame arrives at worker 0 (a veth with one
//                        queue): the frames of worker 1's flows are handed over;
//   two-workers-spread   W = 2, each frame arrives at a worker chosen by a hash that
//                        knows nothing of gale's owners (RSS without owner steering):
//                        about half are handed over.
//   two-workers-owned    W = 2, each frame arrives at its owner (steering that knows the
//                        owners): none are handed over.
// Per case: forwarded packets/s, the share of frames handed to another worker, hand-off
// drops (an owner's ring full), and the CPU time of the workers per forwarded packet.
//
//   gale-workers-bench [--json] [FLOWS [SECONDS]]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/qsbr.h"
#include "io/dataplane.h"
#include "io/memory_io.h"
#include "lb/ownership.h"
#include "lb/worker.h"
#include "net/ipv4.h"
#include "net/l4.h"
#include "packet_builder.h"

namespace gale::bench {
namespace {

using io::Dataplane;
using io::MemoryIo;

net::IpAddr ip(const std::string& s) {
  return *net::parse_ip(s);
}
net::MacAddr mac(const char* s) {
  return *net::parse_mac(s);
}

std::unique_ptr<lb::Snapshot> make_snapshot() {
  auto s = std::make_unique<lb::Snapshot>();
  s->generation = 1;
  s->links.push_back({.mac = mac("02:00:00:00:00:01"), .gateway_mac = mac("02:00:00:00:00:fe")});
  lb::Service svc{
      .vip = ip("192.0.2.10"), .port = 53, .proto = net::kProtoUdp, .sched = lb::SchedKind::wrr};
  for (uint16_t i = 0; i < 3; ++i) {
    const net::IpAddr a = net::Ipv4Addr{0x0a010001u + i};
    s->real_servers.push_back(
        {.addr = a, .mode = lb::FwdMode::dr, .mac = mac("02:00:00:00:01:01")});
    svc.dests.push_back({.addr = a, .port = 53, .weight = 1});
    svc.dest_ids.push_back(i);
  }
  s->services.push_back(svc);
  s->timeouts.udp = 1u << 30;  // nothing expires during a run
  if (!s->finalize()) std::abort();
  return s;
}

struct Flow {
  std::vector<uint8_t> frame;
  uint16_t owner;   // of two workers
  uint32_t spread;  // a hash unrelated to the owner
};

std::vector<Flow> make_flows(size_t n, const lb::Worker& two) {
  std::vector<Flow> flows;
  for (size_t i = 0; i < n; ++i) {
    const std::string client =
        "198.51." + std::to_string(100 + i / 60000 % 100) + "." + std::to_string(1 + i / 250 % 240);
    const auto port = static_cast<uint16_t>(1024 + i % 250 * 200 + i % 7);
    const net::IpAddr c = ip(client);
    flows.push_back({.frame = test::PacketBuilder()
                                  .eth("02:00:00:00:00:aa", "02:00:00:00:00:01")
                                  .ipv4(client, "192.0.2.10")
                                  .udp(port, 53)
                                  .payload("0123456789abcdef0123")
                                  .build(),
                     .owner = two.owner_of_client(c, port),
                     .spread = static_cast<uint32_t>((i * 0x9e3779b1u) >> 31)});
  }
  return flows;
}

enum class Arrival { one_queue, spread, owned };

struct Result {
  std::string name;
  int workers = 0;
  double mpps = 0;
  double handoff_share = 0;
  uint64_t handoff_dropped = 0;
  double cpu_ns_per_packet = 0;
};

double process_cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Result run(const char* name, int workers, Arrival arrival, const std::vector<Flow>& flows,
           double seconds) {
  Qsbr<lb::Snapshot> snaps(static_cast<size_t>(workers));
  snaps.publish(make_snapshot());
  io::DataplaneConfig cfg{.worker = {.flows_v4 = 1u << 20, .flows_v6 = 64},
                          .workers = static_cast<uint16_t>(workers),
                          .cpus = workers == 1 ? std::vector<int>{1} : std::vector<int>{0, 1}};
  auto queue_of = [&](const Flow& f) -> int {
    if (workers == 1 || arrival == Arrival::one_queue) return 0;
    return arrival == Arrival::owned ? f.owner : static_cast<int>(f.spread);
  };
  auto tx = [](const std::vector<io::WorkerReport>& rs) {
    uint64_t n = 0;
    for (const auto& r : rs)
      n += r.counters.tx;
    return n;
  };
  Dataplane dp(cfg, snaps, [&](uint16_t w) {
    auto io = std::make_unique<MemoryIo>(io::MemoryIoConfig{.capture = false, .repeat = true});
    for (const Flow& f : flows)
      if (queue_of(f) == w) io->inject(0, f.frame);
    return io;
  });
  // Warm up (every flow created), then measure over `seconds`.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto r0 = dp.reports();
  const double cpu0 = process_cpu_s();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const auto r1 = dp.reports();
  const double cpu1 = process_cpu_s();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  dp.stop();
  uint64_t rx = 0, handed = 0, dropped = 0;
  for (size_t w = 0; w < r1.size(); ++w) {
    rx += r1[w].counters.rx - r0[w].counters.rx - (r1[w].handoff_in - r0[w].handoff_in);
    handed += r1[w].handoff_out - r0[w].handoff_out;
    dropped += r1[w].handoff_dropped - r0[w].handoff_dropped;
  }
  const uint64_t sent = tx(r1) - tx(r0);
  return {.name = name,
          .workers = workers,
          .mpps = static_cast<double>(sent) / wall / 1e6,
          .handoff_share = rx ? static_cast<double>(handed) / static_cast<double>(rx) : 0,
          .handoff_dropped = dropped,
          .cpu_ns_per_packet = sent ? (cpu1 - cpu0) * 1e9 / static_cast<double>(sent) : 0};
}

}  // namespace
}  // namespace gale::bench

int main(int argc, char** argv) {
  using namespace gale::bench;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  bool json = false;
  std::vector<std::string> nums;
  for (auto a : args) {
    if (a == "--json")
      json = true;
    else
      nums.emplace_back(a);
  }
  const size_t flows = nums.size() > 0 ? std::stoul(nums[0]) : 4096;
  const double seconds = nums.size() > 1 ? std::stod(nums[1]) : 3.0;
  gale::lb::Worker two({.flows_v4 = 64, .flows_v6 = 64, .count = 2});
  const auto fl = make_flows(flows, two);
  const Result results[] = {
      run("one-worker", 1, Arrival::one_queue, fl, seconds),
      run("two-workers-one-queue", 2, Arrival::one_queue, fl, seconds),
      run("two-workers-spread", 2, Arrival::spread, fl, seconds),
      run("two-workers-owned", 2, Arrival::owned, fl, seconds),
  };
  for (const Result& r : results) {
    if (json)
      std::printf(
          "{\"case\":\"%s\",\"workers\":%d,\"flows\":%zu,\"mpps\":%.3f,\"handoff_share\":%.3f,"
          "\"handoff_dropped\":%lu,\"cpu_ns_per_packet\":%.1f}\n",
          r.name.c_str(), r.workers, flows, r.mpps, r.handoff_share, r.handoff_dropped,
          r.cpu_ns_per_packet);
    else
      std::printf(
          "%-24s %d worker(s) %8.3f Mpps  handed over %5.1f%%  hand-off drops %lu  CPU %.1f "
          "ns/packet\n",
          r.name.c_str(), r.workers, r.mpps, 100 * r.handoff_share, r.handoff_dropped,
          r.cpu_ns_per_packet);
  }
  return 0;
}
