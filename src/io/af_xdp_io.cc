#include "io/af_xdp_io.h"

#include <linux/if_xdp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <xdp/xsk.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include "io/netdev.h"

namespace gale::io {

struct AfXdpIo::Sock {
  uint16_t link = 0;
  uint32_t queue = 0;
  uint8_t* area = nullptr;
  size_t area_size = 0;
  xsk_umem* umem = nullptr;
  xsk_socket* xsk = nullptr;
  // libxdp keeps pointers to these: the Sock never moves (held by unique_ptr).
  xsk_ring_prod fill{}, tx{};
  xsk_ring_cons comp{}, rx{};
  std::vector<uint64_t> free;  // free UMEM frames (offsets); capacity reserved up front
  bool tx_pending = false;
  // send_batch()'s plan for the batch at hand.
  uint32_t tx_want = 0;    // descriptors to reserve
  uint32_t tx_copies = 0;  // of which copies into free frames
  uint32_t tx_got = 0;     // reserved
  uint32_t tx_used = 0;
  uint32_t tx_idx = 0;
  bool zero_copy = false;
  int fd = -1;
};

namespace {

// Frames kept out of the fill ring so that frames arriving for another interface can
// be copied into this socket's UMEM for transmission.
constexpr size_t kTxReserve = 2 * lb::kBatchSize;

uint64_t chunk_of(uint64_t addr) {
  return addr & ~uint64_t{AfXdpIo::kFrameSize - 1};
}

}  // namespace

AfXdpIo::AfXdpIo(const AfXdpConfig& cfg) : cfg_(cfg) {
  if (cfg_.headroom < lb::kMinHeadroom)
    throw std::runtime_error("af_xdp: headroom below lb::kMinHeadroom");
  if (cfg_.programs.empty()) throw std::runtime_error("af_xdp: no interface");
  if (cfg_.frames < 2 * cfg_.ring_size)
    throw std::runtime_error("af_xdp: frames must be at least twice ring_size");
  if (cfg_.queues.empty()) {
    for (size_t p = 0; p < cfg_.programs.size(); ++p) {
      const QueueInfo q = interface_queues(cfg_.programs[p]->ifname());
      for (uint32_t i = 0; i < q.active; ++i)
        cfg_.queues.push_back({uint16_t(p), i});
    }
  }
  tx_sock_.assign(cfg_.programs.size(), nullptr);
  try {
    if (cfg_.kernel_path)
      for (const XdpProgram* prog : cfg_.programs)
        tuns_.push_back(std::make_unique<KernelTun>(prog->ifindex()));
    for (const XdpQueue& q : cfg_.queues) {
      if (q.link >= cfg_.programs.size()) throw std::runtime_error("af_xdp: queue of unknown link");
      auto s = std::make_unique<Sock>();
      s->link = q.link;
      s->queue = q.queue;
      const XdpProgram& prog = *cfg_.programs[q.link];
      open_socket(*s, prog.ifname(), prog.xsk_map_fd());
      if (!tx_sock_[q.link]) tx_sock_[q.link] = s.get();
      socks_.push_back(std::move(s));
    }
  } catch (...) {
    close_all();
    throw;
  }
}

AfXdpIo::~AfXdpIo() {
  close_all();
}

void AfXdpIo::close_all() {
  for (auto& s : socks_) {
    if (s->xsk) xsk_socket__delete(s->xsk);  // also leaves the XSKMAP
    if (s->umem) xsk_umem__delete(s->umem);
    if (s->area) munmap(s->area, s->area_size);
    s->xsk = nullptr;
    s->umem = nullptr;
    s->area = nullptr;
  }
  socks_.clear();
}

void AfXdpIo::open_socket(Sock& s, const std::string& ifname, int map_fd) {
  auto fail_on = [&](const char* what, int e) {
    throw std::runtime_error("af_xdp: interface " + ifname + " queue " + std::to_string(s.queue) +
                             ": " + what + ": " + std::strerror(e < 0 ? -e : e));
  };
  s.area_size = size_t{cfg_.frames} * kFrameSize;
  void* m = mmap(nullptr, s.area_size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (m == MAP_FAILED) fail_on("mmap of the UMEM", errno);
  s.area = static_cast<uint8_t*>(m);
  const xsk_umem_config ucfg = {.fill_size = cfg_.ring_size,
                                .comp_size = cfg_.ring_size,
                                .frame_size = kFrameSize,
                                .frame_headroom = cfg_.headroom,
                                .flags = 0};
  int e = 0;
  // Zero-copy first: drivers that cannot refuse the bind (veth: EOPNOTSUPP), and a
  // refused socket leaves the UMEM half set up, so it is made anew for copy mode.
  for (bool zc : {cfg_.try_zero_copy, false}) {
    if (!zc && s.xsk == nullptr && s.umem) {
      xsk_umem__delete(s.umem);
      s.umem = nullptr;
    }
    if ((e = xsk_umem__create(&s.umem, s.area, s.area_size, &s.fill, &s.comp, &ucfg)) != 0) {
      s.umem = nullptr;
      fail_on("creating the UMEM", e);
    }
    xsk_socket_config scfg{};
    scfg.rx_size = cfg_.ring_size;
    scfg.tx_size = cfg_.tx_ring_size ? cfg_.tx_ring_size : cfg_.ring_size;
    scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
    scfg.bind_flags = static_cast<uint16_t>(XDP_USE_NEED_WAKEUP | (zc ? XDP_ZEROCOPY : XDP_COPY));
    e = xsk_socket__create(&s.xsk, ifname.c_str(), s.queue, s.umem, &s.rx, &s.tx, &scfg);
    if (e == 0) {
      s.zero_copy = zc;
      break;
    }
    s.xsk = nullptr;
    if (!zc) fail_on("creating the AF_XDP socket", e);
  }
  s.fd = xsk_socket__fd(s.xsk);
  if ((e = xsk_socket__update_xskmap(s.xsk, map_fd)) != 0) fail_on("registering in the XSKMAP", e);
  s.free.reserve(cfg_.frames);
  for (uint32_t i = cfg_.frames; i-- > 0;)
    s.free.push_back(uint64_t{i} * kFrameSize);
  refill(s);
}

bool AfXdpIo::zero_copy() const {
  for (const auto& s : socks_)
    if (!s->zero_copy) return false;
  return !socks_.empty();
}

// Gives free frames to the kernel to receive into, keeping a reserve for tx copies.
void AfXdpIo::refill(Sock& s) {
  if (s.free.size() <= kTxReserve) return;
  uint32_t want = static_cast<uint32_t>(s.free.size() - kTxReserve);
  want = std::min(want, xsk_prod_nb_free(&s.fill, want));
  if (want == 0) return;
  uint32_t idx = 0;
  const uint32_t got = xsk_ring_prod__reserve(&s.fill, want, &idx);
  for (uint32_t i = 0; i < got; ++i) {
    *xsk_ring_prod__fill_addr(&s.fill, idx + i) = s.free.back();
    s.free.pop_back();
  }
  xsk_ring_prod__submit(&s.fill, got);
}

// Takes back the frames the kernel has finished sending.
void AfXdpIo::reap(Sock& s) {
  uint32_t idx = 0;
  const uint32_t n = xsk_ring_cons__peek(&s.comp, cfg_.ring_size, &idx);
  for (uint32_t i = 0; i < n; ++i)
    s.free.push_back(chunk_of(*xsk_ring_cons__comp_addr(&s.comp, idx + i)));
  xsk_ring_cons__release(&s.comp, n);
}

uint16_t AfXdpIo::rx(lb::Batch& batch) {
  uint16_t n = 0;
  const size_t count = socks_.size();
  for (size_t k = 0; k < count && n < lb::kBatchSize; ++k) {
    Sock& s = *socks_[(rr_ + k) % count];
    uint32_t idx = 0;
    const uint32_t got = xsk_ring_cons__peek(&s.rx, lb::kBatchSize - n, &idx);
    if (got == 0) {
      // The kernel ran out of fill frames and asks to be woken once there are some.
      if (xsk_ring_prod__needs_wakeup(&s.fill))
        (void)recvfrom(s.fd, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
      continue;
    }
    for (uint32_t i = 0; i < got; ++i) {
      const xdp_desc* d = xsk_ring_cons__rx_desc(&s.rx, idx + i);
      const uint64_t chunk = chunk_of(d->addr);
      lb::Packet& p = batch.pkts[n];
      p.data = s.area + d->addr;
      p.len = static_cast<uint16_t>(d->len);
      p.headroom = static_cast<uint16_t>(d->addr - chunk);
      p.link = s.link;
      p.verdict = lb::Verdict::drop;
      p.drop_reason = lb::Drop::none;
      origin_[n++] = {&s, chunk};
    }
    xsk_ring_cons__release(&s.rx, got);
  }
  rr_ = (rr_ + 1) % (count ? count : 1);
  batch.count = n;
  stats_.rx += n;
  return n;
}

AfXdpIo::Sock* AfXdpIo::sock_of(const uint8_t* p) {
  for (auto& s : socks_)
    if (p >= s->area && p < s->area + s->area_size) return s.get();
  return nullptr;
}

// Two passes: count what each socket must reserve (its own frames sent in place, and
// copies capped by its free frames), reserve that once per socket, then fill the
// descriptors in batch order; what finds no descriptor is counted in tx_dropped.
void AfXdpIo::send_batch(const lb::Batch& batch, bool foreign) {
  Sock* to[lb::kBatchSize];
  bool copy[lb::kBatchSize];
  for (auto& s : socks_)
    s->tx_want = s->tx_copies = 0;
  for (uint16_t i = 0; i < batch.count; ++i) {
    const lb::Packet& p = batch.pkts[i];
    to[i] = nullptr;
    kept_[i] = false;
    if (p.verdict != lb::Verdict::tx) continue;
    Sock* t = p.link < tx_sock_.size() ? tx_sock_[p.link] : nullptr;
    // Leaving by the interface it came in on: sent from its own frame (a socket
    // transmits on its own interface, whichever queue).
    copy[i] = foreign || p.link != origin_[i].sock->link;
    if (!copy[i]) t = origin_[i].sock;
    if (t == nullptr || (copy[i] && p.len > kFrameSize - cfg_.headroom)) {
      ++stats_.tx_dropped;
      continue;
    }
    to[i] = t;
    ++(copy[i] ? t->tx_copies : t->tx_want);
  }
  for (auto& sp : socks_) {
    Sock& s = *sp;
    if (s.tx_copies > s.free.size()) reap(s);
    s.tx_copies = std::min<uint32_t>(s.tx_copies, static_cast<uint32_t>(s.free.size()));
    s.tx_want += s.tx_copies;
    s.tx_used = 0;
    s.tx_got = 0;
    if (s.tx_want == 0) continue;
    // reserve() is all or nothing: ask for what the ring has room for.
    const uint32_t room = std::min(s.tx_want, xsk_prod_nb_free(&s.tx, s.tx_want));
    if (room > 0) s.tx_got = xsk_ring_prod__reserve(&s.tx, room, &s.tx_idx);
  }
  for (uint16_t i = 0; i < batch.count; ++i) {
    Sock* t = to[i];
    if (t == nullptr) continue;
    const lb::Packet& p = batch.pkts[i];
    if ((copy[i] && t->tx_copies == 0) || t->tx_used == t->tx_got) {
      ++stats_.tx_dropped;
      continue;
    }
    xdp_desc* d = xsk_ring_prod__tx_desc(&t->tx, t->tx_idx + t->tx_used++);
    if (copy[i]) {
      --t->tx_copies;
      const uint64_t chunk = t->free.back();
      t->free.pop_back();
      std::memcpy(t->area + chunk + cfg_.headroom, p.data, p.len);
      d->addr = chunk + cfg_.headroom;
    } else {
      d->addr = static_cast<uint64_t>(p.data - t->area);
      kept_[i] = true;
    }
    d->len = p.len;
    d->options = 0;
    ++stats_.tx;
  }
  for (auto& s : socks_) {
    if (s->tx_got == 0) continue;
    xsk_ring_prod__submit(&s->tx, s->tx_got);
    s->tx_pending = true;
  }
}

void AfXdpIo::to_kernel(const lb::Packet& p) {
  const bool ok = p.link < tuns_.size() && tuns_[p.link]->deliver(p.data, p.len);
  ++(ok ? stats_.to_kernel : stats_.kernel_dropped);
}

void AfXdpIo::complete(lb::Batch& batch) {
  send_batch(batch, false);
  for (uint16_t i = 0; i < batch.count; ++i) {
    const lb::Packet& p = batch.pkts[i];
    if (p.verdict == lb::Verdict::to_kernel) to_kernel(p);
    // handoff: lent to the owning worker until release().
    if (!kept_[i] && p.verdict != lb::Verdict::handoff)
      origin_[i].sock->free.push_back(origin_[i].chunk);
  }
  batch.count = 0;
  for (auto& s : socks_)
    refill(*s);
}

void AfXdpIo::complete_foreign(lb::Batch& batch) {
  send_batch(batch, true);
  for (uint16_t i = 0; i < batch.count; ++i)
    if (batch.pkts[i].verdict == lb::Verdict::to_kernel) to_kernel(batch.pkts[i]);
  batch.count = 0;
}

void AfXdpIo::release(std::span<uint8_t* const> frames) {
  for (uint8_t* f : frames)
    if (Sock* s = sock_of(f)) s->free.push_back(chunk_of(static_cast<uint64_t>(f - s->area)));
}

void AfXdpIo::kick_tx(Sock& s) {
  // Copy mode sends at most a few dozen frames per sendto (the kernel's TX batch):
  // kick until the ring is drained or the driver pushes back.
  const uint32_t size = cfg_.tx_ring_size ? cfg_.tx_ring_size : cfg_.ring_size;
  for (int tries = 0; tries < 8; ++tries) {
    if (xsk_prod_nb_free(&s.tx, size) == size) break;
    if (!xsk_ring_prod__needs_wakeup(&s.tx)) break;
    if (sendto(s.fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && errno != EAGAIN &&
        errno != EBUSY && errno != ENOBUFS)
      break;
  }
}

void AfXdpIo::flush() {
  for (auto& sp : socks_) {
    Sock& s = *sp;
    if (s.tx_pending) {
      s.tx_pending = false;
      kick_tx(s);
    }
    reap(s);
    refill(s);
  }
}

bool AfXdpIo::wait_rx(int timeout_ms, int wake_fd) {
  pollfd fds[65];
  size_t n = std::min<size_t>(socks_.size(), 64);
  for (size_t i = 0; i < n; ++i) {
    if (xsk_cons_nb_avail(&socks_[i]->rx, 1) > 0) return true;
    fds[i] = {.fd = socks_[i]->fd, .events = POLLIN, .revents = 0};
  }
  if (wake_fd >= 0) fds[n++] = {.fd = wake_fd, .events = POLLIN, .revents = 0};
  return poll(fds, n, timeout_ms) > 0;
}

IoStats AfXdpIo::stats() const {
  IoStats st = stats_;
  for (const auto& s : socks_) {
    xdp_statistics xs{};
    socklen_t len = sizeof xs;
    if (getsockopt(s->fd, SOL_XDP, XDP_STATISTICS, &xs, &len) == 0)
      st.rx_dropped += xs.rx_dropped + xs.rx_ring_full;
  }
  return st;
}

}  // namespace gale::io
