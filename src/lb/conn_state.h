// Connection states and timeouts, with IPVS's semantics so that operators' numbers
// (`ipvsadm --set tcp tcpfin udp`, the "ActiveConn/InActConn" columns) mean the same.
//
// A connection's TCP state moves on the flags of each packet, by which side sent it:
// `in` (client -> real server) and `out` (real server -> client) where gale sees both
// directions (NAT, FullNAT), `in_only` where replies bypass it (DR, TUN).
#pragma once

#include <array>
#include <cstdint>

namespace gale::lb {

enum class ConnState : uint8_t {
  free = 0,  // unused entry
  none,      // created, no packet classified yet
  established,
  syn_sent,
  syn_recv,
  fin_wait,
  time_wait,
  close,
  close_wait,
  last_ack,
  listen,
  synack,
  udp,    // any UDP flow
  other,  // ICMP echo and other protocols with ports
  count_
};
inline constexpr int kConnStateCount = static_cast<int>(ConnState::count_);
const char* to_string(ConnState s);

enum class Direction : uint8_t { in = 0, out = 1, in_only = 2 };

// Timeouts in seconds. ipvsadm's defaults ("Timeout (tcp tcpfin udp): 900 120 300").
struct Timeouts {
  uint32_t tcp = 900;     // established
  uint32_t tcpfin = 120;  // fin_wait
  uint32_t udp = 300;
  uint32_t syn_recv = 60;
  uint32_t syn_sent = 120;
  uint32_t time_wait = 120;
  uint32_t close = 10;
  uint32_t close_wait = 60;
  uint32_t last_ack = 30;
  uint32_t listen = 120;
  uint32_t synack = 120;
  uint32_t other = 60;

  uint32_t of(ConnState s) const;
  // Every state's timeout, for a lookup by index on the fast path.
  std::array<uint32_t, kConnStateCount> table() const;
};
using TimeoutTable = std::array<uint32_t, kConnStateCount>;

namespace detail {
// kTcpNext[dir][event][state], event 0 syn, 1 fin, 2 ack, 3 rst (conn_state.cc).
extern const uint8_t kTcpNext[3][4][kConnStateCount];
}  // namespace detail

// The state after a TCP packet with `tcp_flags` travelling in `dir`.
inline ConnState tcp_next_state(ConnState s, Direction dir, uint8_t tcp_flags) {
  // RST wins over SYN, SYN over FIN; anything else is an ACK event.
  const int ev = (tcp_flags & 0x04) ? 3 : (tcp_flags & 0x02) ? 0 : (tcp_flags & 0x01) ? 1 : 2;
  return static_cast<ConnState>(
      detail::kTcpNext[static_cast<int>(dir)][ev][static_cast<uint8_t>(s)]);
}

// IPVS counts established connections as active and every other state as inactive.
inline bool is_active(ConnState s) {
  return s == ConnState::established;
}

}  // namespace gale::lb
