// The control socket (DESIGN.md section 6): a Unix stream socket, root-only by default,
// one JSON request per line and one JSON answer per line. galectl is a client; so is
// anything an operator automates (`echo '{"cmd":"stats"}' | socat - UNIX:/run/gale/gale.sock`).
// Served from the daemon's control loop (poll), never from a worker.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/expected.h"

namespace gale::ctl {

class ControlSocket {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  // Binds `path` (replacing a stale socket file), mode 0600; with a `group`, mode 0660
  // and that group, and a directory created for it (or a private one already there,
  // mode 0700 or 0750 and ours) 0750 with that group.
  static Expected<ControlSocket> open(const std::string& path, const std::string& group,
                                      Handler handler);
  ControlSocket(ControlSocket&& o) noexcept;
  ControlSocket& operator=(ControlSocket&&) = delete;
  ~ControlSocket();

  // File descriptors to poll for reading.
  std::vector<int> fds() const;
  // Accepts and serves whatever is ready (non-blocking).
  void serve();

 private:
  ControlSocket(int fd, std::string path, Handler h)
      : listen_fd_(fd), path_(std::move(path)), handler_(std::move(h)) {}
  struct Client {
    int fd;
    std::string buf;
  };
  int listen_fd_ = -1;
  std::string path_;
  Handler handler_;
  std::vector<Client> clients_;
};

}  // namespace gale::ctl
