#include "io/netdev.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gale::io {

namespace {

// ioctl on a throwaway datagram socket; returns errno or 0.
int ifreq_ioctl(const std::string& ifname, unsigned long req, ifreq& ifr) {
  if (ifname.size() >= IFNAMSIZ) return ENAMETOOLONG;
  std::memset(ifr.ifr_name, 0, IFNAMSIZ);
  std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  const int rc = ioctl(fd, req, &ifr) == 0 ? 0 : errno;
  close(fd);
  return rc;
}

int channels(const std::string& ifname, uint32_t cmd, ethtool_channels& ch) {
  ch.cmd = cmd;
  ifreq ifr{};
  ifr.ifr_data = reinterpret_cast<char*>(&ch);
  return ifreq_ioctl(ifname, SIOCETHTOOL, ifr);
}

}  // namespace

Expected<uint32_t> interface_index(const std::string& ifname) {
  const unsigned idx = if_nametoindex(ifname.c_str());
  if (idx == 0) return fail("interface " + ifname + ": " + std::strerror(errno));
  return idx;
}

Expected<net::MacAddr> interface_mac(const std::string& ifname) {
  ifreq ifr{};
  if (int e = ifreq_ioctl(ifname, SIOCGIFHWADDR, ifr))
    return fail("interface " + ifname + ": reading its MAC address: " + std::strerror(e));
  net::MacAddr m;
  std::memcpy(m.b.data(), ifr.ifr_hwaddr.sa_data, 6);
  return m;
}

QueueInfo interface_queues(const std::string& ifname) {
  ethtool_channels ch{};
  if (channels(ifname, ETHTOOL_GCHANNELS, ch) != 0) return {};
  QueueInfo q;
  q.active = std::max(ch.combined_count, ch.rx_count);
  q.max = std::max(ch.max_combined, ch.max_rx);
  if (q.active == 0) q.active = 1;
  if (q.max < q.active) q.max = q.active;
  return q;
}

Expected<void> enable_all_queues(const std::string& ifname) {
  ethtool_channels ch{};
  if (int e = channels(ifname, ETHTOOL_GCHANNELS, ch))
    return fail("interface " + ifname + ": reading its channels: " + std::strerror(e));
  ethtool_channels want = ch;
  if (ch.max_combined) want.combined_count = ch.max_combined;
  if (ch.max_rx) want.rx_count = ch.max_rx;
  if (ch.max_tx) want.tx_count = ch.max_tx;
  if (want.combined_count == ch.combined_count && want.rx_count == ch.rx_count &&
      want.tx_count == ch.tx_count)
    return {};
  if (int e = channels(ifname, ETHTOOL_SCHANNELS, want))
    return fail("interface " + ifname + ": enabling all " +
                std::to_string(std::max(want.combined_count, want.rx_count)) +
                " queues: " + std::strerror(e));
  return {};
}

}  // namespace gale::io
