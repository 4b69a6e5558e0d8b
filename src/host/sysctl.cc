#include "host/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gale::host {

std::optional<unsigned> read_sysctl(const std::string& path) {
  const int fd = open(("/proc/sys/" + path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[16];
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0 || buf[0] < '0' || buf[0] > '9') return std::nullopt;
  buf[n] = 0;
  return static_cast<unsigned>(std::strtoul(buf, nullptr, 10));
}

Expected<void> write_sysctl(const std::string& path, unsigned value) {
  const std::string where = "/proc/sys/" + path;
  const int fd = open(where.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(where + ": " + std::strerror(errno));
  const std::string text = std::to_string(value);
  const ssize_t n = write(fd, text.data(), text.size());
  const int e = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size()))
    return fail("writing " + text + " to " + where + ": " + std::strerror(n < 0 ? e : EIO));
  return {};
}

}  // namespace gale::host
