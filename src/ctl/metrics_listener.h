// The metrics endpoint: a small non-blocking HTTP/1.x server for Prometheus' scrapes,
// served from galed's control loop (poll) like the control socket, never from a worker.
// GET (or HEAD) /metrics answers the exposition `render` returns at that moment; any
// other path is 404, another method 405, a malformed request 400. One request per
// connection (Connection: close): Prometheus opens few connections, and keeping none
// open keeps the state small. A request is bounded (kMaxRequest bytes, kRequestTimeout
// to arrive in full) and so is the number of clients, so a slow or hostile client costs
// at most one slot and never delays the loop: every socket is non-blocking.
#pragma once

#include <poll.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "ctl/config.h"

namespace gale::ctl {

class MetricsListener {
 public:
  using Render = std::function<std::string()>;
  static constexpr size_t kMaxRequest = 8192;  // request line + headers
  static constexpr size_t kMaxClients = 256;   // more wait in the listen backlog
  static constexpr std::chrono::seconds kRequestTimeout{10};

  // Listens on `at` (port 0: any free port; see port()).
  static Expected<MetricsListener> open(const Endpoint& at, Render render);
  MetricsListener(MetricsListener&& o) noexcept;
  MetricsListener& operator=(MetricsListener&&) = delete;
  ~MetricsListener();

  // What to poll: the listening socket for reading, each client for what it waits on.
  std::vector<pollfd> pollfds() const;
  // Accepts, reads, answers and writes whatever is ready, without blocking.
  void serve();
  uint16_t port() const { return port_; }
  size_t clients() const { return clients_.size(); }

 private:
  struct Client {
    int fd = -1;
    std::string in;   // the request so far
    std::string out;  // the answer not yet sent
    size_t sent = 0;
    bool answered = false;
    bool written = false;  // the answer is out and our side shut: waiting for the peer's FIN
    std::chrono::steady_clock::time_point deadline;
  };
  MetricsListener(int fd, uint16_t port, Render render)
      : listen_fd_(fd), port_(port), render_(std::move(render)) {}
  void accept_all();
  // Reads what is there; false once the client is to be closed.
  bool read_request(Client& c);
  void answer(Client& c);
  // Writes what it can; false once the peer went away.
  bool write_answer(Client& c);
  // Reads and discards until the peer closes; false then. Closing with unread data
  // would send a reset, which can destroy the answer still in flight.
  bool linger(Client& c);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  Render render_;
  std::vector<Client> clients_;
};

}  // namespace gale::ctl
