// The classifier: frame bytes + snapshot -> what the frame is to the dataplane. It is the
// one definition of "which frames are ours": the worker runs it on every frame, the
// simulator answers with it, and the XDP differential test (tests/e2e/io) holds the
// steering program to it (docs/io.md says the policy in words).
//
// A frame addressed to a MAC outside Snapshot::accept_macs is the kernel's whatever it
// carries. Otherwise ownership is decided by the addresses, protocol and ports alone, read after
// the L2/L3 structure checks the kernel makes too (Ethernet, at most two VLAN tags, the IPv4 header
// and total length, the IPv6 payload length and extension-header chain). A frame failing those is
// the kernel's to judge (to_kernel); an owned frame malformed beyond them (IPv4 options, the L4
// header) is dropped, counted under its parse reason.
#pragma once

#include <cstdint>

#include "base/compiler.h"
#include "lb/drop.h"
#include "lb/snapshot.h"
#include "net/bytes.h"
#include "net/parse.h"
#include "net/parse_fast.h"

namespace gale::lb {

enum class Class : uint8_t {
  to_kernel,      // not ours: the host stack's
  drop,           // ours, but dropped: `drop` says why
  forward,        // client -> service `target`
  reply_nat,      // from NAT real server `target` (a real server id) back to a client
  reply_fullnat,  // to FullNAT local address `target` (an index in fullnat.laddrs)
};

struct Classified {
  Class cls = Class::to_kernel;
  Drop drop = Drop::none;
  int32_t target = -1;
  // An ICMP error whose quoted packet is one the dataplane sent: cls and target then
  // describe the quoted connection, and `flow` is that connection's packet direction
  // (the quote reversed), so the error goes to the worker that owns the connection.
  bool icmp_error = false;
  net::FiveTuple flow;  // the tuple ownership is computed on (forward, reply_*)

  bool owned() const { return cls != Class::to_kernel; }
};

// Parses `frame` into `pp` and classifies it against `snap`. Pure: no state, no
// allocation, no side effect besides `pp`.
Classified classify(net::Bytes frame, const Snapshot& snap, net::ParsedPacket& pp);

// The bulk of the traffic in few instructions: an untagged IPv4 TCP/UDP frame for this
// node, parsed by net::parse_fast_v4. False for every other frame, which then goes to
// classify(). True with `pp` as classify() fills it and `service` set: the index of the
// VIP:port's service, the answer classify() gives (Class::forward, `target`); or -1,
// when classify_tuple(pp.tuple) gives the answer (a reply, a fwmark service, the
// kernel's). Inlined where the worker calls it on every frame.
GALE_ALWAYS_INLINE bool classify_fast(net::Bytes frame, const Snapshot& snap, net::ParsedPacket& pp,
                                      int64_t& service) {
  if (!net::parse_fast_v4(frame, pp) || !snap.accepts_dst(frame.data())) return false;
  service = snap.endpoints.find(EndpointKind::service, pp.tuple.dst, pp.tuple.dport, pp.proto);
  return true;
}

// What a packet with this tuple is to the dataplane (forward / reply_nat /
// reply_fullnat with its target), or to_kernel. `pp`-independent: ICMP quotes use it.
Classified classify_tuple(const net::FiveTuple& t, const Snapshot& snap);

}  // namespace gale::lb
