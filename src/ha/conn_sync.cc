#include "ha/conn_sync.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "ctl/config.h"
#include "ha/sync_socket.h"
#include "ha/sync_wire.h"

namespace gale::ha {

namespace {

// The config and galectl refuse (or raise) a maxlen that cannot carry one record.
static_assert(ctl::kSyncMinMaxlen == kSyncHeaderLen + kSyncRecordV6);

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

std::string os_error(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

}  // namespace

struct ConnSync::Loop {
  explicit Loop(io::Dataplane& d) : dp(d) {}
  io::Dataplane& dp;
  ConnSyncConfig cfg;
  int fd = -1;
  int wake = -1;
  std::thread thread;
  std::atomic<bool> quit{false};
  uint32_t node = 0;  // our random id
  uint32_t seq = 0;
  std::vector<SyncDest> dests;
  std::vector<uint8_t> out;  // one datagram being filled
  std::vector<uint8_t> in;
  std::vector<lb::SyncEvent> got;
  std::unordered_map<uint32_t, uint32_t> next_seq;  // by peer node id

  ConnSyncCounters c;  // the thread's; copied to `shown` under mu
  mutable std::mutex mu;
  ConnSyncCounters shown;
  std::atomic<uint64_t> settle_asked{0};
  std::atomic<uint64_t> settle_done{0};
  std::atomic<bool> bulk_in{false};
  std::atomic<int64_t> heard_ms{0};  // when a peer's datagram last arrived

  void send(size_t len) {
    for (const SyncDest& to : dests) {
      if (sendto(fd, out.data(), len, 0, reinterpret_cast<const sockaddr*>(&to.addr), to.len) < 0) {
        ++c.send_errors;
        c.last_error = os_error("sendto");
      } else {
        ++c.datagrams_sent;
      }
    }
  }

  void send_control(SyncType t) {
    send(write_sync_header(out, {.type = t, .syncid = cfg.syncid, .node = node, .seq = seq++}, 0));
  }

  // Records into datagrams: `next` yields up to n events into its buffer.
  template <typename Next>
  uint64_t stream(Next&& next) {
    uint64_t records = 0;
    lb::SyncEvent evs[128];
    SyncWriter w(out, {.syncid = cfg.syncid, .node = node, .seq = seq});
    while (uint32_t k = next(evs, 128)) {
      for (uint32_t i = 0; i < k; ++i) {
        if (w.add(evs[i])) continue;
        send(w.finish());
        w = SyncWriter(out, {.syncid = cfg.syncid, .node = node, .seq = ++seq});
        (void)w.add(evs[i]);  // one record always fits an empty datagram
      }
      records += k;
    }
    if (w.count()) {
      send(w.finish());
      ++seq;
    }
    return records;
  }

  // Each worker's events, in datagrams of their own.
  void flush_workers() {
    for (uint16_t id = 0; id < dp.workers(); ++id)
      c.records_sent +=
          stream([&](lb::SyncEvent* evs, uint32_t max) { return dp.take_sync(id, evs, max); });
  }

  // A peer asked for everything: every worker's connections and persistence templates,
  // paced so that the peer's socket buffer keeps up, then bulk_end.
  void bulk_copy() {
    ++c.bulk_requests;
    const std::vector<lb::FlowRecord> all =
        dp.export_flows(SIZE_MAX, 2000, lb::Export::with_templates);
    size_t at = 0, since_pause = 0;
    c.bulk_records += stream([&](lb::SyncEvent* evs, uint32_t max) {
      uint32_t k = 0;
      for (; k < max && at < all.size(); ++k)
        evs[k] = {.op = lb::SyncOp::upsert, .flow = all[at++]};
      since_pause += k;
      if (since_pause >= 4096) {  // about 140 datagrams: let the receiver drain
        since_pause = 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      return k;
    });
    send_control(SyncType::bulk_end);
  }

  void handle(size_t len) {
    got.clear();
    auto h = parse_sync({in.data(), len}, got);
    if (!h) {
      ++c.malformed;
      c.last_error = h.error().message;
      return;
    }
    if (h->node == node) return;  // our own, looped back
    if (!accepts_syncid(cfg.syncid, h->syncid)) {
      ++c.other_syncid;
      return;
    }
    ++c.datagrams_received;
    heard_ms.store(now_ms(), std::memory_order_release);
    auto [it, fresh] = next_seq.try_emplace(h->node, h->seq);
    if (!fresh && h->seq != it->second && h->seq - it->second < (1u << 31))
      c.seq_gaps += h->seq - it->second;
    it->second = h->seq + 1;
    switch (h->type) {
      case SyncType::flows:
        c.records_received += got.size();
        for (const lb::SyncEvent& ev : got)
          if (!dp.give_sync(ev)) ++c.given_lost;
        break;
      case SyncType::bulk_request:
        bulk_copy();
        break;
      case SyncType::bulk_end:
        publish();  // the counts wait_bulk's caller reads
        bulk_in.store(true, std::memory_order_release);
        break;
    }
  }

  void receive_all() {
    for (;;) {
      const ssize_t n = recv(fd, in.data(), in.size(), MSG_DONTWAIT);
      if (n < 0) return;
      handle(static_cast<size_t>(n));
    }
  }

  void publish() {
    std::lock_guard lock(mu);
    shown = c;
  }

  void run() {
    send_control(SyncType::bulk_request);
    for (;;) {
      pollfd fds[2] = {{.fd = wake, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
      (void)poll(fds, 2, cfg.flush_ms);
      if (quit.load(std::memory_order_acquire)) break;
      if (fds[0].revents & POLLIN) {
        uint64_t v;
        (void)!::read(wake, &v, sizeof v);
      }
      const uint64_t asked = settle_asked.load(std::memory_order_acquire);
      receive_all();
      settle_done.store(asked, std::memory_order_release);
      flush_workers();
      publish();
    }
    flush_workers();  // what the workers wrote last
    publish();
  }
};

ConnSync::ConnSync(io::Dataplane& dp) : dp_(dp), loop_(std::make_unique<Loop>(dp)) {}

ConnSync::~ConnSync() {
  stop();
}

Expected<void> ConnSync::start(const ConnSyncConfig& cfg) {
  if (loop_->thread.joinable()) return fail("connection sync already running");
  auto sock = open_sync_socket({.ifname = cfg.ifname,
                                .group = cfg.group,
                                .peers = cfg.peers,
                                .port = cfg.port,
                                .ttl = cfg.ttl});
  if (!sock) return fail(sock.error().message);
  auto l = std::make_unique<Loop>(dp_);
  l->cfg = cfg;
  l->fd = sock->fd;
  l->dests = std::move(sock->dests);
  auto give_up = [&](const std::string& what) {
    const std::string msg = os_error("connection sync: " + what);
    ::close(l->fd);
    return Expected<void>(fail(msg));
  };
  l->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (l->wake < 0) return give_up("eventfd");
  l->node = std::random_device{}() | 1;  // never 0
  l->out.resize(std::max<size_t>(cfg.maxlen, kSyncHeaderLen + kSyncRecordV6));
  l->in.resize(65536);
  l->heard_ms.store(now_ms());
  loop_ = std::move(l);
  Loop& raw = *loop_;
  dp_.sync(true);
  loop_->thread = std::thread([&raw] { raw.run(); });
  return {};
}

void ConnSync::stop() {
  if (!loop_->thread.joinable()) return;
  dp_.sync(false);
  loop_->quit.store(true, std::memory_order_release);
  const uint64_t one = 1;
  (void)!::write(loop_->wake, &one, sizeof one);
  loop_->thread.join();
  ::close(loop_->wake);
  ::close(loop_->fd);
  loop_ = std::make_unique<Loop>(dp_);
}

bool ConnSync::running() const {
  return loop_->thread.joinable();
}

bool ConnSync::wait_bulk(int idle_ms, int max_ms) {
  const int64_t until = now_ms() + max_ms;
  while (running()) {
    if (loop_->bulk_in.load(std::memory_order_acquire)) return true;
    const int64_t now = now_ms();
    if (now >= until || now - loop_->heard_ms.load(std::memory_order_acquire) >= idle_ms)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

bool ConnSync::settle(int timeout_ms) {
  if (!running()) return true;
  const int64_t until = now_ms() + timeout_ms;
  const uint64_t want = loop_->settle_asked.fetch_add(1, std::memory_order_acq_rel) + 1;
  const uint64_t one = 1;
  (void)!::write(loop_->wake, &one, sizeof one);
  while (loop_->settle_done.load(std::memory_order_acquire) < want) {
    if (now_ms() >= until) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return dp_.applied(static_cast<int>(std::max<int64_t>(until - now_ms(), 0)));
}

ConnSyncCounters ConnSync::counters() const {
  std::lock_guard lock(loop_->mu);
  return loop_->shown;
}

const ConnSyncConfig& ConnSync::config() const {
  return loop_->cfg;
}

}  // namespace gale::ha
