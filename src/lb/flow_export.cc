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
void Worker::export_table(std::vector<FlowRecord>& out, uint32_t now_s, size_t max) const {
  const FlowTable<Key>& t = flows_.table<Key>();
  const Snapshot& snap = *snap_;
  for (uint32_t i = 0; i < t.capacity() && out.size() < max; ++i) {
    const FlowEntry<Key>& e = t.entry(i);
    // Templates are per node; a reply-only entry's connection is gone; a mirror is
    // exported by the worker that holds the forward direction.
    if (e.state == 0 || e.expires <= now_s ||
        (e.flags & (kFlowTemplate | kFlowReplyOnly | kFlowMirror)) || !flows_.holds(e))
      continue;
    const RealServer& rs = snap.real_servers[e.rs];
    if (rs.service >= snap.services.size()) continue;
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
                 .timeout_s = e.expires - now_s};
    if (e.flags & kFlowFullNat) {
      r.laddr = snap.fullnat.laddrs[e.laddr];
      r.lport = e.lport;
    }
    out.push_back(r);
  }
}

void Worker::export_flows(std::vector<FlowRecord>& out, uint32_t now_s, size_t max) const {
  if (!snap_) return;
  export_table<FlowKeyV4>(out, now_s, max);
  export_table<FlowKeyV6>(out, now_s, max);
}

FlowOwners Worker::owners_of(const FlowRecord& r) const {
  const uint16_t fwd = owner_of_client(r.tuple.src, r.tuple.sport);
  return {.forward = fwd, .reply = r.mode == FwdMode::fullnat ? owner_of_local_port(r.lport) : fwd};
}

ImportResult Worker::import_flow(const FlowRecord& r, uint32_t now_s) {
  if (!snap_) return ImportResult::unknown_service;
  const Snapshot& snap = *snap_;
  auto refuse = [&](ImportResult why) {
    ++counters_.imports_refused;
    return why;
  };
  int64_t si = -1;
  if (r.fwmark) {
    for (size_t i = 0; i < snap.services.size() && si < 0; ++i)
      if (snap.services[i].fwmark == r.fwmark && snap.services[i].proto == r.proto)
        si = static_cast<int64_t>(i);
  } else {
    si = snap.endpoints.find(EndpointKind::service, r.vip, r.vport, r.proto);
  }
  if (si < 0) return refuse(ImportResult::unknown_service);
  // Live or draining: a server this node is draining still carries its connections.
  int rs_id = -1;
  for (size_t id = 0; id < snap.real_servers.size() && rs_id < 0; ++id) {
    const RealServer& rs = snap.real_servers[id];
    if (rs.service == static_cast<uint32_t>(si) && rs.addr == r.rs_addr && rs.port == r.rs_port)
      rs_id = static_cast<int>(id);
  }
  if (rs_id < 0) return refuse(ImportResult::unknown_server);
  int laddr_id = 0;
  if (r.mode == FwdMode::fullnat) {
    laddr_id = -1;
    for (size_t id = 0; id < snap.fullnat.laddrs.size() && laddr_id < 0; ++id)
      if (snap.fullnat.laddrs[id] == r.laddr) laddr_id = static_cast<int>(id);
    if (laddr_id < 0 || r.lport < snap.fullnat.port_lo || r.lport > snap.fullnat.port_hi)
      return refuse(ImportResult::unknown_laddr);
  }
  const FlowOwners own = owners_of(r);
  if (own.forward != cfg_.id && own.reply != cfg_.id) return ImportResult::not_owner;
  const bool mirror = own.forward != cfg_.id;
  const auto id = static_cast<uint16_t>(rs_id);
  const auto lid = static_cast<uint8_t>(laddr_id);
  return r.tuple.src.is_v4() ? import_into<FlowKeyV4>(r, id, lid, mirror, now_s)
                             : import_into<FlowKeyV6>(r, id, lid, mirror, now_s);
}

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
  ++rs_counters_[rs_id].flows;
  if (e.flags & kFlowFullNat) ++laddr_flows_[e.laddr];
  ++counters_.flows_imported;
  return ImportResult::ok;
}

}  // namespace gale::lb
