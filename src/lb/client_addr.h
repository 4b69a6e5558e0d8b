// FullNAT's client address for the real server (docs/modes.md, "The client's address
// behind FullNAT"): a PROXY protocol header in front of the connection's payload, and
// the sequence translation that makes room for it for the rest of the connection.
//
// The server's sequence space for the client's bytes runs `delta` (the header's length)
// ahead of the client's from the first payload byte (`first_seq`, the client's ISN + 1)
// on. Toward the server: the client's segment that starts at first_seq carries the
// header in front of its payload (even a bare ACK: so a server that speaks first still
// gets it at once) until the server has acknowledged the header; every later byte's
// sequence number grows by delta. Toward the client: acknowledgements and SACK edges
// shrink by delta (an edge inside the header maps to first_seq), and the server's
// SYN-ACK announces an MSS smaller by delta, so that the one segment that grows never
// exceeds the path MTU. All of it is per packet and stateless but for ProxyState.
//
// TOA (the "TCP option address" FullNAT balancers add, read on the server by a kernel
// module): option 254 with the client's port and address (8 bytes for IPv4, 20 for
// IPv6) first among the options of the client's SYN and of every segment starting at
// first_seq (the handshake's ACK, the first data) until the server is past the
// handshake (it sends data, or acknowledges some). It fits in the TCP header's 40 bytes
// of options or is left out and counted; the SYN-ACK's MSS is lowered by its length
// too. A connection may have both, the header and the option.
#pragma once

#include <cstdint>

#include "lb/modes.h"
#include "lb/packet.h"
#include "net/parse.h"
#include "net/proxy_protocol.h"

namespace gale::lb {

// A PROXY connection's state: 8 bytes in a side array of the worker, indexed like the
// flow entries, which have no room for it.
struct ProxyState {
  uint32_t first_seq = 0;    // the client's first payload byte (its ISN + 1)
  uint16_t delta = 0;        // the header's length; 0: no header (TOA only)
  uint8_t version = 0;       // 1 or 2; 0: no header
  uint8_t acked : 1 = 0;     // the server acknowledged the whole header
  uint8_t toa : 1 = 0;       // the client's segments carry the TOA option ...
  uint8_t toa_v6 : 1 = 0;    // ... in its IPv6 form (the client's family)
  uint8_t toa_done : 1 = 0;  // ... until the server is past the handshake
};
static_assert(sizeof(ProxyState) == 8);

// What a PROXY header says of a client's packet (client -> VIP, before the rewrite).
inline net::ProxyEndpoints proxy_endpoints(const net::ParsedPacket& pp) {
  return {.src = pp.tuple.src,
          .dst = pp.tuple.dst,
          .sport = pp.tuple.sport,
          .dport = pp.tuple.dport,
          .proto = pp.proto};
}

// The TOA option's kind and lengths (the form DPVS and its toa module use: one kind,
// the length tells the family).
inline constexpr uint8_t kTcpOptToa = 254;
inline constexpr uint8_t kToaLenV4 = 8;   // kind, length, port, IPv4 address
inline constexpr uint8_t kToaLenV6 = 20;  // kind, length, port, IPv6 address

// The state of a connection whose client SYN is pp: `version` 0 for no header, and
// delta 0 when the header cannot describe it; `toa` asks for the option.
ProxyState proxy_begin(const Packet& p, const net::ParsedPacket& pp, uint8_t version, bool toa);
// Whether the connection has anything to do (a header or the option).
inline bool proxy_active(const ProxyState& st) {
  return st.delta != 0 || st.toa;
}

// What happened to a client's segment besides its verdict, for the counters.
struct ProxyAdded {
  bool header = false;
  bool toa = false;
  bool toa_no_room = false;
};

// A client's TCP segment of a PROXY or TOA connection, before the FullNAT rewrite:
// inserts the header and the option, or moves the sequence number. pp follows the frame
// (its end grows with an insertion). Outcome::tx() when the packet goes on.
Outcome proxy_to_server(Packet& p, net::ParsedPacket& pp, ProxyState& st, ProxyAdded& added);

// A UDP datagram toward a PROXY v2 server: the header in front of each datagram.
Outcome proxy_datagram(Packet& p, net::ParsedPacket& pp, uint8_t version);

// The server's TCP segment of a PROXY or TOA connection, before the FullNAT rewrite:
// acknowledgement, SACK blocks and (SYN-ACK) MSS back in the client's space; notes when
// the server is past the handshake.
void proxy_to_client(Packet& p, const net::ParsedPacket& pp, ProxyState& st);

}  // namespace gale::lb
