// Announcing a MASTER's VIPs so that neighbours move their cache entries to this node
// without asking: IPv4 with gratuitous ARP (RFC 5227 announcements: ARP requests whose
// sender and target are the VIP, to broadcast), IPv6 with unsolicited Neighbor
// Advertisements (RFC 4861 section 7.2.6, net/ndisc.h).
//
// `AnnounceQueue` paces them as keepalived's `vrrp_garp_interval` / `vrrp_gna_interval`
// do: at most one message per interval on each interface (ARPs and NAs counted apart),
// every instance's messages in one queue per interface, in the order they were asked
// for. It is pure (time is passed in); `Announcer` sends, on two packet sockets kept
// open for the engine's life (not one per VIP per round).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>

#include "base/expected.h"
#include "ha/vip.h"
#include "ha/vrrp_machine.h"

namespace gale::ha {

struct AnnouncePacing {
  Micros garp_interval = 0;  // between two gratuitous ARPs on one interface
  Micros gna_interval = 0;   // between two unsolicited NAs on one interface
};

class AnnounceQueue {
 public:
  explicit AnnounceQueue(AnnouncePacing p = {}) : pacing_(p) {}

  // `count` rounds over `vips` (v1 v2 v1 v2 ...), after what waits on their interfaces.
  void push(std::span<const Vip> vips, int count);
  // Drops what still waits for `vips` (their instance left MASTER: they are not ours).
  void forget(std::span<const Vip> vips);
  // Hands `send` every message due at `now`; returns when the next one is due
  // (INT64_MAX: nothing waits).
  Micros run(Micros now, const std::function<void(const Vip&)>& send);
  bool empty() const;

 private:
  struct Lane {
    std::deque<Vip> waiting;
    Micros next = 0;  // the earliest time of its next message
  };
  AnnouncePacing pacing_;
  std::map<std::pair<std::string, bool>, Lane> lanes_;  // by device and "is IPv6"
};

class Announcer {
 public:
  Announcer() = default;
  Announcer(const Announcer&) = delete;
  Announcer& operator=(const Announcer&) = delete;
  ~Announcer();

  // One gratuitous ARP (IPv4) or unsolicited NA (IPv6, the Router flag set when the
  // device forwards IPv6, keepalived's rule; nothing on an IFF_NOARP link).
  Expected<void> send(const Vip& v);

 private:
  int arp_fd_ = -1;  // AF_PACKET, ETH_P_ARP, opened at first use
  int nd_fd_ = -1;   // AF_PACKET, ETH_P_IPV6, opened at first use
};

// `count` announcements of `v` on sockets of their own (a standalone sender).
Expected<void> announce_vip(const Vip& v, int count = 1);

}  // namespace gale::ha
