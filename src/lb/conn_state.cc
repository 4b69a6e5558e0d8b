#include "lb/conn_state.h"

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

ConnState tcp_next_state(ConnState s, Direction dir, uint8_t flags) {
  if (s < S::none || s > S::synack) return s;
  const Row& row = kRows[static_cast<int>(s) - static_cast<int>(S::none)];
  const Next& n = dir == Direction::in ? row.in : dir == Direction::out ? row.out : row.in_only;
  if (flags & net::kTcpRst) return n.rst;
  if (flags & net::kTcpSyn) return n.syn;
  if (flags & net::kTcpFin) return n.fin;
  return n.ack;
}

}  // namespace gale::lb
