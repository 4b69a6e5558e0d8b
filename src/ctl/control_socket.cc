#include "ctl/control_socket.h"

#include "ctl/script_user.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace gale::ctl {

namespace {

// The socket's directory: created if missing; given to the group when it is a private
// directory of ours (never /run or /tmp themselves).
Expected<void> prepare_dir(const std::string& dir, std::optional<gid_t> gid) {
  const mode_t mode = gid ? 0750 : 0700;
  if (mkdir(dir.c_str(), mode) != 0 && errno != EEXIST)
    return fail("control socket directory " + dir + ": " + std::strerror(errno));
  struct stat st {};
  if (!gid || stat(dir.c_str(), &st) != 0 || st.st_uid != geteuid()) return {};
  const mode_t perm = st.st_mode & 07777;
  if (perm != 0700 && perm != 0750) return {};
  if (chown(dir.c_str(), static_cast<uid_t>(-1), *gid) != 0 || chmod(dir.c_str(), 0750) != 0)
    return fail("control socket directory " + dir + ": " + std::strerror(errno));
  return {};
}

}  // namespace

Expected<ControlSocket> ControlSocket::open(const std::string& path, const std::string& group,
                                            Handler handler) {
  sockaddr_un sa{};
  if (path.size() >= sizeof sa.sun_path) return fail("control socket path too long: " + path);
  std::optional<gid_t> gid;
  if (!group.empty()) {
    auto g = resolve_group(group);
    if (!g) return fail("control_socket_group \"" + group + "\": " + g.error().message);
    gid = *g;
  }
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0)
    if (auto r = prepare_dir(path.substr(0, slash), gid); !r) return fail(r.error().message);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("control socket: " + std::string(std::strerror(errno)));
  unlink(path.c_str());
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size());
  const mode_t old = umask(gid ? 0117 : 0177);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  umask(old);
  if (rc == 0 && gid) rc = chown(path.c_str(), static_cast<uid_t>(-1), *gid);
  if (rc < 0 || listen(fd, 16) < 0) {
    std::string e = std::strerror(errno);
    close(fd);
    unlink(path.c_str());
    return fail("control socket " + path + ": " + e);
  }
  return ControlSocket(fd, path, std::move(handler));
}

ControlSocket::ControlSocket(ControlSocket&& o) noexcept
    : listen_fd_(o.listen_fd_),
      path_(std::move(o.path_)),
      handler_(std::move(o.handler_)),
      clients_(std::move(o.clients_)) {
  o.listen_fd_ = -1;
  o.clients_.clear();
}

ControlSocket::~ControlSocket() {
  for (auto& c : clients_)
    close(c.fd);
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(path_.c_str());
  }
}

std::vector<int> ControlSocket::fds() const {
  std::vector<int> v{listen_fd_};
  for (const auto& c : clients_)
    v.push_back(c.fd);
  return v;
}

void ControlSocket::serve() {
  for (;;) {
    int c = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) break;
    clients_.push_back({c, {}});
  }
  for (size_t i = 0; i < clients_.size();) {
    Client& c = clients_[i];
    char buf[4096];
    bool closed = false;
    for (;;) {
      ssize_t n = read(c.fd, buf, sizeof buf);
      if (n > 0) {
        c.buf.append(buf, static_cast<size_t>(n));
        if (c.buf.size() > (1 << 20)) closed = true;  // no request is that long
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) closed = true;
      break;
    }
    size_t nl;
    while ((nl = c.buf.find('\n')) != std::string::npos) {
      const std::string line = c.buf.substr(0, nl);
      c.buf.erase(0, nl + 1);
      nlohmann::json answer;
      try {
        answer = handler_(nlohmann::json::parse(line));
      } catch (const std::exception& e) {
        answer = {{"ok", false}, {"error", std::string("bad request: ") + e.what()}};
      }
      const std::string out = answer.dump() + "\n";
      // Answers are small; a client that does not read them is dropped.
      if (write(c.fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) closed = true;
    }
    if (closed) {
      close(c.fd);
      clients_.erase(clients_.begin() + static_cast<ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

}  // namespace gale::ctl
