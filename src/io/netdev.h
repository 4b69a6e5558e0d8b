// Small facts about a network interface, read with ioctls: its index, MAC and queues.
// Control plane only.
#pragma once

#include <cstdint>
#include <string>

#include "base/expected.h"
#include "net/addr.h"

namespace gale::io {

struct QueueInfo {
  uint32_t active = 1;  // receive queues in use (combined or rx channels)
  uint32_t max = 1;     // the most the driver allows
};

Expected<uint32_t> interface_index(const std::string& ifname);
Expected<net::MacAddr> interface_mac(const std::string& ifname);
// Queue counts from ETHTOOL_GCHANNELS; one queue when the driver does not say.
QueueInfo interface_queues(const std::string& ifname);
// Turns on every queue the driver has (`ethtool -L IF combined|rx N tx N`), so that RSS
// spreads over all of them and the dataplane can bind a socket on each.
Expected<void> enable_all_queues(const std::string& ifname);

}  // namespace gale::io
