// NAT64 in FullNAT: an IPv6 VIP served by IPv4 real servers (docs/modes.md, "NAT64").
// The client's IPv6 packet leaves as IPv4 from a FullNAT local address and port to the
// server; the server's IPv4 reply returns as IPv6 from the VIP to the client. Header
// fields follow RFC 7915 (SIIT): traffic class <-> TOS, hop limit <-> TTL (decremented,
// as every routed mode does), DF set and identification 0 toward the server, no flow
// label toward the client. IPv6 extension headers are not carried (hop-by-hop,
// destination options and a finished routing header are ignored, as section 5.1 says);
// fragments and a routing header with segments left are dropped, counted.
//
// TCP and UDP checksums follow incrementally (RFC 1624): only the pseudo-header's
// addresses differ between the families. A server's IPv4 UDP datagram without checksum
// gets one computed whole, since IPv6 requires it (RFC 7915 section 4.5); an IPv6 UDP
// datagram without one is corrupt and dropped. The reply grows by 20 bytes into the
// frame's headroom (lb::kMinHeadroom).
//
// The connection is one entry in the IPv6 flow table; its reply key there is the
// server's IPv4 tuple (lb/flow_key.h, nat64_key), which the worker looks for when no
// IPv4 flow has a reply to a local address (Snapshot::nat64).
#pragma once

#include "lb/modes.h"
#include "lb/packet.h"
#include "lb/snapshot.h"
#include "net/icmp.h"
#include "net/parse.h"

namespace gale::lb {

// Client (IPv6) -> real server (IPv4).
Outcome forward_nat64(Packet& p, const net::ParsedPacket& pp, const RealServer& rs,
                      const NatAddrs& a, const Snapshot& snap);
// Real server (IPv4) -> client (IPv6).
Outcome reply_nat64(Packet& p, const net::ParsedPacket& pp, const NatAddrs& a,
                    const Snapshot& snap);

// An ICMP error about a NAT64 connection: from the client's side (ICMPv6, to_server)
// it becomes the ICMPv4 error the server would get from the local address; from the
// server's side (ICMPv4) the ICMPv6 error the client gets from the VIP. Type and code
// map per RFC 7915 sections 4.2 and 5.2 ("too big": MTU -/+ 20), the quoted packet is
// translated back to what its sender sent (its L4 checksum left as quoted, as the
// other modes do), and the ICMP checksum, checked first, is computed whole.
Outcome forward_icmp_error_nat64(Packet& p, const net::ParsedPacket& pp, const net::IcmpInner& in,
                                 const RealServer& rs, const NatAddrs& a, bool to_server,
                                 const Snapshot& snap);

}  // namespace gale::lb
