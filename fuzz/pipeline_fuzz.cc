// libFuzzer target for the whole worker pipeline: frames in, verdicts and rewritten
// frames out, through one real Snapshot (every forwarding mode and encapsulation, NAT
// and FullNAT replies, ICMP errors) and one Worker whose flow tables are small enough to
// fill, so the stateless full-table path runs too. The Worker lives across inputs, as it
// does in galed: flows created by one input are followed, replied to and expired by
// later ones.
//
// Input: one byte of clock step, then records of a 2-byte big-endian length (low 11
// bits) and that many frame bytes. Up to 16 frames make a batch; a zero length ends the
// batch early, and its top 5 bits, when not zero, name a reload published before the
// next batch (reload(): a server's mode, weight or encapsulation changes, a server or a
// FullNAT local address is removed or added back, a drained local address is freed).
// At most 4 batches per input; the clock advances by the step before the first and by
// 1 s before each later one. The seeds (fuzz/corpus/pipeline/) are written by
// make_seeds --pipeline, which knows the addresses configured below.
//
// ASan/UBSan catch bad memory and arithmetic; the invariants below catch frames that are
// wrong but in bounds: a tx frame outside its buffer, too short, that no longer parses or
// whose checksums the rewrite broke (checked with a plain RFC 1071 sum written here, not
// net/checksum); a frame handed to the kernel that was modified; a drop without a reason;
// counters that do not add up; a flow whose real server or local address id is not in
// the current snapshot (live or draining), or whose mode and flags disagree; per-server
// and per-local-address flow counts that differ from the tables' contents. A second
// worker without the short way for steady packets (Worker::steady) takes the same
// batches and snapshots: every frame, verdict and counter of the two must agree.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "lb/worker.h"
#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/l4.h"
#include "net/parse.h"

#include "fuzz_check.h"

namespace {

using namespace gale;
using lb::FwdMode;
using lb::TunEncap;

constexpr size_t kHeadroom = 256;
constexpr size_t kTailroom = 64;
constexpr size_t kMaxFrame = 2047;
constexpr int kMaxFramesPerBatch = 16;
constexpr int kMaxBatches = 4;
static_assert(kHeadroom >= lb::kMinHeadroom);

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}
net::MacAddr mac(const char* s) {
  return *net::parse_mac(s);
}

struct ServiceSpec {
  const char* vip;
  uint16_t port;
  uint8_t proto;
  lb::SchedKind sched;
};

struct RsSpec {
  size_t service;  // index in kServices
  const char* addr;
  FwdMode mode;
  TunEncap encap = TunEncap::ipip;
  uint16_t port = 0;
  int32_t weight = 1;
  uint16_t mtu = 1500;
};

// The configuration; fuzz/make_seeds.cc writes frames to these addresses.
constexpr ServiceSpec kServices[] = {
    {"192.0.2.10", 80, net::kProtoTcp, lb::SchedKind::wlc},
    {"192.0.2.10", 53, net::kProtoUdp, lb::SchedKind::sh},
    {"2001:db8::10", 80, net::kProtoTcp, lb::SchedKind::mh},
    {"2001:db8::10", 53, net::kProtoUdp, lb::SchedKind::rr},
};
// Every mode and encapsulation; TUN across families; NAT and FullNAT with and without a
// port of their own; a quiesced server; paths whose MTU a large frame exceeds.
constexpr RsSpec kServers[] = {
    {0, "10.1.0.1", FwdMode::dr},
    {0, "10.1.0.2", FwdMode::tun, TunEncap::ipip},
    {0, "10.1.0.3", FwdMode::tun, TunEncap::gue, 0, 2, 1400},
    {0, "2001:db8:1::4", FwdMode::tun, TunEncap::vxlan},
    {0, "10.1.0.5", FwdMode::nat, TunEncap::ipip, 8080},
    {0, "10.1.0.6", FwdMode::fullnat},
    {0, "10.1.0.7", FwdMode::dr, TunEncap::ipip, 0, 0},
    {1, "10.1.0.11", FwdMode::nat},
    {1, "10.1.0.12", FwdMode::nat, TunEncap::ipip, 5353},
    {1, "10.1.0.13", FwdMode::fullnat},
    {1, "10.1.0.14", FwdMode::tun, TunEncap::gue},
    {2, "2001:db8:1::21", FwdMode::dr},
    {2, "2001:db8:1::22", FwdMode::tun, TunEncap::ipip},
    {2, "2001:db8:1::23", FwdMode::tun, TunEncap::vxlan},
    {2, "2001:db8:1::24", FwdMode::nat},
    {2, "2001:db8:1::25", FwdMode::fullnat},
    {2, "10.1.0.26", FwdMode::tun, TunEncap::gue},             // TUN, and NAT64 FullNAT by reloads
    {2, "10.1.0.27", FwdMode::fullnat, TunEncap::ipip, 8080},  // NAT64 (lb/nat64.h)
    {3, "2001:db8:1::31", FwdMode::nat},
    {3, "2001:db8:1::32", FwdMode::fullnat, TunEncap::ipip, 5353},
    {3, "2001:db8:1::33", FwdMode::tun, TunEncap::ipip, 0, 1, 1280},
};

// Local addresses by stable id; ids 4 and 5 start free and are taken by reloads.
constexpr const char* kLaddrs[] = {"10.2.0.1",      "10.2.0.2", "2001:db8:2::1",
                                   "2001:db8:2::2", "10.2.0.3", "2001:db8:2::3"};
constexpr size_t kNumServers = sizeof kServers / sizeof kServers[0];
constexpr size_t kNumLaddrs = sizeof kLaddrs / sizeof kLaddrs[0];

// What reloads change: the config as a control plane would hold it.
struct Model {
  FwdMode mode[kNumServers];
  TunEncap encap[kNumServers];
  int32_t weight[kNumServers];
  bool present[kNumServers];
  enum class Laddr : uint8_t { free, live, draining } laddr[kNumLaddrs];
  uint64_t generation = 1;
  uint32_t turn = 0;  // rotates the target of each reload
};
Model g_model;

void reset_model() {
  Model& m = g_model;
  m = Model{};
  for (size_t i = 0; i < kNumServers; ++i) {
    m.mode[i] = kServers[i].mode;
    m.encap[i] = kServers[i].encap;
    m.weight[i] = kServers[i].weight;
    m.present[i] = true;
  }
  for (size_t i = 0; i < kNumLaddrs; ++i)
    m.laddr[i] = i < 4 ? Model::Laddr::live : Model::Laddr::free;
}

lb::Snapshot make_snapshot(const Model& m) {
  lb::Snapshot s;
  s.generation = m.generation;
  s.links.push_back({.mac = mac("02:00:00:00:00:01"), .gateway_mac = mac("02:00:00:00:00:fe")});
  s.links.push_back({.mac = mac("02:00:00:00:00:02"), .gateway_mac = mac("02:00:00:00:01:fe")});
  s.client_link = 0;
  s.tunnel = {
      .src_v4 = ip("10.3.0.1").v4(), .src_v6 = ip("2001:db8:3::1").v6(), .src_v4_spread_bits = 4};
  size_t nladdrs = 0;
  for (size_t i = 0; i < kNumLaddrs; ++i)
    if (m.laddr[i] != Model::Laddr::free) nladdrs = i + 1;
  for (size_t i = 0; i < nladdrs; ++i) {
    s.fullnat.laddrs.push_back(m.laddr[i] == Model::Laddr::free ? net::IpAddr{} : ip(kLaddrs[i]));
    s.fullnat.live.push_back(m.laddr[i] == Model::Laddr::live);
  }
  s.maglev_size = 251;

  for (const ServiceSpec& spec : kServices)
    s.services.push_back(
        {.vip = ip(spec.vip), .port = spec.port, .proto = spec.proto, .sched = spec.sched});
  for (size_t id = 0; id < kNumServers; ++id) {
    const RsSpec& r = kServers[id];
    lb::RealServer rs{.addr = ip(r.addr),
                      .port = r.port,
                      .mode = m.mode[id],
                      .encap = m.encap[id],
                      .mac = mac("02:00:00:01:00:00"),
                      .inner_mac = mac("02:00:00:02:00:00"),
                      .out_link = 1,
                      .mtu = r.mtu,
                      .service = static_cast<uint32_t>(r.service),
                      .live = m.present[id]};
    rs.mac.b[5] = static_cast<uint8_t>(id);
    s.real_servers.push_back(rs);
    if (!m.present[id]) continue;  // removed: kept by id while its flows drain
    lb::Service& svc = s.services[r.service];
    svc.dests.push_back(
        {.addr = rs.addr, .port = r.port ? r.port : svc.port, .weight = m.weight[id]});
    svc.dest_ids.push_back(static_cast<uint16_t>(id));
  }
  if (!s.finalize()) __builtin_trap();  // the model only makes valid configs
  return s;
}

// The modes server id may take: its own family as the VIP's and no port of its own:
// any; a port of its own: the NAT modes; another family: DR (same family only) and TUN,
// and FullNAT for an IPv4 server of an IPv6 VIP (NAT64; with a port of its own, only it).
FwdMode next_mode(size_t id, FwdMode now) {
  const RsSpec& r = kServers[id];
  const bool same_family = ip(r.addr).family == ip(kServices[r.service].vip).family;
  const bool nat64 = ip(kServices[r.service].vip).is_v6() && ip(r.addr).is_v4();
  if (!same_family && r.port) return FwdMode::fullnat;
  if (!same_family) return nat64 && now == FwdMode::tun ? FwdMode::fullnat : FwdMode::tun;
  if (r.port) return now == FwdMode::nat ? FwdMode::fullnat : FwdMode::nat;
  return static_cast<FwdMode>((static_cast<int>(now) + 1) % 4);
}

std::unique_ptr<lb::Worker> g_worker;
std::unique_ptr<lb::Worker> g_general;  // the same, with WorkerConfig::steady off
std::unique_ptr<lb::Snapshot> g_snap;
uint32_t g_now = 1000;

const lb::Snapshot& snapshot() {
  return *g_snap;
}

// Applies reload `op` (1..31) to the model and publishes the new snapshot.
void reload(uint8_t op) {
  Model& m = g_model;
  const size_t id = (op / 8 + m.turn++) % kNumServers;
  const size_t li = (op / 8 + m.turn) % kNumLaddrs;
  switch (op % 8) {
    case 0:
      m.mode[id] = next_mode(id, m.mode[id]);
      break;
    case 1:
      m.weight[id] = op / 8;
      break;
    case 2:
    case 3:
      m.present[id] = op % 8 == 3;
      break;
    case 4:  // remove a local address: the first of each family stays, so FullNAT works
      if (li != 0 && li != 2 && m.laddr[li] == Model::Laddr::live)
        m.laddr[li] = Model::Laddr::draining;
      break;
    case 5:
      m.laddr[li] = Model::Laddr::live;
      break;
    case 6:  // free the ids whose flows have drained, as galed would
      for (size_t i = 0; i < kNumLaddrs; ++i)
        if (m.laddr[i] == Model::Laddr::draining && g_worker->laddr_flows()[i] == 0)
          m.laddr[i] = Model::Laddr::free;
      break;
    case 7:
      m.encap[id] = static_cast<TunEncap>((static_cast<int>(m.encap[id]) + 1) % 3);
      break;
  }
  ++m.generation;
  auto next = std::make_unique<lb::Snapshot>(make_snapshot(m));
  g_worker->use(next.get());  // the workers no longer read the old one
  g_general->use(next.get());
  g_snap = std::move(next);
}

void new_worker() {
  reset_model();
  g_snap = std::make_unique<lb::Snapshot>(make_snapshot(g_model));
  g_worker = std::make_unique<lb::Worker>(lb::WorkerConfig{.flows_v4 = 256, .flows_v6 = 64});
  g_worker->use(g_snap.get());
  g_general = std::make_unique<lb::Worker>(
      lb::WorkerConfig{.flows_v4 = 256, .flows_v6 = 64, .steady = false});
  g_general->use(g_snap.get());
  g_now = 1000;
}

// RFC 1071, the plain way: 16-bit big-endian words summed with end-around carry.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i < n; i += 2) {
    sum += static_cast<uint32_t>(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return sum;
}
uint16_t fold(uint32_t sum) {
  while (sum > 0xffff)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// True when the IPv4 header checksum verifies (IPv6 has none).
bool ip_checksum_ok(const uint8_t* frame, const net::ParsedPacket& pp) {
  if (pp.family != net::Family::v4) return true;
  return fold(sum16(frame + pp.l3_off, pp.l4_off - pp.l3_off)) == 0xffff;
}

// True when the L4 checksum verifies, or cannot be verified (fragments, other protocols).
// A zero UDP checksum means "none" in IPv4, and in IPv6 only on tunnels (RFC 6935): a
// received one is taken as wrong, a sent one (an encapsulation's) as right.
bool l4_checksum_ok(const uint8_t* frame, const net::ParsedPacket& pp, bool sent) {
  if (pp.family == net::Family::none || !pp.has(net::kFlagL4) || pp.has(net::kFlagFragment))
    return true;
  const uint8_t* l3 = frame + pp.l3_off;
  const uint8_t* l4 = frame + pp.l4_off;
  const size_t len = pp.l3_end - pp.l4_off;
  uint32_t sum = 0;
  switch (pp.proto) {
    case net::kProtoTcp:
    case net::kProtoUdp:
    case net::kProtoIcmpv6:
      if (pp.proto == net::kProtoUdp && net::load_be16(l4 + 6) == 0)
        return sent || pp.family == net::Family::v4;
      // The pseudo-header: addresses, protocol, L4 length.
      sum = pp.family == net::Family::v4 ? sum16(l3 + 12, 8) : sum16(l3 + 8, 32);
      sum += pp.proto + static_cast<uint32_t>(len & 0xffff) + static_cast<uint32_t>(len >> 16);
      break;
    case net::kProtoIcmp:
      break;
    default:
      return true;
  }
  return fold(sum16(l4, len, fold(sum))) == 0xffff;
}

// One received frame in its own heap buffer, so that ASan sees a write past either end.
struct Frame {
  std::unique_ptr<uint8_t[]> buf;
  size_t size = 0;
  std::vector<uint8_t> in;  // the bytes received
  bool in_parsed = false;
  bool in_ip_ok = false, in_l4_ok = false;
};

void check_output(const lb::Packet& p, const Frame& f) {
  const uint8_t* start = f.buf.get();
  const uint8_t* end = start + f.size;
  switch (p.verdict) {
    case lb::Verdict::tx: {
      CHECK(p.drop_reason == lb::Drop::none);
      CHECK(p.data >= start && p.data <= end);
      CHECK(p.len <= static_cast<size_t>(end - p.data));
      CHECK(p.headroom == p.data - start);
      CHECK(p.len >= net::kEthHeaderLen);
      CHECK(p.link < snapshot().links.size());
      net::ParsedPacket pp;
      const net::ParseError e = net::parse({p.data, p.len}, pp);
      // A NAT hairpin (the client is a real server, or the reply's client the VIP)
      // leaves src == dst, which the receiver's kernel refuses, as from IPVS.
      if (e == net::ParseError::ipv4_martian_src) break;
      CHECK(e == net::ParseError::ok);
      // A rewrite keeps checksums that were right right (NAT updates them
      // incrementally; encapsulation and ICMP answers compute new ones).
      if (f.in_ip_ok) CHECK(ip_checksum_ok(p.data, pp));
      if (f.in_ip_ok && f.in_l4_ok) CHECK(l4_checksum_ok(p.data, pp, true));
      break;
    }
    case lb::Verdict::to_kernel:
      // The host stack gets the frame as it arrived.
      CHECK(p.drop_reason == lb::Drop::none);
      CHECK(p.data == start + kHeadroom && p.len == f.in.size());
      CHECK(std::memcmp(p.data, f.in.data(), p.len) == 0);
      break;
    case lb::Verdict::drop:
      CHECK(p.drop_reason != lb::Drop::none);
      CHECK(static_cast<int>(p.drop_reason) < lb::kDropCount);
      break;
    case lb::Verdict::handoff:
      __builtin_trap();  // the only worker owns every flow
    default:
      __builtin_trap();
  }
}

void check_counters(const lb::WorkerCounters& c) {
  uint64_t dropped = 0;
  for (uint64_t d : c.drops)
    dropped += d;
  CHECK(c.drops[static_cast<int>(lb::Drop::none)] == 0);
  CHECK(c.handed_off == 0);
  CHECK(c.rx == c.tx + c.to_kernel + dropped);
}

// Every live flow refers to what the current snapshot has (live or draining), its mode
// agrees with its flags, and the worker's per-server and per-local-address flow counts
// are what the tables hold.
template <typename Key>
void count_flows(const lb::FlowTable<Key>& t, std::vector<uint64_t>& rs, uint64_t* laddr) {
  const lb::Snapshot& snap = snapshot();
  uint32_t used = 0;
  for (uint32_t i = 0; i < t.capacity(); ++i) {
    const lb::FlowEntry<Key>& e = t.entry(i);
    if (e.state == 0) continue;
    ++used;
    CHECK(e.rs < snap.real_servers.size());
    if (e.flags & lb::kFlowTemplate) continue;
    ++rs[e.rs];
    CHECK(e.mode <= static_cast<uint8_t>(FwdMode::fullnat));
    const bool fullnat = (e.flags & lb::kFlowFullNat) != 0;
    CHECK(fullnat == (e.mode == static_cast<uint8_t>(FwdMode::fullnat)));
    CHECK(((e.flags & lb::kFlowHasReply) != 0) ==
          (fullnat || e.mode == static_cast<uint8_t>(FwdMode::nat)));
    if (!fullnat) continue;
    CHECK(e.laddr < snap.fullnat.laddrs.size());
    CHECK(snap.fullnat.laddrs[e.laddr].family == snap.real_servers[e.rs].addr.family);
    CHECK(e.lport >= snap.fullnat.port_lo && e.lport <= snap.fullnat.port_hi);
    ++laddr[e.laddr];
  }
  CHECK(used == t.used());
}

void check_flows() {
  std::vector<uint64_t> rs(snapshot().real_servers.size());
  uint64_t laddr[256] = {};
  count_flows(g_worker->table_v4(), rs, laddr);
  count_flows(g_worker->table_v6(), rs, laddr);
  const auto rc = g_worker->rs_counters();
  for (size_t id = 0; id < rs.size(); ++id)
    CHECK(id < rc.size() && rc[id].flows == rs[id]);
  for (size_t id = 0; id < 256; ++id)
    CHECK(g_worker->laddr_flows()[id] == laddr[id]);
}

void run_batch(std::vector<Frame>& frames) {
  lb::Batch batch;
  batch.count = static_cast<uint16_t>(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    Frame& f = frames[i];
    batch.pkts[i] = lb::Packet{.data = f.buf.get() + kHeadroom,
                               .len = static_cast<uint16_t>(f.in.size()),
                               .headroom = static_cast<uint16_t>(kHeadroom),
                               .link = static_cast<uint16_t>(i & 1)};
  }
  // The general way's copy of the batch, in buffers of its own.
  std::vector<std::unique_ptr<uint8_t[]>> copies;
  lb::Batch general = batch;
  for (size_t i = 0; i < frames.size(); ++i) {
    copies.push_back(std::make_unique<uint8_t[]>(frames[i].size));
    std::memcpy(copies[i].get(), frames[i].buf.get(), frames[i].size);
    general.pkts[i].data = copies[i].get() + kHeadroom;
  }
  const lb::WorkerCounters before = g_worker->counters();
  g_worker->process(batch, g_now);
  g_general->process(general, g_now);
  const lb::WorkerCounters& after = g_worker->counters();
  CHECK(after.rx == before.rx + frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    check_output(batch.pkts[i], frames[i]);
    const lb::Packet& a = batch.pkts[i];
    const lb::Packet& b = general.pkts[i];
    CHECK(a.verdict == b.verdict && a.drop_reason == b.drop_reason && a.len == b.len &&
          a.link == b.link && a.owner == b.owner && a.headroom == b.headroom);
    CHECK(a.data - frames[i].buf.get() == b.data - copies[i].get());
    CHECK(std::memcmp(a.data, b.data, a.len) == 0);
  }
  CHECK(std::memcmp(&after, &g_general->counters(), sizeof after) == 0);
  for (size_t id = 0; id < g_worker->rs_counters().size(); ++id) {
    const lb::RsCounters& x = g_worker->rs_counters()[id];
    const lb::RsCounters& y = g_general->rs_counters()[id];
    CHECK(x.conns == y.conns && x.flows == y.flows && x.active == y.active &&
          x.in_pkts == y.in_pkts && x.out_pkts == y.out_pkts && x.in_bytes == y.in_bytes &&
          x.out_bytes == y.out_bytes);
  }
  for (size_t id = 0; id < 256; ++id)
    CHECK(g_worker->laddr_flows()[id] == g_general->laddr_flows()[id]);
  check_counters(after);
  CHECK(g_worker->table_v4().used() <= 256 && g_worker->table_v6().used() <= 64);
  check_flows();
  frames.clear();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  new_worker();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // Worker clocks count seconds from start and never wrap in practice; keep it so.
  if (g_now > (1u << 30)) new_worker();
  g_now += data[0];
  size_t off = 1;
  int batches = 0;
  std::vector<Frame> frames;
  while (off + 2 <= size && batches < kMaxBatches) {
    size_t len = (static_cast<size_t>(data[off]) << 8 | data[off + 1]) & kMaxFrame;
    const uint8_t op = data[off] >> 3;
    off += 2;
    if (len > size - off) len = size - off;
    if (len == 0) {
      if (!frames.empty()) {
        run_batch(frames);
        ++batches;
        g_now += 1;
      }
      if (op) reload(op);
      continue;
    }
    Frame f;
    f.size = kHeadroom + len + kTailroom;
    f.buf = std::make_unique<uint8_t[]>(f.size);
    f.in.assign(data + off, data + off + len);
    std::memcpy(f.buf.get() + kHeadroom, data + off, len);
    off += len;
    net::ParsedPacket pp;
    f.in_parsed = net::parse({f.in.data(), f.in.size()}, pp) == net::ParseError::ok;
    f.in_ip_ok = f.in_parsed && ip_checksum_ok(f.in.data(), pp);
    f.in_l4_ok = f.in_parsed && l4_checksum_ok(f.in.data(), pp, false);
    frames.push_back(std::move(f));
    if (frames.size() == kMaxFramesPerBatch) {
      run_batch(frames);
      ++batches;
      g_now += 1;
    }
  }
  if (!frames.empty() && batches < kMaxBatches) run_batch(frames);
  return 0;
}
