#include "lb/conn_state.h"

#include <array>

#include "net/l4.h"

namespace gale::lb {

namespace {

using S = ConnState;

// Per state, the next state for each event, per direction. The transitions are IPVS's
// (ip_vs_proto_tcp.c's state table), laid out by state rather than by event.
struct Next {
  S syn, fin, ack, rst;
};
struct Row {
  Next in, out, in_only;
};

// Index: ConnState - ConnState::none.
constexpr Row kRows[] = {
    /* none */
    {{S::syn_recv, S::close, S::established, S::close},
     {S::syn_sent, S::time_wait, S::established, S::close},
     {S::syn_recv, S::close, S::established, S::close}},
    /* established */
    {{S::established, S::close_wait, S::established, S::close},
     {S::established, S::fin_wait, S::established, S::close},
     {S::established, S::fin_wait, S::established, S::close}},
    /* syn_sent */
    {{S::established, S::syn_sent, S::syn_sent, S::close},
     {S::syn_sent, S::syn_sent, S::syn_sent, S::syn_sent},
     {S::established, S::syn_sent, S::syn_sent, S::close}},
    /* syn_recv */
    {{S::syn_recv, S::time_wait, S::established, S::syn_recv},
     {S::syn_recv, S::time_wait, S::established, S::close},
     {S::syn_recv, S::time_wait, S::established, S::syn_recv}},
    /* fin_wait */
    {{S::syn_recv, S::time_wait, S::fin_wait, S::close},
     {S::syn_sent, S::fin_wait, S::fin_wait, S::close},
     {S::syn_recv, S::fin_wait, S::fin_wait, S::close}},
    /* time_wait */
    {{S::syn_recv, S::time_wait, S::time_wait, S::close},
     {S::syn_sent, S::time_wait, S::time_wait, S::time_wait},
     {S::syn_recv, S::time_wait, S::time_wait, S::close}},
    /* close */
    {{S::syn_recv, S::close, S::close, S::close},
     {S::syn_sent, S::close, S::close, S::close},
     {S::syn_recv, S::close, S::close, S::close}},
    /* close_wait */
    {{S::syn_recv, S::close_wait, S::close_wait, S::close},
     {S::syn_sent, S::time_wait, S::close_wait, S::close},
     {S::syn_recv, S::close_wait, S::close_wait, S::close}},
    /* last_ack */
    {{S::syn_recv, S::last_ack, S::close, S::last_ack},
     {S::syn_sent, S::last_ack, S::last_ack, S::close},
     {S::syn_recv, S::last_ack, S::close, S::last_ack}},
    /* listen */
    {{S::syn_recv, S::listen, S::listen, S::listen},
     {S::listen, S::listen, S::established, S::close},
     {S::syn_recv, S::listen, S::listen, S::listen}},
    /* synack */
    {{S::syn_recv, S::time_wait, S::established, S::syn_recv},
     {S::syn_recv, S::time_wait, S::established, S::close},
     {S::syn_recv, S::time_wait, S::established, S::close}},
};

}  // namespace

const char* to_string(ConnState s) {
  switch (s) {
    case S::free:
      return "FREE";
    case S::none:
      return "NONE";
    case S::established:
      return "ESTABLISHED";
    case S::syn_sent:
      return "SYN_SENT";
    case S::syn_recv:
      return "SYN_RECV";
    case S::fin_wait:
      return "FIN_WAIT";
    case S::time_wait:
      return "TIME_WAIT";
    case S::close:
      return "CLOSE";
    case S::close_wait:
      return "CLOSE_WAIT";
    case S::last_ack:
      return "LAST_ACK";
    case S::listen:
      return "LISTEN";
    case S::synack:
      return "SYNACK";
    case S::udp:
      return "UDP";
    case S::other:
      return "OTHER";
    case S::count_:
      break;
  }
  return "?";
}

uint32_t Timeouts::of(ConnState s) const {
  switch (s) {
    case S::established:
      return tcp;
    case S::fin_wait:
      return tcpfin;
    case S::udp:
      return udp;
    case S::syn_recv:
      return syn_recv;
    case S::syn_sent:
      return syn_sent;
    case S::time_wait:
      return time_wait;
    case S::close:
      return close;
    case S::close_wait:
      return close_wait;
    case S::last_ack:
      return last_ack;
    case S::listen:
      return listen;
    case S::synack:
      return synack;
    default:
      return other;
  }
}

std::array<uint32_t, kConnStateCount> Timeouts::table() const {
  std::array<uint32_t, kConnStateCount> t{};
  for (int i = 0; i < kConnStateCount; ++i)
    t[i] = of(static_cast<ConnState>(i));
  return t;
}

namespace detail {

namespace {
// Expands kRows (by state) into the flat table the fast path indexes. States outside
// the TCP machine (free, udp, other) map to themselves.
constexpr auto expand() {
  std::array<std::array<std::array<uint8_t, kConnStateCount>, 4>, 3> t{};
  for (int dir = 0; dir < 3; ++dir) {
    for (int st = 0; st < kConnStateCount; ++st) {
      for (int ev = 0; ev < 4; ++ev)
        t[dir][ev][st] = static_cast<uint8_t>(st);
      if (st < static_cast<int>(S::none) || st > static_cast<int>(S::synack)) continue;
      const Row& row = kRows[st - static_cast<int>(S::none)];
      const Next& n = dir == 0 ? row.in : dir == 1 ? row.out : row.in_only;
      t[dir][0][st] = static_cast<uint8_t>(n.syn);
      t[dir][1][st] = static_cast<uint8_t>(n.fin);
      t[dir][2][st] = static_cast<uint8_t>(n.ack);
      t[dir][3][st] = static_cast<uint8_t>(n.rst);
    }
  }
  return t;
}
constexpr auto kExpanded = expand();
}  // namespace

static_assert(kConnStateCount == 14, "GALE_ROW lists 14 states");
const uint8_t kTcpNext[3][4][kConnStateCount] = {
#define GALE_ROW(d, e)                                                                    \
  {                                                                                       \
    kExpanded[d][e][0], kExpanded[d][e][1], kExpanded[d][e][2], kExpanded[d][e][3],       \
        kExpanded[d][e][4], kExpanded[d][e][5], kExpanded[d][e][6], kExpanded[d][e][7],   \
        kExpanded[d][e][8], kExpanded[d][e][9], kExpanded[d][e][10], kExpanded[d][e][11], \
        kExpanded[d][e][12], kExpanded[d][e][13]                                          \
  }
    {GALE_ROW(0, 0), GALE_ROW(0, 1), GALE_ROW(0, 2), GALE_ROW(0, 3)},
    {GALE_ROW(1, 0), GALE_ROW(1, 1), GALE_ROW(1, 2), GALE_ROW(1, 3)},
    {GALE_ROW(2, 0), GALE_ROW(2, 1), GALE_ROW(2, 2), GALE_ROW(2, 3)},
#undef GALE_ROW
};

}  // namespace detail

}  // namespace gale::lb
