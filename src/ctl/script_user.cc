#include "ctl/script_user.h"

#include <grp.h>
#include <pwd.h>

#include <cstring>
#include <string>
#include <vector>

namespace gale::ctl {

namespace {

constexpr std::string_view kDefaultUser = "keepalived_script";

std::optional<passwd> find_user(const std::string& name, std::vector<char>& buf) {
  passwd pw{};
  passwd* found = nullptr;
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
    return std::nullopt;
  return pw;
}

}  // namespace

Expected<uint32_t> resolve_group(const std::string& name) {
  std::vector<char> buf(16384);
  group g{};
  group* found = nullptr;
  const int rc = getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found);
  if (rc != 0) return fail(std::strerror(rc));
  if (!found) return fail("no such group on this host");
  return found->gr_gid;
}

Expected<std::optional<RunAs>> resolve_script_user(std::string_view spec) {
  std::vector<char> buf(16384);
  if (spec.empty()) {
    const auto pw = find_user(std::string(kDefaultUser), buf);
    if (!pw) return std::optional<RunAs>();
    return std::optional<RunAs>(RunAs{.uid = pw->pw_uid, .gid = pw->pw_gid});
  }
  const size_t sp = spec.find(' ');
  const std::string user(spec.substr(0, sp));
  const auto pw = find_user(user, buf);
  if (!pw) return fail("user \"" + user + "\": no such user on this host");
  RunAs as{.uid = pw->pw_uid, .gid = pw->pw_gid};
  if (sp != std::string_view::npos) {
    const std::string grp(spec.substr(sp + 1));
    const auto gid = resolve_group(grp);
    if (!gid) return fail("group \"" + grp + "\": " + gid.error().message);
    as.gid = *gid;
  }
  return std::optional<RunAs>(as);
}

Expected<void> check_script_users(const Config& config) {
  const auto check = [](std::string_view spec, const Location& at) -> Expected<void> {
    if (spec.empty()) return {};
    if (auto r = resolve_script_user(spec); !r)
      return fail(to_string(at) + ": " + r.error().message + " (scripts run as this user)");
    return {};
  };
  if (auto r = check(config.global.script_user, config.global.script_user_at); !r) return r;
  for (const VirtualServerConf& vs : config.virtual_servers)
    for (const RealServerConf& rs : vs.real_servers)
      for (const HealthCheck& hc : rs.checks)
        if (auto r = check(hc.user, hc.user_at); !r) return r;
  for (const NotifyFifo* f : {&config.global.notify_fifo, &config.global.vrrp_notify_fifo})
    if (!f->owner.empty())
      if (auto r = resolve_script_user(f->owner); !r)
        return fail(to_string(f->where) + ": " + r.error().message + " (the FIFO's owner)");
  return {};
}

}  // namespace gale::ctl
