#include "ha/proc_events.h"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace gale::ha {

std::optional<ProcEvents> ProcEvents::open() {
  const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
  if (fd < 0) return std::nullopt;
  sockaddr_nl sa{.nl_family = AF_NETLINK, .nl_pad = 0, .nl_pid = 0, .nl_groups = CN_IDX_PROC};
  // The subscription: a netlink header, a connector header and PROC_CN_MCAST_LISTEN.
  const uint32_t op = PROC_CN_MCAST_LISTEN;
  nlmsghdr nl{};
  nl.nlmsg_len = NLMSG_LENGTH(sizeof(cn_msg) + sizeof op);
  nl.nlmsg_type = NLMSG_DONE;
  cn_msg cn{};
  cn.id = {.idx = CN_IDX_PROC, .val = CN_VAL_PROC};
  cn.len = sizeof op;
  alignas(nlmsghdr) char req[NLMSG_LENGTH(sizeof(cn_msg) + sizeof op)] = {};
  std::memcpy(req, &nl, sizeof nl);
  std::memcpy(req + NLMSG_HDRLEN, &cn, sizeof cn);
  std::memcpy(req + NLMSG_HDRLEN + sizeof cn, &op, sizeof op);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::send(fd, req, sizeof req, 0) != static_cast<ssize_t>(sizeof req)) {
    ::close(fd);  // no CAP_NET_ADMIN, or not the initial network namespace
    return std::nullopt;
  }
  return ProcEvents(fd);
}

ProcEvents::~ProcEvents() {
  if (fd_ >= 0) ::close(fd_);
}

bool ProcEvents::drain(const std::function<void(const ProcEvent&)>& on) {
  bool complete = true;
  alignas(nlmsghdr) char buf[8192];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        complete = false;
        continue;
      }
      return complete;  // EAGAIN: nothing more
    }
    ssize_t len = n;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<uint32_t>(len));
         h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(cn_msg))) continue;
      const auto* cn = reinterpret_cast<const cn_msg*>(NLMSG_DATA(h));
      // As much of the event as the kernel sent (its union may be smaller than ours);
      // every event used here is four pids after the common header.
      const size_t room = h->nlmsg_len - NLMSG_LENGTH(sizeof(cn_msg));
      const size_t got = std::min<size_t>({cn->len, room, sizeof(proc_event)});
      if (got < offsetof(proc_event, event_data) + 4 * sizeof(__kernel_pid_t)) continue;
      proc_event ev{};
      std::memcpy(&ev, cn->data, got);
      const auto& d = ev.event_data;
      // Threads are not processes: a scan counts thread group leaders only.
      switch (ev.what) {
        case proc_event::PROC_EVENT_EXEC:
          if (d.exec.process_pid == d.exec.process_tgid)
            on({.kind = ProcEvent::Kind::exec, .pid = d.exec.process_pid});
          break;
        case proc_event::PROC_EVENT_COMM:
          if (d.comm.process_pid == d.comm.process_tgid)
            on({.kind = ProcEvent::Kind::comm, .pid = d.comm.process_pid});
          break;
        case proc_event::PROC_EVENT_FORK:
          if (d.fork.child_pid == d.fork.child_tgid)
            on({.kind = ProcEvent::Kind::fork,
                .pid = d.fork.child_pid,
                .parent = d.fork.parent_tgid});
          break;
        case proc_event::PROC_EVENT_EXIT:
          if (d.exit.process_pid == d.exit.process_tgid)
            on({.kind = ProcEvent::Kind::exit, .pid = d.exit.process_pid});
          break;
        default:
          break;
      }
    }
  }
}

}  // namespace gale::ha
