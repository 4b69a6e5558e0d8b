// When to ask the kernel again to resolve a neighbour (host::trigger_resolution): at
// once, then after 0.2 s, 0.4 s, 0.8 s, ... up to every 30 s while it stays unresolved.
// A server that is gone for good costs one ARP request per 30 s, not five a second.
// Pure: the caller passes the time.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "net/addr.h"

namespace gale::host {

class NeighbourRetry {
 public:
  using Clock = std::chrono::steady_clock;
  using Key = std::pair<net::IpAddr, uint16_t>;  // address, link
  static constexpr std::chrono::milliseconds kFirst{200};
  static constexpr std::chrono::milliseconds kMax{30000};

  // Puts `key` on the schedule; true when it is new (the caller asks the kernel now).
  bool add(const Key& key, Clock::time_point now) {
    return pending_.try_emplace(key, Entry{.next = now + kFirst, .interval = kFirst}).second;
  }
  // The keys to ask about again now; each one's interval doubles (up to kMax).
  std::vector<Key> due(Clock::time_point now) {
    std::vector<Key> out;
    for (auto& [key, e] : pending_) {
      if (now < e.next) continue;
      out.push_back(key);
      e.interval = std::min(e.interval * 2, kMax);
      e.next = now + e.interval;
    }
    return out;
  }
  // Takes resolved addresses (on any link) off the schedule.
  template <typename Resolved>
  void drop_if(Resolved resolved) {
    std::erase_if(pending_, [&](const auto& entry) { return resolved(entry.first.first); });
  }
  bool empty() const { return pending_.empty(); }

 private:
  struct Entry {
    Clock::time_point next;
    std::chrono::milliseconds interval;
  };
  std::map<Key, Entry> pending_;
};

}  // namespace gale::host
