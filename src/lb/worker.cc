#include "lb/worker.h"

#include <algorithm>
#include <cstring>

#include "lb/classify.h"
#include "lb/icmp_relay.h"
#include "lb/nat64.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/l4.h"

namespace gale::lb {

using net::Family;

Worker::Worker(const WorkerConfig& cfg)
    : cfg_(cfg),
      flows_(cfg.flows_v4, cfg.flows_v6, cfg.seed),
      t4_(&flows_.table<FlowKeyV4>()),
      t6_(&flows_.table<FlowKeyV6>()),
      shard_owner_(even_shards(cfg.count)) {
  if (cfg.shard_owner.size() == kShards)
    for (uint32_t sh = 0; sh < kShards; ++sh)
      shard_owner_[sh] = cfg.shard_owner[sh] < cfg.count ? cfg.shard_owner[sh] : 0;
}

Worker::~Worker() = default;

void Worker::use(const Snapshot* snap) {
  snap_ = snap;
  flows_.use(snap);
  if (!snap || snap->generation == generation_) return;
  generation_ = snap->generation;

  // Connection counts follow real servers across reloads, by stable id.
  std::vector<DestLoad> by_id(snap->real_servers.size());
  for (const ServiceState& old : services_)
    for (size_t pos = 0; pos < old.ids.size(); ++pos)
      if (old.ids[pos] < by_id.size()) by_id[old.ids[pos]] = old.loads[pos];
  std::vector<ServiceState> fresh(snap->services.size());
  for (size_t si = 0; si < snap->services.size(); ++si) {
    const Service& svc = snap->services[si];
    ServiceState& ss = fresh[si];
    // An unchanged service keeps its scheduler state: a publish about another service
    // must not restart rr's rotation or empty lblc's cache.
    for (ServiceState& old : services_) {
      if (old.sched && old.content_hash == svc.content_hash && old.ids == svc.dest_ids) {
        ss.sched = std::move(old.sched);
        break;
      }
    }
    if (!ss.sched)
      ss.sched =
          std::make_unique<SchedState>(svc.sched, svc.dests.size(), sched_seed(cfg_.seed, si));
    ss.content_hash = svc.content_hash;
    ss.ids = svc.dest_ids;
    ss.loads.resize(svc.dests.size());
    for (size_t pos = 0; pos < svc.dest_ids.size(); ++pos) {
      if (svc.dest_ids[pos] < by_id.size()) ss.loads[pos] = by_id[svc.dest_ids[pos]];
      update_overload(svc.dests[pos], ss.loads[pos]);
    }
  }
  services_ = std::move(fresh);
  if (rs_counters_.size() < snap->real_servers.size())
    rs_counters_.resize(snap->real_servers.size());
  lports_.use(*snap, cfg_.id, shard_owner_);
  if (std::any_of(snap->real_servers.begin(), snap->real_servers.end(), [](const RealServer& rs) {
        return rs.mode == FwdMode::fullnat && (rs.proxy != ProxyProto::none || rs.toa);
      }))
    ensure_proxy_states();
}

void Worker::ensure_proxy_states() {
  if (!proxy4_.empty()) return;
  proxy4_.resize(t4_->capacity());
  proxy6_.resize(t6_->capacity());
}

void Worker::finish(Packet& p, const Outcome& o) {
  p.verdict = o.verdict;
  p.drop_reason = o.drop;
  if (o.verdict == Verdict::tx)
    ++counters_.tx;
  else if (o.verdict == Verdict::drop)
    ++counters_.drops[static_cast<int>(o.drop)];
  else
    ++counters_.to_kernel;
}

void Worker::drop(Packet& p, Drop d) {
  finish(p, Outcome::dropped(d));
}

void Worker::count_in(uint16_t rs_id, uint32_t bytes) {
  RsCounters& c = rs_counters_[rs_id];
  ++c.in_pkts;
  c.in_bytes += bytes;
}

void Worker::set_state(uint8_t& flags, uint8_t& state, ConnState next, uint16_t rs_id) {
  if (static_cast<uint8_t>(next) == state) return;
  state = static_cast<uint8_t>(next);
  const bool was = (flags & kFlowActive) != 0;
  if (was == is_active(next)) return;
  flags = static_cast<uint8_t>(was ? flags & ~kFlowActive : flags | kFlowActive);
  if (flags & kFlowMirror) return;  // the worker with the forward direction counts it
  if (!(flags & kFlowTemplate) && rs_id < rs_counters_.size()) {
    if (was)
      --rs_counters_[rs_id].active;
    else
      ++rs_counters_[rs_id].active;
  }
  const RealServer& rs = snap_->real_servers[rs_id];
  if (!rs.live || rs.service >= services_.size()) return;
  DestLoad& l = services_[rs.service].loads[rs.pos];
  if (was)
    deactivate_conn(l);
  else
    activate_conn(l);
  update_overload(snap_->services[rs.service].dests[rs.pos], l);
}

template <typename Key>
void Worker::remove_flow(uint32_t idx) {
  FlowTable<Key>& t = flows_.table<Key>();
  flows_.unindex<Key>(idx);
  const FlowEntry<Key>& e = t.entry(idx);
  if (!(e.flags & kFlowTemplate) && e.rs < rs_counters_.size()) {
    --rs_counters_[e.rs].flows;
    if ((e.flags & kFlowActive) && !(e.flags & kFlowMirror)) --rs_counters_[e.rs].active;
  }
  if (e.flags & kFlowFullNat) --laddr_flows_[e.laddr];
  if (e.rs < snap_->real_servers.size() && !(e.flags & (kFlowTemplate | kFlowMirror))) {
    const RealServer& rs = snap_->real_servers[e.rs];
    if (rs.live && rs.service < services_.size()) {
      unbind_conn(snap_->services[rs.service].dests[rs.pos], services_[rs.service].loads[rs.pos],
                  (e.flags & kFlowActive) != 0);
    }
  }
  t.release(idx);
  ++counters_.flows_expired;
}

int Worker::adopt_pick(const Service& svc, const net::FiveTuple& t) {
  if (svc.maglev.empty()) return -1;
  const uint16_t pos = maglev_lookup(svc.maglev, flow_hash(t, snap_->cluster_seed));
  return pos == kNoBackend ? -1 : pos;
}

// Classifies a frame. True when it needs the flow table (then its bucket is prefetched);
// otherwise its verdict is already set.
bool Worker::classify(Packet& p, Slot& s, uint32_t now_s) {
  net::ParsedPacket& pp = s.pp;
  int64_t service = -1;
  const bool fast = classify_fast({p.data, p.len}, *snap_, pp, service);
  if (GALE_LIKELY(service >= 0)) {
    if (cfg_.count > 1) {
      const uint16_t owner = owner_of_conn(snap_->services[static_cast<size_t>(service)],
                                           pp.tuple.src, pp.tuple.sport);
      if (owner != cfg_.id) {
        p.verdict = Verdict::handoff;
        p.owner = owner;
        ++counters_.handed_off;
        return false;
      }
    }
    s.kind = Kind::forward;
    s.target = static_cast<int32_t>(service);
    s.k4 = key_of<FlowKeyV4>(pp.tuple);
    s.hash = t4_->hash(s.k4);
    s.home = t4_->home(s.hash);
    t4_->prefetch_bucket(s.home);
    return true;
  }
  const Classified c =
      fast ? classify_tuple(pp.tuple, *snap_) : lb::classify({p.data, p.len}, *snap_, pp);
  if (c.cls == Class::to_kernel) {
    finish(p, {Verdict::to_kernel});
    return false;
  }
  if (c.cls == Class::drop) {
    drop(p, c.drop);
    return false;
  }
  // The owner from what both directions compute; for an ICMP error, that of the
  // connection its quote is about (c.flow), so the error reaches the flow it is about.
  if (cfg_.count > 1) {
    const net::FiveTuple& t = c.flow;
    const Snapshot& snap = *snap_;
    uint16_t owner;
    if (c.cls == Class::forward) {
      owner = owner_of_conn(snap.services[static_cast<size_t>(c.target)], t.src, t.sport);
    } else if (c.cls == Class::reply_nat) {
      const uint32_t si = snap.real_servers[static_cast<size_t>(c.target)].service;
      owner = si < snap.services.size() ? owner_of_conn(snap.services[si], t.dst, t.dport)
                                        : owner_of_client(t.dst, t.dport);
    } else {
      owner = owner_of_local_port(t.dport);
    }
    if (owner != cfg_.id) {
      p.verdict = Verdict::handoff;
      p.owner = owner;
      ++counters_.handed_off;
      return false;
    }
  }
  if (GALE_UNLIKELY(c.icmp_error)) {
    handle_icmp_error(p, pp, now_s);
    return false;
  }
  s.kind = c.cls == Class::forward     ? Kind::forward
           : c.cls == Class::reply_nat ? Kind::reply_nat
                                       : Kind::reply_fullnat;
  s.target = c.target;
  if (pp.family == Family::v4) {
    s.k4 = key_of<FlowKeyV4>(pp.tuple);
    s.hash = t4_->hash(s.k4);
    s.home = t4_->home(s.hash);
    t4_->prefetch_bucket(s.home);
  } else {
    s.k6 = key_of<FlowKeyV6>(pp.tuple);
    s.hash = t6_->hash(s.k6);
    s.home = t6_->home(s.hash);
    t6_->prefetch_bucket(s.home);
  }
  return true;
}

// Looks up and acts on the batch's flow frames in one pass, fetching ahead: the entry of
// frame k + kAhead is prefetched while frame k is handled, so its memory latency hides
// behind kAhead frames of work (the buckets were prefetched during classify).
template <typename Key>
void Worker::act_stage(Batch& batch, std::span<const uint8_t> idx, uint32_t now_s) {
  constexpr size_t kAhead = 8;
  FlowTable<Key>& t = flows_.table<Key>();
  // A config with PROXY or TOA connections: their 8-byte state sits in a side array,
  // another random line, fetched with the entry.
  const ProxyState* side = proxy_states<Key>().empty() ? nullptr : proxy_states<Key>().data();
  auto fetch = [&](size_t k) {
    Slot& s = slots_[idx[k]];
    s.ref = t.first_candidate(s.home, s.hash);
    t.prefetch_entry(s.ref);
    if (side && s.ref != kNoRef) prefetch(side + ref_entry(s.ref));
  };
  const size_t n = idx.size();
  for (size_t k = 0; k < std::min(kAhead, n); ++k)
    fetch(k);
  for (size_t k = 0; k < n; ++k) {
    if (k + kAhead < n) fetch(k + kAhead);
    Packet& p = batch.pkts[idx[k]];
    Slot& s = slots_[idx[k]];
    const uint32_t ref =
        flows_.find(s.template key<Key>(), s.home, s.hash, s.kind != Kind::forward);
    if (GALE_LIKELY(ref != kNoRef) && steady<Key>(p, s, t.entry(ref_entry(ref)), now_s)) continue;
    act<Key>(p, s, ref, now_s);
  }
}

// An IPv4 reply to a local address that no IPv4 flow knows: NAT64 connections keep
// their reply key, the server's IPv4 tuple, in the IPv6 table (lb/flow_key.h).
void Worker::act_nat64_reply(Packet& p, Slot& s, uint32_t now_s) {
  const net::FiveTuple& t = s.pp.tuple;
  s.k6 = nat64_key(t.src, t.sport, t.dst, t.dport, t.proto);
  s.hash = t6_->hash(s.k6);
  s.home = t6_->home(s.hash);
  act<FlowKeyV6>(p, s, flows_.find(s.k6, s.home, s.hash, true), now_s);
}

// A client's new SYN on a connection that is closing or closed (the client reused its
// port) starts a new connection, scheduled afresh: IPVS's conn_reuse_mode=1.
inline bool reuses_closed(const net::ParsedPacket& pp, ConnState st) {
  if (pp.proto != net::kProtoTcp || (pp.tcp_flags & (net::kTcpSyn | net::kTcpAck)) != net::kTcpSyn)
    return false;
  return st == ConnState::time_wait || st == ConnState::close || st == ConnState::fin_wait ||
         st == ConnState::close_wait || st == ConnState::last_ack;
}

// IPVS's expire_nodest_conn: a client packet of a connection whose server left the pool
// ends the connection and is scheduled afresh (a TCP segment reaches a live server, which
// resets it; a UDP flow moves on).
bool Worker::ends_nodest(const Snapshot& snap, uint16_t rs_id) {
  if (!snap.expire_nodest_conn || snap.real_servers[rs_id].live) return false;
  ++counters_.nodest_expired;
  return true;
}

// `ref`: what the flow table holds under the slot's key (act_stage looked it up).
template <typename Key>
void Worker::act(Packet& p, Slot& s, uint32_t ref, uint32_t now_s) {
  FlowTable<Key>& t = flows_.table<Key>();
  const Snapshot& snap = *snap_;
  const net::ParsedPacket& pp = s.pp;
  const bool reply = s.kind != Kind::forward;
  if (ref != kNoRef) {
    const FlowEntry<Key>& e = t.entry(ref_entry(ref));
    if (e.expires <= now_s || !flows_.holds(e)) {
      remove_flow<Key>(ref_entry(ref));
      ref = kNoRef;
    } else if (!reply &&
               (reuses_closed(pp, static_cast<ConnState>(e.state)) || ends_nodest(snap, e.rs))) {
      if (sync_out_ && !(e.flags & kFlowMirror))
        send_sync(t.entry(ref_entry(ref)), SyncOp::remove, now_s);
      if (e.flags & kFlowFullNat) {
        // The server may still hold the old connection: keep its local port taken until
        // the entry expires, so no new connection gets that port.
        t.erase(s.hash, ref_entry(ref));
        t.entry(ref_entry(ref)).flags |= kFlowReplyOnly;
      } else {
        remove_flow<Key>(ref_entry(ref));
      }
      ref = kNoRef;
    }
  }
  if (ref == kNoRef) {
    if (s.kind == Kind::forward) return act_new<Key>(p, s, now_s);
    if (s.kind == Kind::reply_nat) {
      // No flow (table full, or gale restarted): a NAT reply is still translatable from
      // the snapshot alone, since its source names the real server and so the service.
      const RealServer& rs = snap.real_servers[static_cast<size_t>(s.target)];
      const Service& svc = snap.services[rs.service];
      if (svc.fwmark) return finish(p, {Verdict::to_kernel});  // which VIP? unknown
      for (const net::IpAddr& a : snap.host_addrs)
        if (a == pp.tuple.dst) return finish(p, {Verdict::to_kernel});  // the node's own
      ++counters_.stateless_replies;
      return finish(p, reply_nat(p, pp, {.vip = svc.vip, .vport = svc.port}, snap));
    }
    if constexpr (std::is_same_v<Key, FlowKeyV4>)
      if (snap.nat64) return act_nat64_reply(p, s, now_s);  // an IPv6 client's? (lb/nat64.h)
    return finish(p, {Verdict::to_kernel});  // a local-address port no flow of ours uses
  }

  FlowEntry<Key>& e = t.entry(ref_entry(ref));
  // The flow's own mode, not its server's current one: a reload that changed lb_kind
  // applies to new connections only.
  const FwdMode mode = static_cast<FwdMode>(e.mode);
  const uint8_t was = e.state;
  if (pp.proto == net::kProtoTcp) {
    const Direction dir = reply                                           ? Direction::out
                          : (mode == FwdMode::dr || mode == FwdMode::tun) ? Direction::in_only
                                                                          : Direction::in;
    set_state(e.flags, e.state, tcp_next_state(static_cast<ConnState>(e.state), dir, pp.tcp_flags),
              e.rs);
  }
  // Written only when it changes (once a second for a busy flow): a clean entry line
  // is not written back to memory when it leaves the cache.
  const uint32_t expires = now_s + snap.timeout_of[e.state];
  if (e.expires != expires) e.expires = expires;
  note_sync(e, e.state != was, now_s);
  if (!reply && e.state != was && worth_syncing(static_cast<ConnState>(e.state)) &&
      !worth_syncing(static_cast<ConnState>(was)))
    sync_template<Key>(e, pp, now_s);
  if (reply) {
    RsCounters& c = rs_counters_[e.rs];
    ++c.out_pkts;
    c.out_bytes += pp.l3_len();
    const NatAddrs a = flows_.nat_addrs(e);
    if (GALE_UNLIKELY(e.flags & kFlowProxy) && pp.proto == net::kProtoTcp)
      proxy_to_client(p, pp, proxy_states<Key>()[ref_entry(ref)]);
    if constexpr (std::is_same_v<Key, FlowKeyV6>)
      if (GALE_UNLIKELY(pp.family == Family::v4)) return finish(p, reply_nat64(p, pp, a, snap));
    return finish(
        p, mode == FwdMode::fullnat ? reply_fullnat(p, pp, a, snap) : reply_nat(p, pp, a, snap));
  }
  if (mode == FwdMode::nat || mode == FwdMode::fullnat) {
    const NatAddrs a = flows_.nat_addrs(e);
    if (GALE_UNLIKELY(e.flags & kFlowProxy))
      return forward_proxy(p, pp, e.rs, a, proxy_states<Key>()[ref_entry(ref)]);
    return forward(p, pp, e.rs, mode, &a, s.hash);
  }
  forward(p, pp, e.rs, mode, nullptr, s.hash);  // DR and TUN need no addresses
}

// The packet of a live connection that leaves its state as it is: an ACK-only TCP
// segment of an established connection, or a UDP datagram. act() would do the same,
// through checks that cannot apply here; anything else is declined (false), with nothing
// changed, and goes the general way. tests/unit/lb/worker_steady_test.cc runs traffic
// through workers with and without it and compares every frame and counter.
template <typename Key>
GALE_ALWAYS_INLINE bool Worker::steady(Packet& p, Slot& s, FlowEntry<Key>& e, uint32_t now_s) {
  const Snapshot& snap = *snap_;
  const net::ParsedPacket& pp = s.pp;
  constexpr uint8_t kStateBits = net::kTcpSyn | net::kTcpFin | net::kTcpRst;
  const bool unchanged =
      pp.proto == net::kProtoTcp
          ? e.state == static_cast<uint8_t>(ConnState::established) && !(pp.tcp_flags & kStateBits)
          : pp.proto == net::kProtoUdp && e.state == static_cast<uint8_t>(ConnState::udp);
  if (!unchanged || !cfg_.steady || e.expires <= now_s || (e.flags & kFlowProxy) ||
      e.rs >= snap.real_servers.size())
    return false;
  if constexpr (std::is_same_v<Key, FlowKeyV6>)
    if (pp.family == Family::v4) return false;  // a NAT64 reply (act())
  const RealServer& rs = snap.real_servers[e.rs];
  // A connection whose server left goes the general way (expire_nodest_conn), and so
  // does a FullNAT one whose local address the snapshot no longer has (FlowTracker::holds).
  if (!rs.live || !flows_.holds(e)) return false;
  ++steady_packets_;
  const uint32_t expires = now_s + snap.timeout_of[e.state];
  if (e.expires != expires) e.expires = expires;
  note_sync(e, false, now_s);
  const FwdMode mode = static_cast<FwdMode>(e.mode);
  if (s.kind != Kind::forward) {
    RsCounters& c = rs_counters_[e.rs];
    ++c.out_pkts;
    c.out_bytes += pp.l3_len();
    const NatAddrs a = flows_.nat_addrs(e);
    finish(p, mode == FwdMode::fullnat ? reply_fullnat(p, pp, a, snap) : reply_nat(p, pp, a, snap));
    return true;
  }
  if (mode == FwdMode::dr) {
    count_in(e.rs, pp.l3_len());
    finish(p, forward_dr(p, rs, snap));
  } else if (mode == FwdMode::nat || mode == FwdMode::fullnat) {
    const NatAddrs a = flows_.nat_addrs(e);
    forward(p, pp, e.rs, mode, &a, s.hash);
  } else {
    forward(p, pp, e.rs, mode, nullptr, s.hash);
  }
  return true;
}

// Client -> real server, by the flow's mode; counts the server's packets.
// `a`: the connection's addresses, for NAT and FullNAT only.
void Worker::forward(Packet& p, const net::ParsedPacket& pp, uint16_t rs_id, FwdMode mode,
                     const NatAddrs* a, uint64_t hash) {
  const Snapshot& snap = *snap_;
  const RealServer& rs = snap.real_servers[rs_id];
  count_in(rs_id, pp.l3_len());
  switch (mode) {
    case FwdMode::dr:
      return finish(p, forward_dr(p, rs, snap));
    case FwdMode::tun: {
      bool too_big = false;
      finish(p, forward_tun(p, pp, rs, snap, hash, &too_big));
      if (too_big) ++counters_.too_big_sent;
      return;
    }
    case FwdMode::nat:
      return finish(p, forward_nat(p, pp, rs, *a, snap));
    case FwdMode::fullnat:
      if (GALE_UNLIKELY(rs.addr.family != pp.family))
        return finish(p, forward_nat64(p, pp, rs, *a, snap));
      return finish(p, forward_fullnat(p, pp, rs, *a, snap));
  }
}

void Worker::forward_proxy(Packet& p, const net::ParsedPacket& pp, uint16_t rs_id,
                           const NatAddrs& a, ProxyState& st) {
  net::ParsedPacket grown = pp;
  ProxyAdded added;
  Outcome o;
  if (pp.proto == net::kProtoTcp) {
    o = proxy_to_server(p, grown, st, added);
  } else {
    const uint16_t was = pp.l3_end;
    o = proxy_datagram(p, grown, st.version);
    added.header = grown.l3_end != was;
  }
  counters_.proxy_headers += added.header;
  counters_.toa_added += added.toa;
  counters_.toa_no_room += added.toa_no_room;
  if (o.verdict != Verdict::tx) return finish(p, o);
  forward(p, grown, rs_id, FwdMode::fullnat, &a, 0);
}

template <typename Key>
void Worker::act_new(Packet& p, Slot& s, uint32_t now_s) {
  const Snapshot& snap = *snap_;
  const net::ParsedPacket& pp = s.pp;
  const Service& svc = snap.services[static_cast<size_t>(s.target)];
  ServiceState& ss = services_[static_cast<size_t>(s.target)];
  FlowTable<Key>& t = flows_.table<Key>();
  const bool tcp = pp.proto == net::kProtoTcp;
  // A TCP segment without SYN belongs to a connection another node (or this one before
  // a restart) began: the consistent hash sends it where that node did.
  const bool midstream = tcp && !(pp.tcp_flags & net::kTcpSyn);
  const bool track = !(midstream && (pp.tcp_flags & net::kTcpRst));
  uint32_t idx = track ? t.alloc() : kNoRef;
  int pos = -1;
  const Key tmpl_key = svc.persistence_s ? flows_.template_key<Key>(svc, pp.tuple) : Key{};
  if (svc.persistence_s) pos = sticky_dest<Key>(tmpl_key, static_cast<uint32_t>(s.target), now_s);
  const bool sticky = pos >= 0;
  if (sticky) {
    // the client's template decided
  } else if (midstream || idx == kNoRef) {
    pos = svc.sched == SchedKind::mh ? schedule(svc.sched, svc.sched_flags, svc.tables, svc.dests,
                                                ss.loads, *ss.sched, {pp.tuple, now_s})
                                     : adopt_pick(svc, pp.tuple);
  } else {
    pos = schedule(svc.sched, svc.sched_flags, svc.tables, svc.dests, ss.loads, *ss.sched,
                   {pp.tuple, now_s});
  }
  if (pos < 0) {
    if (idx != kNoRef) t.release(idx);
    return drop(p, Drop::no_dest);
  }
  const uint16_t rs_id = svc.dest_ids[static_cast<size_t>(pos)];
  const RealServer& rs = snap.real_servers[rs_id];
  FlowEntry<Key>* te = nullptr;
  if (svc.persistence_s) {
    te = flows_.remember<Key>(tmpl_key, rs_id, svc.persistence_s, now_s);
    // A template that did not decide is new or names another server now: due at once.
    if (te && !sticky) te->sync_at = 0;
  }
  NatAddrs a{.client = pp.tuple.src,
             .cport = pp.tuple.sport,
             .vip = pp.tuple.dst,
             .vport = pp.tuple.dport,
             .rs = rs.addr,
             .rsport = rs.port ? rs.port : pp.tuple.dport};

  if (idx != kNoRef) {
    FlowEntry<Key>& e = t.entry(idx);
    e = FlowEntry<Key>{};
    e.key = s.template key<Key>();
    e.rs = rs_id;
    e.mode = static_cast<uint8_t>(rs.mode);
    bool ok = true;
    if (rs.mode == FwdMode::fullnat) {
      ok = lports_.pick<Key>(flows_, snap, rs, a.rsport, pp.proto, a, e.laddr);
      if (!ok) {
        t.release(idx);
        return drop(p, Drop::no_local_port);
      }
      e.lport = a.lport;
      e.flags |= kFlowFullNat | kFlowHasReply;
      // The PROXY header needs the client's first sequence number: a connection taken
      // up midstream goes without (its server got the header from the node that began
      // it, or the connection never had one).
      if ((rs.proxy != ProxyProto::none || rs.toa) && !proxy_states<Key>().empty() && !midstream) {
        const uint8_t version = rs.proxy == ProxyProto::v1 ? 1 : rs.proxy == ProxyProto::v2 ? 2 : 0;
        ProxyState& st = proxy_states<Key>()[idx];
        st = tcp ? proxy_begin(p, pp, version, rs.toa) : ProxyState{.version = version};
        if (tcp ? proxy_active(st) : version == 2) e.flags |= kFlowProxy;
      }
    } else if (rs.mode == FwdMode::nat) {
      e.flags |= kFlowHasReply;
    }
    ok = t.insert(s.hash, idx);
    if (ok && (e.flags & kFlowHasReply)) {
      const Key rk = flows_.reply_key(e);
      ok = t.insert(t.hash(rk), idx | kReplyBit);
      if (!ok) t.erase(s.hash, idx);
    }
    if (ok) {
      bind_conn(svc.dests[static_cast<size_t>(pos)], ss.loads[static_cast<size_t>(pos)]);
      e.flags |= kFlowActive;
      if (!(e.flags & (kFlowMirror | kFlowTemplate))) ++rs_counters_[rs_id].active;
      e.state = static_cast<uint8_t>(ConnState::none);
      const ConnState first = tcp                          ? tcp_next_state(ConnState::none,
                                                   rs.mode == FwdMode::dr || rs.mode == FwdMode::tun
                                                                                ? Direction::in_only
                                                                                : Direction::in,
                                                                            pp.tcp_flags)
                              : pp.proto == net::kProtoUdp ? ConnState::udp
                                                           : ConnState::other;
      set_state(e.flags, e.state, first, rs_id);
      e.expires = now_s + snap.timeout_of[static_cast<uint8_t>(first)];
      ++counters_.flows_created;
      ++rs_counters_[rs_id].conns;
      ++rs_counters_[rs_id].flows;
      if (e.flags & kFlowFullNat) ++laddr_flows_[e.laddr];
      if (midstream) ++counters_.flows_adopted;
      // The template travels with a connection worth keeping on a peer (as IPVS sends it
      // with the connection it controls): not on a SYN, so a SYN flood against a
      // persistent service stays off the sync link too; a TCP connection's template goes
      // when it is established (sync_template).
      if (te && worth_syncing(first)) note_sync(*te, false, now_s);
      note_sync(e, true, now_s);
    } else {
      t.release(idx);
      idx = kNoRef;
    }
  }
  if (idx == kNoRef) {
    if (rs.mode == FwdMode::fullnat) return drop(p, Drop::table_full);
    ++counters_.stateless;
  } else if (t.entry(idx).flags & kFlowProxy) {
    return forward_proxy(p, pp, rs_id, a, proxy_states<Key>()[idx]);
  }
  forward(p, pp, rs_id, rs.mode, &a, s.hash);
}

// A connection just became worth syncing: its persistence template goes too, if due
// (new, re-pointed, or a quarter of its timeout since it was last sent).
template <typename Key>
void Worker::sync_template(const FlowEntry<Key>& conn, const net::ParsedPacket& pp,
                           uint32_t now_s) {
  if (!sync_out_ || conn.rs >= snap_->real_servers.size()) return;
  const Service& svc = snap_->services[snap_->real_servers[conn.rs].service];
  if (!svc.persistence_s) return;
  const uint32_t ref = flows_.find(flows_.template_key<Key>(svc, pp.tuple), false);
  if (ref != kNoRef) note_sync(flows_.table<Key>().entry(ref_entry(ref)), false, now_s);
}

// The dest position the client's live template names, refreshing it; or -1.
template <typename Key>
int Worker::sticky_dest(const Key& k, uint32_t service, uint32_t now_s) {
  FlowTable<Key>& t = flows_.table<Key>();
  const uint32_t ref = flows_.find(k, false);
  if (ref == kNoRef) return -1;
  FlowEntry<Key>& e = t.entry(ref_entry(ref));
  if (e.expires <= now_s || e.rs >= snap_->real_servers.size()) {
    remove_flow<Key>(ref_entry(ref));
    return -1;
  }
  const RealServer& rs = snap_->real_servers[e.rs];
  // A quiesced (weight 0) server keeps its persistent clients, as in IPVS; a removed one
  // does not.
  if (!rs.live || rs.service != service) return -1;
  return static_cast<int>(rs.pos);
}

void Worker::handle_icmp_error(Packet& p, const net::ParsedPacket& pp, uint32_t now_s) {
  Outcome o;
  if (!relay_icmp_error(p, pp, flows_, *snap_, now_s, o)) return finish(p, {Verdict::to_kernel});
  if (o.verdict == Verdict::tx) ++counters_.icmp_forwarded;
  finish(p, o);
}

void Worker::process(Batch& batch, uint32_t now_s) {
  counters_.rx += batch.count;
  if (!snap_) {
    for (int i = 0; i < batch.count; ++i)
      finish(batch.pkts[i], {Verdict::to_kernel});
    return;
  }
  uint8_t idx4[kBatchSize], idx6[kBatchSize];
  size_t n4 = 0, n6 = 0;
  for (uint8_t i = 0; i < batch.count; ++i) {
    Slot& s = slots_[i];
    if (classify(batch.pkts[i], s, now_s)) {
      if (s.pp.family == Family::v4)
        idx4[n4++] = i;
      else
        idx6[n6++] = i;
    }
  }
  act_stage<FlowKeyV4>(batch, {idx4, n4}, now_s);
  act_stage<FlowKeyV6>(batch, {idx6, n6}, now_s);
  flows_.sweep<FlowKeyV4>(cfg_.sweep_per_batch, now_s,
                          [&](uint32_t idx) { remove_flow<FlowKeyV4>(idx); });
  flows_.sweep<FlowKeyV6>(cfg_.sweep_per_batch, now_s,
                          [&](uint32_t idx) { remove_flow<FlowKeyV6>(idx); });
}

int Worker::find_flow_rs(const net::FiveTuple& tuple, uint32_t now_s) const {
  return flows_.find_rs(tuple, now_s);
}

}  // namespace gale::lb
