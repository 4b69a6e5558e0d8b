#include "lb/flow_export.h"

#include "lb/worker.h"

namespace gale::lb {

const char* to_string(ImportResult r) {
  switch (r) {
    case ImportResult::ok:
      return "ok";
    case ImportResult::unknown_service:
      return "unknown service";
    case ImportResult::unknown_server:
      return "unknown real server";
    case ImportResult::unknown_laddr:
      return "unknown local address or port";
    case ImportResult::not_owner:
      return "not this worker's";
    case ImportResult::exists:
      return "already tracked";
    case ImportResult::table_full:
      return "flow table full";
  }
  return "?";
}

template <typename Key>
FlowRecord Worker::record_of(const FlowEntry<Key>& e, uint32_t now_s) const {
  const Snapshot& snap = *snap_;
  const RealServer& rs = snap.real_servers[e.rs];
  const Service& svc = snap.services[rs.service];
  FlowRecord r{.fwmark = svc.fwmark,
               .vip = svc.vip,
               .vport = svc.port,
               .proto = svc.proto,
               .rs_addr = rs.addr,
               .rs_port = rs.port,
               .tuple = {.src = e.key.src_ip(),
                         .dst = e.key.dst_ip(),
                         .sport = e.key.sport,
                         .dport = e.key.dport,
                         .proto = e.key.proto},
               .mode = static_cast<FwdMode>(e.mode),
               .state = static_cast<ConnState>(e.state),
               .timeout_s = e.expires > now_s ? e.expires - now_s : 0,
               .persistence_template = (e.flags & kFlowTemplate) != 0};
  if (e.flags & kFlowFullNat) {
    r.laddr = snap.fullnat.laddrs[e.laddr];
    r.lport = e.lport;
  }
  if (e.flags & kFlowProxy) {
    const ProxyState& st = proxy_states<Key>()[flows_.table<Key>().index_of(e)];
    r.proxy_version = st.version;
    r.proxy_acked = st.acked != 0;
    r.proxy_delta = st.delta;
    r.proxy_first_seq = st.first_seq;
  }
  return r;
}

template <typename Key>
void Worker::export_table(std::vector<FlowRecord>& out, uint32_t now_s, size_t max,
                          Export what) const {
  const FlowTable<Key>& t = flows_.table<Key>();
  const uint8_t skip = kFlowReplyOnly | kFlowMirror |
                       (what == Export::with_templates ? 0 : static_cast<uint8_t>(kFlowTemplate));
  for (uint32_t i = 0; i < t.capacity() && out.size() < max; ++i) {
    const FlowEntry<Key>& e = t.entry(i);
    // A template is no connection (unless asked for); a reply-only entry's connection is
    // gone; a mirror is exported by the worker that holds the forward direction.
    if (e.state == 0 || e.expires <= now_s || (e.flags & skip) || !flows_.holds(e) ||
        snap_->real_servers[e.rs].service >= snap_->services.size())
      continue;
    out.push_back(record_of(e, now_s));
  }
}

void Worker::export_flows(std::vector<FlowRecord>& out, uint32_t now_s, size_t max,
                          Export what) const {
  if (!snap_) return;
  export_table<FlowKeyV4>(out, now_s, max, what);
  export_table<FlowKeyV6>(out, now_s, max, what);
}

int64_t Worker::service_of(const FlowRecord& r) const {
  if (!snap_) return -1;
  const Snapshot& snap = *snap_;
  if (r.fwmark) {
    for (size_t i = 0; i < snap.services.size(); ++i)
      if (snap.services[i].fwmark == r.fwmark && snap.services[i].proto == r.proto)
        return static_cast<int64_t>(i);
    return -1;
  }
  const int64_t si = snap.endpoints.find(EndpointKind::service, r.vip, r.vport, r.proto);
  if (si >= 0) return si;
  // A standby service (not steered while its VRRP instance is BACKUP here) is in no
  // endpoint list, but a backup is exactly where synced flows are installed.
  for (size_t i = 0; i < snap.services.size(); ++i) {
    const Service& s = snap.services[i];
    if (s.standby && s.vip == r.vip && s.port == r.vport && s.proto == r.proto)
      return static_cast<int64_t>(i);
  }
  return -1;
}

FlowOwners Worker::owners_of(const FlowRecord& r) const {
  const int64_t si = service_of(r);
  return owners_of(r, si >= 0 ? &snap_->services[static_cast<size_t>(si)] : nullptr);
}

FlowOwners Worker::owners_of(const FlowRecord& r, const Service* svc) const {
  const uint16_t fwd = svc ? owner_of_conn(*svc, r.tuple.src, r.tuple.sport)
                           : owner_of_client(r.tuple.src, r.tuple.sport);
  return {.forward = fwd, .reply = r.mode == FwdMode::fullnat ? owner_of_local_port(r.lport) : fwd};
}

Worker::Resolved Worker::resolve(const FlowRecord& r) {
  if (!snap_) return {.why = ImportResult::unknown_service};
  // The tuple's family is the key's: one that disagrees with the service's is not ours.
  if (r.tuple.src.family != r.tuple.dst.family || r.tuple.src.family == net::Family::none)
    return {.why = ImportResult::unknown_service};
  // Every worker is given every synced event: the service (an index lookup) decides who
  // owns it (a persistent service's connections go by the client's network), and only
  // the owners do the scans below.
  const Snapshot& snap = *snap_;
  const int64_t si = service_of(r);
  const FlowOwners own = owners_of(r, si >= 0 ? &snap.services[static_cast<size_t>(si)] : nullptr);
  if (own.forward != cfg_.id && own.reply != cfg_.id) return {.why = ImportResult::not_owner};
  if (si < 0) return {.why = ImportResult::unknown_service};
  // Live or draining: a server this node is draining still carries its connections.
  int rs_id = -1;
  for (size_t id = 0; id < snap.real_servers.size() && rs_id < 0; ++id) {
    const RealServer& rs = snap.real_servers[id];
    if (rs.service == static_cast<uint32_t>(si) && rs.addr == r.rs_addr && rs.port == r.rs_port)
      rs_id = static_cast<int>(id);
  }
  if (rs_id < 0) return {.why = ImportResult::unknown_server};
  int laddr_id = 0;
  if (r.mode == FwdMode::fullnat) {
    laddr_id = -1;
    for (size_t id = 0; id < snap.fullnat.laddrs.size() && laddr_id < 0; ++id)
      if (snap.fullnat.laddrs[id] == r.laddr) laddr_id = static_cast<int>(id);
    if (laddr_id < 0 || r.lport < snap.fullnat.port_lo || r.lport > snap.fullnat.port_hi)
      return {.why = ImportResult::unknown_laddr};
  }
  return {.rs = static_cast<uint16_t>(rs_id),
          .laddr = static_cast<uint8_t>(laddr_id),
          .mirror = own.forward != cfg_.id};
}

ImportResult Worker::import_flow(const FlowRecord& r, uint32_t now_s) {
  const Resolved at = resolve(r);
  if (at.why == ImportResult::not_owner) return at.why;
  if (at.why != ImportResult::ok) {
    ++counters_.imports_refused;
    return at.why;
  }
  if (r.persistence_template) {
    const SyncEvent ev{.op = SyncOp::upsert, .flow = r};
    return r.tuple.src.is_v4() ? apply_template<FlowKeyV4>(ev, at.rs, now_s)
                               : apply_template<FlowKeyV6>(ev, at.rs, now_s);
  }
  return r.tuple.src.is_v4() ? import_into<FlowKeyV4>(r, at.rs, at.laddr, at.mirror, now_s)
                             : import_into<FlowKeyV6>(r, at.rs, at.laddr, at.mirror, now_s);
}

ImportResult Worker::apply_sync(const SyncEvent& ev, uint32_t now_s) {
  const Resolved at = resolve(ev.flow);
  if (at.why == ImportResult::not_owner) return at.why;
  if (at.why != ImportResult::ok) {
    ++counters_.imports_refused;
    return at.why;
  }
  if (ev.flow.persistence_template)
    return ev.flow.tuple.src.is_v4() ? apply_template<FlowKeyV4>(ev, at.rs, now_s)
                                     : apply_template<FlowKeyV6>(ev, at.rs, now_s);
  return ev.flow.tuple.src.is_v4() ? apply_into<FlowKeyV4>(ev, at, now_s)
                                   : apply_into<FlowKeyV6>(ev, at, now_s);
}

// A peer's persistence template: installed or refreshed with the time it has left, so
// that a new connection of that client here goes to its server. Its key is made here
// from this node's service, as sticky_dest will look it up (the client's network by
// this node's persistence_netmask).
template <typename Key>
ImportResult Worker::apply_template(const SyncEvent& ev, uint16_t rs_id, uint32_t now_s) {
  const Service& svc = snap_->services[snap_->real_servers[rs_id].service];
  const Key k = flows_.template_key<Key>(svc, ev.flow.tuple);
  if (ev.op == SyncOp::remove) {
    const uint32_t ref = flows_.find(k, false);
    if (ref == kNoRef) return ImportResult::ok;
    remove_flow<Key>(ref_entry(ref));
    ++counters_.sync_applied;
    return ImportResult::ok;
  }
  if (!flows_.remember<Key>(k, rs_id, ev.flow.timeout_s, now_s)) return ImportResult::table_full;
  ++counters_.sync_applied;
  return ImportResult::ok;
}

// A peer's event about a connection: an upsert updates the copy this worker holds when
// it names the same real server (and FullNAT port), else replaces it; a remove ends it.
template <typename Key>
ImportResult Worker::apply_into(const SyncEvent& ev, const Resolved& at, uint32_t now_s) {
  const FlowRecord& r = ev.flow;
  FlowTable<Key>& t = flows_.table<Key>();
  // A mirror holds only the reply direction (FullNAT): find it by the reply key, which
  // the tracker derives from an entry naming the same server and local port.
  FlowEntry<Key> probe{};
  probe.key = key_of<Key>(r.tuple);
  probe.rs = at.rs;
  probe.flags = kFlowFullNat;
  probe.laddr = at.laddr;
  probe.lport = r.lport;
  const uint32_t ref =
      at.mirror ? flows_.find(flows_.reply_key(probe), true) : flows_.find(probe.key, false);
  if (ref != kNoRef) {
    FlowEntry<Key>& e = t.entry(ref_entry(ref));
    const bool same = e.rs == at.rs && e.mode == static_cast<uint8_t>(r.mode) &&
                      (r.mode != FwdMode::fullnat || (e.laddr == at.laddr && e.lport == r.lport));
    if (ev.op == SyncOp::upsert && same && !(e.flags & kFlowReplyOnly) == !at.mirror) {
      set_state(e.flags, e.state, r.state, e.rs);
      if ((e.flags & kFlowProxy) && r.proxy_acked) proxy_states<Key>()[ref_entry(ref)].acked = 1;
      e.expires = now_s + r.timeout_s;
      ++counters_.sync_applied;
      return ImportResult::ok;
    }
    remove_flow<Key>(ref_entry(ref));
  }
  if (ev.op == SyncOp::remove) {
    if (ref != kNoRef) ++counters_.sync_applied;
    return ImportResult::ok;
  }
  const ImportResult got = import_into<Key>(r, at.rs, at.laddr, at.mirror, now_s);
  if (got == ImportResult::ok) ++counters_.sync_applied;
  return got;
}

template <typename Key>
void Worker::send_sync(FlowEntry<Key>& e, SyncOp op, uint32_t now_s) {
  const uint32_t si = snap_->real_servers[e.rs].service;
  // A server whose service the config no longer has: nothing a peer could resolve.
  const bool known = si < snap_->services.size();
  // A template lives persistence_timeout from its last connection, not its state's time.
  const uint32_t timeout = known && (e.flags & kFlowTemplate) ? snap_->services[si].persistence_s
                                                              : snap_->timeout_of[e.state];
  e.sync_at = now_s + resync_after(timeout);
  if (!known) return;
  if (sync_out_->push({.op = op, .flow = record_of(e, now_s)}))
    ++counters_.sync_sent;
  else
    ++counters_.sync_lost;
}
template void Worker::send_sync(FlowEntry<FlowKeyV4>&, SyncOp, uint32_t);
template void Worker::send_sync(FlowEntry<FlowKeyV6>&, SyncOp, uint32_t);

template <typename Key>
ImportResult Worker::import_into(const FlowRecord& r, uint16_t rs_id, uint8_t laddr_id, bool mirror,
                                 uint32_t now_s) {
  FlowTable<Key>& t = flows_.table<Key>();
  const Key k = key_of<Key>(r.tuple);
  if (flows_.find(k, false) != kNoRef) return ImportResult::exists;
  const uint32_t idx = t.alloc();
  if (idx == kNoRef) return ImportResult::table_full;
  FlowEntry<Key>& e = t.entry(idx);
  e = FlowEntry<Key>{};
  e.key = k;
  e.rs = rs_id;
  e.mode = static_cast<uint8_t>(r.mode);
  if (r.mode == FwdMode::fullnat) {
    e.flags |= kFlowFullNat | kFlowHasReply;
    e.laddr = laddr_id;
    e.lport = r.lport;
  } else if (r.mode == FwdMode::nat) {
    e.flags |= kFlowHasReply;
  }
  // A mirror carries the replies only: the forward key stays with the forward owner.
  if (mirror) e.flags |= kFlowMirror | kFlowReplyOnly;
  const bool fwd_ok = mirror || t.insert(t.hash(k), idx);
  bool ok = fwd_ok;
  if (ok && (e.flags & kFlowHasReply)) {
    const Key rk = flows_.reply_key(e);
    if (flows_.find(rk, true) != kNoRef) {
      ok = false;  // a connection of ours already uses that reply key
    } else {
      ok = t.insert(t.hash(rk), idx | kReplyBit);
    }
    if (!ok && !mirror) t.erase(t.hash(k), idx);
  }
  if (!ok) {
    t.release(idx);
    return fwd_ok ? ImportResult::exists : ImportResult::table_full;
  }
  const RealServer& rs = snap_->real_servers[rs_id];
  e.state = static_cast<uint8_t>(ConnState::none);
  if (!mirror && rs.live && rs.service < services_.size()) {
    bind_conn(snap_->services[rs.service].dests[rs.pos], services_[rs.service].loads[rs.pos]);
    e.flags |= kFlowActive;
    if (!(e.flags & kFlowTemplate)) ++rs_counters_[rs_id].active;
  }
  set_state(e.flags, e.state, r.state, rs_id);
  e.expires = now_s + r.timeout_s;
  if (r.proxy_version && r.mode == FwdMode::fullnat) {
    // The translation the node that began the connection applied goes on here.
    ensure_proxy_states();
    proxy_states<Key>()[idx] = {.first_seq = r.proxy_first_seq,
                                .delta = r.proxy_delta,
                                .version = r.proxy_version,
                                .acked = static_cast<uint8_t>(r.proxy_acked)};
    e.flags |= kFlowProxy;
  }
  ++rs_counters_[rs_id].flows;
  if (e.flags & kFlowFullNat) ++laddr_flows_[e.laddr];
  ++counters_.flows_imported;
  return ImportResult::ok;
}

}  // namespace gale::lb
