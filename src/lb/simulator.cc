#include "lb/simulator.h"

#include <algorithm>
#include <vector>

#include "lb/classify.h"
#include "lb/worker.h"
#include "net/ipv4.h"

namespace gale::lb {

namespace {

std::string proto_name(uint8_t proto) {
  switch (proto) {
    case net::kProtoTcp:
      return "tcp";
    case net::kProtoUdp:
      return "udp";
    default:
      return "proto " + std::to_string(proto);
  }
}

std::string endpoint(const net::IpAddr& addr, uint16_t port) {
  const std::string a(net::to_text(addr).view());
  return (addr.is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(port);
}

std::string service_name(const Service& svc) {
  const std::string what =
      svc.fwmark ? "fwmark " + std::to_string(svc.fwmark) : endpoint(svc.vip, svc.port);
  return what + "/" + proto_name(svc.proto) + " (" + to_string(svc.sched) + ")";
}

// Whether a service's pick can depend on a worker's state rather than on the tuple and the
// snapshot alone. sh, dh, mh and fo only read connection counts through overload marking,
// which needs an upper threshold.
bool pick_is_stateful(const Service& svc) {
  const bool thresholds =
      std::ranges::any_of(svc.dests, [](const SchedDest& d) { return d.u_threshold != 0; });
  switch (svc.sched) {
    case SchedKind::sh:
    case SchedKind::dh:
    case SchedKind::mh:
    case SchedKind::fo:
      return thresholds;
    default:
      return true;
  }
}

// The service the tuple is addressed to (by the worker's classifier: VIP or fwmark
// rule), with its index, or nullptr and a message.
const Service* find(const Snapshot& snap, const net::FiveTuple& t, size_t& index, SimResult& r) {
  const Classified c = classify_tuple(t, snap);
  if (c.cls != Class::forward) {
    r.explanation = "no virtual service " + endpoint(t.dst, t.dport) + "/" + proto_name(t.proto);
    return nullptr;
  }
  index = static_cast<size_t>(c.target);
  return &snap.services[index];
}

// Fills in the server a dest position names, and says so.
void picked(const Snapshot& snap, const Service& svc, int pos, std::string how, SimResult& r) {
  r.explanation = service_name(svc) + ": " + how;
  if (pos < 0 || static_cast<size_t>(pos) >= svc.dest_ids.size()) {
    r.rs_id = -1;
    r.explanation += " finds no available real server";
    return;
  }
  r.rs_id = svc.dest_ids[static_cast<size_t>(pos)];
  const RealServer& rs = snap.real_servers[static_cast<size_t>(r.rs_id)];
  r.explanation += " picks dest " + std::to_string(pos) + ": real server " +
                   std::to_string(r.rs_id) + " " + endpoint(rs.addr, rs.port ? rs.port : svc.port) +
                   " (" + to_string(rs.mode) + ", weight " +
                   std::to_string(svc.dests[static_cast<size_t>(pos)].weight) + ")";
}

// The scheduler as a fresh worker runs it: a new SchedState seeded as Worker::use seeds
// it, and zero connections on every server.
int schedule_fresh(const Service& svc, size_t index, const net::FiveTuple& t) {
  SchedState state(svc.sched, svc.dests.size(), Worker::sched_seed(WorkerConfig{}.seed, index));
  std::vector<DestLoad> loads(svc.dests.size());
  for (size_t i = 0; i < loads.size(); ++i)
    update_overload(svc.dests[i], loads[i]);
  return schedule(svc.sched, svc.sched_flags, svc.tables, svc.dests, loads, state, {t, 0});
}

}  // namespace

SimResult simulate_new_flow(const Snapshot& snap, const net::FiveTuple& tuple) {
  SimResult r;
  size_t index = 0;
  const Service* svc = find(snap, tuple, index, r);
  if (!svc) return r;
  r.stateful_pick = pick_is_stateful(*svc);
  picked(snap, *svc, schedule_fresh(*svc, index, tuple),
         r.stateful_pick ? "a fresh worker (no connections yet)" : "the scheduler's hash", r);
  return r;
}

SimResult simulate_adoption(const Snapshot& snap, const net::FiveTuple& tuple) {
  SimResult r;
  size_t index = 0;
  const Service* svc = find(snap, tuple, index, r);
  if (!svc) return r;
  // mh services adopt through their own table (the worker calls schedule()); the others
  // through the service's Maglev table, which needs no state.
  if (svc->sched == SchedKind::mh) {
    r.stateful_pick = pick_is_stateful(*svc);
    picked(snap, *svc, schedule_fresh(*svc, index, tuple), "mh's table", r);
    return r;
  }
  if (svc->maglev.empty()) {
    picked(snap, *svc, -1, "an empty Maglev table", r);
    return r;
  }
  const uint64_t h = flow_hash(tuple, snap.cluster_seed);
  const uint16_t pos = maglev_lookup(svc->maglev, h);
  picked(snap, *svc, pos == kNoBackend ? -1 : pos,
         "Maglev entry " + std::to_string(h % svc->maglev.size()) + " of " +
             std::to_string(svc->maglev.size()),
         r);
  return r;
}

}  // namespace gale::lb
