#include "io/af_packet_io.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include "io/netdev.h"

namespace gale::io {

namespace {

[[noreturn]] void fail_on(const std::string& ifname, const char* what) {
  throw std::runtime_error("af_packet: interface " + ifname + ": " + what + ": " +
                           std::strerror(errno));
}

template <typename T>
void set_opt(int fd, int level, int name, const T& v, const std::string& ifname, const char* what) {
  if (setsockopt(fd, level, name, &v, sizeof v) != 0) fail_on(ifname, what);
}

uint32_t load_acquire(const uint32_t& v) {
  return std::atomic_ref<const uint32_t>(v).load(std::memory_order_acquire);
}
void store_release(uint32_t& v, uint32_t x) {
  std::atomic_ref<uint32_t>(v).store(x, std::memory_order_release);
}

// Where a tx slot's frame starts: the kernel reads it right after the tpacket2_hdr
// (TPACKET2_HDRLEN less the sockaddr_ll that only rx fills in).
constexpr size_t kTxDataOffset = TPACKET2_HDRLEN - sizeof(sockaddr_ll);
constexpr uint32_t kRingBlock = 1u << 16;  // the rings' block: slots never cross one

// A ring of n slots of `size` bytes in whole blocks.
tpacket_req ring_req(uint32_t n, uint32_t size) {
  const uint32_t per_block = kRingBlock / size;
  tpacket_req q{};
  q.tp_block_size = kRingBlock;
  q.tp_block_nr = (n + per_block - 1) / per_block;
  q.tp_frame_size = size;
  q.tp_frame_nr = q.tp_block_nr * per_block;
  return q;
}

}  // namespace

AfPacketIo::AfPacketIo(const AfPacketConfig& cfg)
    : cfg_(cfg), pool_(cfg.buffer_size, cfg.headroom) {
  if (cfg.headroom < lb::kMinHeadroom)
    throw std::runtime_error("af_packet: headroom below lb::kMinHeadroom");
  if (cfg.interfaces.empty()) throw std::runtime_error("af_packet: no interface");
  rings_.resize(cfg.interfaces.size());
  try {
    for (size_t i = 0; i < rings_.size(); ++i) {
      rings_[i].ifname = cfg.interfaces[i];
      open_ring(rings_[i]);
    }
  } catch (...) {
    for (Ring& r : rings_) {
      if (r.map) munmap(r.map, r.map_size);
      if (r.fd >= 0) close(r.fd);
    }
    throw;
  }
}

AfPacketIo::~AfPacketIo() {
  for (Ring& r : rings_) {
    if (r.map) munmap(r.map, r.map_size);
    if (r.fd >= 0) close(r.fd);
  }
}

void AfPacketIo::open_ring(Ring& r) {
  auto idx = interface_index(r.ifname);
  if (!idx) throw std::runtime_error("af_packet: " + idx.error().message);
  // Protocol 0 until the rings exist, so nothing queues up before them.
  r.fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (r.fd < 0) fail_on(r.ifname, "socket(AF_PACKET)");
  set_opt(r.fd, SOL_PACKET, PACKET_VERSION, int{TPACKET_V2}, r.ifname, "PACKET_VERSION v2");

  // Before the rings (the kernel refuses it after): a malformed tx slot is skipped
  // (TP_STATUS_WRONG_FORMAT) instead of stopping the ring.
  set_opt(r.fd, SOL_PACKET, PACKET_LOSS, int{1}, r.ifname, "PACKET_LOSS");

  const tpacket_req rx = ring_req(cfg_.rx_frames, cfg_.rx_frame_size);
  cfg_.rx_frames = rx.tp_frame_nr;
  set_opt(r.fd, SOL_PACKET, PACKET_RX_RING, rx, r.ifname, "PACKET_RX_RING");
  const tpacket_req tx = ring_req(cfg_.tx_frames, cfg_.tx_frame_size);
  cfg_.tx_frames = tx.tp_frame_nr;
  set_opt(r.fd, SOL_PACKET, PACKET_TX_RING, tx, r.ifname, "PACKET_TX_RING");

  const size_t rx_size = size_t{rx.tp_block_size} * rx.tp_block_nr;
  r.map_size = rx_size + size_t{tx.tp_block_size} * tx.tp_block_nr;
  void* m = mmap(nullptr, r.map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r.fd, 0);
  if (m == MAP_FAILED) fail_on(r.ifname, "mmap of the packet rings");
  r.map = static_cast<uint8_t*>(m);
  r.rx = r.map;
  r.tx = r.map + rx_size;

  // Straight to the driver: no qdisc, and the send is done when sendto() returns.
  set_opt(r.fd, SOL_PACKET, PACKET_QDISC_BYPASS, int{1}, r.ifname, "PACKET_QDISC_BYPASS");
  // Frames the host itself sends on the interface are not ours to forward.
  set_opt(r.fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, int{1}, r.ifname, "PACKET_IGNORE_OUTGOING");

  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(*idx);
  if (bind(r.fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) fail_on(r.ifname, "bind");
  if (cfg_.fanout_group) {
    const int fanout = cfg_.fanout_group | (PACKET_FANOUT_HASH << 16);
    set_opt(r.fd, SOL_PACKET, PACKET_FANOUT, fanout, r.ifname, "PACKET_FANOUT");
  }
}

// Copies the frame of rx slot `slot` into dst for p; false if it cannot be handed over
// (cut short by the slot, or too long for a pool buffer).
bool AfPacketIo::take(const uint8_t* slot, uint16_t link, lb::Packet& p, uint8_t* dst) {
  const auto* h = reinterpret_cast<const tpacket2_hdr*>(slot);
  const uint8_t* src = slot + h->tp_mac;
  uint32_t len = h->tp_snaplen;
  const bool vlan = (h->tp_status & TP_STATUS_VLAN_VALID) != 0 && len >= 12;
  if (len < h->tp_len || len + (vlan ? 4 : 0) > pool_.max_frame()) return false;
  if (vlan) {
    // The kernel moved the 802.1Q tag into metadata: put it back where it was.
    const uint16_t tpid =
        (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->tp_vlan_tpid : ETH_P_8021Q;
    const uint16_t tci = h->tp_vlan_tci;
    std::memcpy(dst, src, 12);
    const uint8_t tag[4] = {uint8_t(tpid >> 8), uint8_t(tpid), uint8_t(tci >> 8), uint8_t(tci)};
    std::memcpy(dst + 12, tag, 4);
    std::memcpy(dst + 16, src + 12, len - 12);
    len += 4;
  } else {
    std::memcpy(dst, src, len);
  }
  p.data = dst;
  p.len = static_cast<uint16_t>(len);
  p.headroom = pool_.headroom();
  p.link = link;
  p.verdict = lb::Verdict::drop;
  p.drop_reason = lb::Drop::none;
  return true;
}

uint16_t AfPacketIo::rx(lb::Batch& batch) {
  uint16_t n = 0;
  const uint16_t links = static_cast<uint16_t>(rings_.size());
  for (uint16_t k = 0; k < links && n < lb::kBatchSize; ++k) {
    const uint16_t link = static_cast<uint16_t>((rr_ + k) % links);
    Ring& r = rings_[link];
    while (n < lb::kBatchSize) {
      uint8_t* slot = r.rx + size_t{r.rx_next} * cfg_.rx_frame_size;
      auto* h = reinterpret_cast<tpacket2_hdr*>(slot);
      if (!(load_acquire(h->tp_status) & TP_STATUS_USER)) break;
      uint8_t* dst = pool_.take();
      if (dst == nullptr) break;  // every buffer is lent out: the frame waits in the ring
      if (take(slot, link, batch.pkts[n], dst)) {
        ++n;
      } else {
        pool_.give(dst);
        ++stats_.rx_dropped;
      }
      store_release(h->tp_status, TP_STATUS_KERNEL);  // the slot is the kernel's again
      r.rx_next = r.rx_next + 1 == cfg_.rx_frames ? 0 : r.rx_next + 1;
    }
  }
  rr_ = static_cast<uint16_t>((rr_ + 1) % links);
  batch.count = n;
  stats_.rx += n;
  return n;
}

bool AfPacketIo::transmit(uint16_t link, const uint8_t* data, uint16_t len) {
  if (link >= rings_.size() || len + kTxDataOffset > cfg_.tx_frame_size) {
    ++stats_.tx_dropped;
    return false;
  }
  Ring& r = rings_[link];
  uint8_t* slot = r.tx + size_t{r.tx_next} * cfg_.tx_frame_size;
  auto* h = reinterpret_cast<tpacket2_hdr*>(slot);
  const uint32_t st = load_acquire(h->tp_status);
  if (st != TP_STATUS_AVAILABLE && st != TP_STATUS_WRONG_FORMAT) {
    ++stats_.tx_dropped;  // the kernel has not sent this slot yet: ring full
    return false;
  }
  std::memcpy(slot + kTxDataOffset, data, len);
  h->tp_len = len;
  h->tp_snaplen = len;
  store_release(h->tp_status, TP_STATUS_SEND_REQUEST);
  r.tx_next = (r.tx_next + 1) % cfg_.tx_frames;
  r.tx_pending = true;
  ++stats_.tx;
  return true;
}

void AfPacketIo::complete(lb::Batch& batch) {
  for (uint16_t i = 0; i < batch.count; ++i) {
    const lb::Packet& p = batch.pkts[i];
    // to_kernel: the host stack already has its own copy (unless the ownership filter
    // dropped it: docs/io.md); handoff: lent to the owner.
    if (p.verdict == lb::Verdict::tx) transmit(p.link, p.data, p.len);
    if (p.verdict == lb::Verdict::to_kernel) ++stats_.to_kernel;
    if (p.verdict != lb::Verdict::handoff) pool_.give(p.data);
  }
  batch.count = 0;
}

void AfPacketIo::complete_foreign(lb::Batch& batch) {
  for (uint16_t i = 0; i < batch.count; ++i) {
    const lb::Packet& p = batch.pkts[i];
    if (p.verdict == lb::Verdict::tx) transmit(p.link, p.data, p.len);
    if (p.verdict == lb::Verdict::to_kernel) ++stats_.to_kernel;
  }
  batch.count = 0;
}

void AfPacketIo::release(std::span<uint8_t* const> frames) {
  for (uint8_t* f : frames)
    pool_.give(f);
}

void AfPacketIo::flush() {
  for (Ring& r : rings_) {
    if (!r.tx_pending) continue;
    r.tx_pending = false;
    // Errors (ENOBUFS on a full driver queue) leave slots marked; the next kick retries.
    (void)sendto(r.fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0);
  }
}

bool AfPacketIo::wait_rx(int timeout_ms, int wake_fd) {
  for (Ring& r : rings_) {  // a frame waiting already: no need to sleep
    auto* h = reinterpret_cast<tpacket2_hdr*>(r.rx + size_t{r.rx_next} * cfg_.rx_frame_size);
    if (load_acquire(h->tp_status) & TP_STATUS_USER) return true;
  }
  pollfd fds[17];
  size_t n = std::min<size_t>(rings_.size(), 16);
  for (size_t i = 0; i < n; ++i)
    fds[i] = {.fd = rings_[i].fd, .events = POLLIN, .revents = 0};
  if (wake_fd >= 0) fds[n++] = {.fd = wake_fd, .events = POLLIN, .revents = 0};
  return poll(fds, n, timeout_ms) > 0;
}

IoStats AfPacketIo::stats() const {
  for (const Ring& r : rings_) {
    tpacket_stats st{};
    socklen_t len = sizeof st;
    if (getsockopt(r.fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) ring_drops_ += st.tp_drops;
  }
  IoStats s = stats_;
  s.rx_dropped += ring_drops_;
  return s;
}

}  // namespace gale::io
