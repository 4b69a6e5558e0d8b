// The forwarding modes as functions of one packet: what each does to the frame once the
// worker knows the real server (and, for the NAT modes, the connection's addresses).
// They rewrite in place, set the packet's out link and return the verdict or drop.
#pragma once

#include <cstdint>

#include "lb/packet.h"
#include "lb/snapshot.h"
#include "net/icmp.h"
#include "net/parse.h"

namespace gale::lb {

// The addresses a NAT-mode rewrite needs, from the flow (or from the snapshot when the
// packet is forwarded without state).
struct NatAddrs {
  net::IpAddr client;
  uint16_t cport = 0;
  net::IpAddr vip;
  uint16_t vport = 0;
  net::IpAddr rs;
  uint16_t rsport = 0;  // the real server's port (the service's port when unset)
  net::IpAddr laddr;    // FullNAT
  uint16_t lport = 0;
};

// Result of a rewrite: the verdict, or the drop reason.
struct Outcome {
  Verdict verdict;
  Drop drop = Drop::none;
  static Outcome tx() { return {Verdict::tx}; }
  static Outcome dropped(Drop d) { return {Verdict::drop, d}; }
};

// Client -> real server.
Outcome forward_dr(Packet& p, const RealServer& rs, const Snapshot& snap);
Outcome forward_tun(Packet& p, const net::ParsedPacket& pp, const RealServer& rs,
                    const Snapshot& snap, uint64_t flow_hash, bool* too_big_sent);
Outcome forward_nat(Packet& p, const net::ParsedPacket& pp, const RealServer& rs, const NatAddrs& a,
                    const Snapshot& snap);
Outcome forward_fullnat(Packet& p, const net::ParsedPacket& pp, const RealServer& rs,
                        const NatAddrs& a, const Snapshot& snap);
// Real server -> client (NAT and FullNAT).
Outcome reply_nat(Packet& p, const net::ParsedPacket& pp, const NatAddrs& a, const Snapshot& snap);
Outcome reply_fullnat(Packet& p, const net::ParsedPacket& pp, const NatAddrs& a,
                      const Snapshot& snap);

// Turns the packet into an ICMP "fragmentation needed" (IPv4) or "packet too big"
// (IPv6) answer to its sender, announcing `mtu`, sent back out the link it came in on.
Outcome answer_too_big(Packet& p, const net::ParsedPacket& pp, uint32_t mtu, const Snapshot& snap);

// Routed output, shared with lb/nat64.cc: a fresh Ethernet header before pp's IP header
// (pp.l3_off), to `dst` on `link`; or toward `client` by the snapshot's routes.
Outcome route_out(Packet& p, const net::ParsedPacket& pp, const net::MacAddr& dst, uint16_t link,
                  const Snapshot& snap);
Outcome to_client(Packet& p, const net::ParsedPacket& pp, const net::IpAddr& client,
                  const Snapshot& snap);

// ICMP errors about a connection: `to_server` says which way the error travels.
// Translates the outer and the quoted headers the way the connection's packets are
// translated, and recomputes the ICMP checksum.
Outcome forward_icmp_error(Packet& p, const net::ParsedPacket& pp, const net::IcmpInner& in,
                           const RealServer& rs, const NatAddrs& a, bool to_server,
                           const Snapshot& snap, uint64_t flow_hash);

}  // namespace gale::lb
