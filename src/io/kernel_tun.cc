#include "io/kernel_tun.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace gale::io {

namespace {

[[noreturn]] void fail_on(const std::string& name, const char* what, int e) {
  throw std::runtime_error("to-kernel TUN device " + name + ": " + what + ": " + std::strerror(e));
}

void bring_up(const std::string& name) {
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail_on(name, "socket", errno);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  int e = 0;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    e = errno;
  } else if (!(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) e = errno;
  }
  close(s);
  if (e) fail_on(name, "bringing it up", e);
}

// Strict reverse-path filtering would drop every frame: the route back to its source
// goes out by the real interface, not the TUN device. The effective value is the
// larger of this and conf/all (see docs/io.md).
void loosen_rp_filter(const std::string& name) {
  const std::string path = "/proc/sys/net/ipv4/conf/" + name + "/rp_filter";
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;  // no IPv4 on the device: nothing to loosen
  (void)!write(fd, "0", 1);
  close(fd);
}

}  // namespace

KernelTun::KernelTun(uint32_t ifindex) : name_(name_for(ifindex)) {
  fd_ = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) fail_on(name_, "opening /dev/net/tun", errno);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name_.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
  if (ioctl(fd_, TUNSETIFF, &ifr) != 0) {
    const int e = errno;
    close(fd_);
    fail_on(name_, "TUNSETIFF", e);
  }
  try {
    bring_up(name_);
    loosen_rp_filter(name_);
  } catch (...) {
    close(fd_);
    throw;
  }
}

KernelTun::~KernelTun() {
  if (fd_ >= 0) close(fd_);  // the last queue closed removes the device
}

size_t KernelTun::ip_offset(const uint8_t* frame, uint16_t len) {
  size_t off = 12;
  uint16_t type = 0;
  for (int tags = 0;; ++tags) {
    if (off + 2 > len) return 0;
    type = static_cast<uint16_t>(frame[off] << 8 | frame[off + 1]);
    if ((type != 0x8100 && type != 0x88a8) || tags == 2) break;
    off += 4;
  }
  off += 2;
  if ((type != 0x0800 && type != 0x86dd) || off >= len) return 0;
  return off;
}

bool KernelTun::deliver(const uint8_t* frame, uint16_t len) {
  const size_t off = ip_offset(frame, len);
  if (off == 0) return false;
  return write(fd_, frame + off, len - off) == static_cast<ssize_t>(len - off);
}
}  // namespace gale::io
