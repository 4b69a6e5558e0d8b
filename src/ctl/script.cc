#include "ctl/script.h"

#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "ctl/script_user.h"

extern char** environ;

namespace gale::ctl {

int spawn_script(const std::string& cmd, const std::string& user) {
  const auto as = ctl::resolve_script_user(user);
  if (!as) return -ESRCH;
  // Another user: util-linux's setpriv switches ids (and the user's supplementary
  // groups) and execs the shell, so galed itself never forks a copy of its memory.
  std::vector<std::string> args;
  if (*as && ((*as)->uid != geteuid() || (*as)->gid != getegid()))
    args = {"/usr/bin/setpriv", "--reuid=" + std::to_string((*as)->uid),
            "--regid=" + std::to_string((*as)->gid), "--init-groups", "--"};
  for (const char* a : {"/bin/sh", "-c"})
    args.emplace_back(a);
  args.push_back(cmd);
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;  // galed blocks signals for its signalfd: the script must not inherit that
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t dfl;
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &dfl);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], nullptr, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return -rc;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    const int err = errno;
    ::waitpid(pid, nullptr, 0);  // cannot watch it: at least do not leave a zombie
    return -err;
  }
  return pidfd;
}

}  // namespace gale::ctl
