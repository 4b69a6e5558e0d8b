// gale's XDP steering program on one interface (bpf/steer.bpf.c, docs/io.md): loaded
// with libbpf, attached in native (driver) mode or, where the driver has no XDP,
// generic mode, and detached by the destructor. A program of ours left behind by a
// crashed run is detached first; a foreign program is never replaced.
//
// The maps say what the dataplane owns (set_owned); the XSKMAP gets the AF_XDP sockets
// (AfXdpIo registers them). Control plane only.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/expected.h"
#include "lb/snapshot.h"

struct bpf_object;

namespace gale::io {

enum class XdpMode : uint8_t { native, generic };
const char* to_string(XdpMode m);

struct XdpProgramConfig {
  std::string ifname;
  std::string object_path;     // empty: find_bpf_object()
  bool allow_generic = true;   // fall back to generic mode when native attach fails
  bool force_generic = false;  // skip native (tests; drivers with broken native XDP)
  // Turn on every queue the driver has before attaching (`ethtool -L`), so RSS
  // spreads over all and a socket can be bound on each. Changes the NIC's config.
  bool enable_all_queues = false;
};

// Counters of the program, summed over CPUs.
struct SteerStats {
  uint64_t redirected = 0;  // to the XSKMAP (to a socket, or passed when none on the queue)
  uint64_t passed = 0;      // not owned: XDP_PASS
  uint64_t icmp_redirected = 0;
  uint64_t fragment_redirected = 0;  // later fragments to a service address
};

class XdpProgram {
 public:
  // Throws std::runtime_error naming the interface and the reason.
  explicit XdpProgram(const XdpProgramConfig& cfg);
  ~XdpProgram();
  XdpProgram(const XdpProgram&) = delete;
  XdpProgram& operator=(const XdpProgram&) = delete;

  const std::string& ifname() const { return cfg_.ifname; }
  uint32_t ifindex() const { return ifindex_; }
  XdpMode mode() const { return mode_; }
  int xsk_map_fd() const { return xsks_fd_; }
  int prog_fd() const { return prog_fd_; }  // for BPF_PROG_TEST_RUN in tests

  // Makes the maps say exactly `owned` (the snapshot's endpoint list): entries no longer
  // listed are removed, new ones added; entries in both are never absent in between.
  Expected<void> set_owned(std::span<const lb::Endpoint> owned);
  // Makes the program take frames to these destination MACs only (empty: any); at most
  // GALE_STEER_MAX_MACS (16).
  Expected<void> set_macs(std::span<const net::MacAddr> macs);
  SteerStats stats() const;

 private:
  XdpProgramConfig cfg_;
  uint32_t ifindex_ = 0;
  bpf_object* obj_ = nullptr;
  int prog_fd_ = -1, xsks_fd_ = -1, services_fd_ = -1, service_addrs_fd_ = -1, nat_fd_ = -1,
      laddrs_fd_ = -1, prefixes_fd_ = -1, macs_fd_ = -1, stats_fd_ = -1;
  XdpMode mode_ = XdpMode::native;
};

// Where steer.bpf.o is: $GALE_BPF_DIR, else beside the executable, else
// <exe>/../lib/gale, else the build tree it was built in.
std::string find_bpf_object();

// Detaches a gale_steer program left attached to `ifname` (a crashed run). Returns
// whether one was found; fails if a program of another name is attached.
Expected<bool> detach_stale_program(const std::string& ifname);

}  // namespace gale::io
