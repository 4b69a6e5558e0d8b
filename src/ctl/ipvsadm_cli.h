// ipvsadm 1.31's command line, parsed into what galectl asks galed for (docs/galectl.md).
// The syntax, the defaults and the refusals are ipvsadm's (read from its ipvsadm.c): a
// command first, then options popt-style (bundled short options, `--long=ARG`, `-p`'s
// optional argument), the command/option table, the tunnel-type/option table, and the
// same messages and exit codes (2 for a refused option, 255 where ipvsadm prints its
// "Try ... -h" line or a kernel error). gale's own options are long only: --fullnat,
// --proxy-protocol, --toa / --no-toa, --set-health up|down, --vrrp, --socket PATH; and
// `-o json` (ipvsadm's -o, --ops, takes no argument) prints a listing as JSON.
//
// Pure: host and service names go through an injected Resolver (numeric only when
// absent), so tests and `-R` on a machine without DNS do not block.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "ctl/model.h"
#include "ctl/sync_daemon.h"

namespace gale::ctl::ipvsadm {

enum class Command : uint8_t {
  none,
  add_service,     // -A
  edit_service,    // -E
  delete_service,  // -D
  clear,           // -C
  list,            // -L, -l
  add_dest,        // -a
  delete_dest,     // -d
  edit_dest,       // -e
  set_timeout,     // --set
  start_daemon,    // --start-daemon master|backup: a connection sync role
  stop_daemon,     // --stop-daemon master|backup
  restore,         // -R
  save,            // -S
  zero,            // -Z
  help,            // -h
  version,         // -v
  set_health,      // gale: --set-health up|down
  vrrp,            // gale: --vrrp (the VRRP instances' state)
};

// ipvsadm's FMT_* flags: how a listing is printed.
struct ListFormat {
  bool numeric = false;  // -n
  bool rule = false;     // -S: the listing as -A/-a lines
  bool stats = false;
  bool rate = false;
  bool thresholds = false;
  bool persistent_conn = false;
  bool nosort = false;
  bool exact = false;
  bool tun_info = false;
};

// One parsed command line.
struct Invocation {
  Command command = Command::none;
  bool has_service = false;  // -t, -u or -f given
  ServiceSpec service;
  bool has_dest = false;  // -r given
  DestSpec dest;
  ListFormat format;
  bool connections = false;                                       // -L -c
  bool timeouts = false;                                          // -L --timeout
  bool daemon = false;                                            // -L --daemon
  uint32_t tcp_timeout = 0, tcpfin_timeout = 0, udp_timeout = 0;  // --set
  bool healthy = true;                                            // --set-health
  bool json = false;                                              // -o json
  std::optional<std::string> socket;                              // --socket PATH
  SyncRole sync_role = SyncRole::master;                          // --start-daemon, --stop-daemon
  SyncDaemonConf sync;  // --start-daemon's options (ipvsadm's eth0 default)
};

// A refused command line: what ipvsadm prints on stderr, and its exit status.
struct Refusal {
  int exit_code = 2;
  std::string message;
};

// Name lookups ipvsadm does through libc (gethostbyname, getservbyname and reverse).
// Empty functions: numeric only.
struct Resolver {
  std::function<std::optional<net::IpAddr>(std::string_view host)> host_addr;
  std::function<std::optional<uint16_t>(std::string_view service, uint8_t proto)> service_port;
};

// args excludes the program name. `program` is used in the "Try `%s -h'" line.
gale::Result<Invocation, Refusal> parse(const std::vector<std::string>& args,
                                        const Resolver& names = {},
                                        std::string_view program = "galectl");

// -R's input: one command per line as -S prints them; words split on blanks, the word
// "ipvsadm" (or "galectl") skipped, blank lines and `#` comment lines skipped. Every
// line is parsed before anything is applied; a bad line is refused with its number.
gale::Result<std::vector<Invocation>, Refusal> parse_restore(std::string_view text,
                                                             const Resolver& names = {},
                                                             std::string_view program = "galectl");

// ipvsadm -h's text (gale's long options added at the end) and -v's line.
std::string usage(std::string_view program);
std::string version_line();

}  // namespace gale::ctl::ipvsadm
