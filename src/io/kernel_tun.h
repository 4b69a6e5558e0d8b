// The way back to the host stack for frames AF_XDP took but the pipeline says are not
// the dataplane's (Verdict::to_kernel: a port of a local address no flow uses, an ICMP
// error it cannot match, anything owned while no snapshot is there). The XDP program
// already redirected them, so the kernel never saw them: they are written into a TUN
// device, and the kernel receives them there as from any interface, answers them and
// routes the answer out by the real interface.
//
// One TUN device per interface ("galek<ifindex>", no address, up, rp_filter off), one
// queue of it per worker (IFF_MULTI_QUEUE). TUN, not TAP: the host takes the IP packet
// as it is, with no MAC to match and no ARP of its own on the device; the Ethernet
// header and up to two VLAN tags are stripped, so what is not IPv4 or IPv6 cannot go.
// One write() per frame: this is the exception path, not the forwarding path.
// See docs/io.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gale::io {

class KernelTun {
 public:
  // Opens (creating it with the first queue) the TUN device of the interface with index
  // `ifindex`. Throws std::runtime_error naming the device and the errno text.
  explicit KernelTun(uint32_t ifindex);
  ~KernelTun();
  KernelTun(const KernelTun&) = delete;
  KernelTun& operator=(const KernelTun&) = delete;

  // Hands one Ethernet frame's IP packet to the host stack; false when it cannot (not
  // IP, truncated, or the write failed).
  bool deliver(const uint8_t* frame, uint16_t len);
  const std::string& name() const { return name_; }

  static std::string name_for(uint32_t ifindex) { return "galek" + std::to_string(ifindex); }
  // Where the IPv4/IPv6 packet starts in an Ethernet frame (after up to two 802.1Q /
  // 802.1ad tags); 0 when the frame carries neither or is too short.
  static size_t ip_offset(const uint8_t* frame, uint16_t len);

 private:
  std::string name_;
  int fd_ = -1;
};

}  // namespace gale::io
