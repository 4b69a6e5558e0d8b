// Link state for VRRP's track_interface: rtnetlink's link notifications (RTMGRP_LINK)
// on a non-blocking socket the owner polls, and each link's state read on demand with
// an ioctl, so the owner's thread never waits on the kernel.
#pragma once

#include <string>

#include "base/expected.h"

namespace gale::host {

class LinkWatch {
 public:
  static Expected<LinkWatch> open();
  LinkWatch(LinkWatch&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  LinkWatch& operator=(LinkWatch&&) = delete;
  ~LinkWatch();

  int fd() const { return fd_; }
  // Reads every notification waiting; true when one was about a link (or some were
  // lost: the caller then reads every link again, as it would for a change).
  bool drain();

 private:
  explicit LinkWatch(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Whether `ifname` exists and is operationally up (IFF_UP and IFF_RUNNING: the carrier
// and RFC 2863's operstate UP), as `ip link` shows "state UP".
bool link_running(const std::string& ifname);

}  // namespace gale::host
