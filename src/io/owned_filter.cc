#include "io/owned_filter.h"

#include <netinet/in.h>

#include "io/command.h"

namespace gale::io {

namespace {

std::string l4_match(uint8_t proto) {
  switch (proto) {
    case IPPROTO_TCP:
      return "meta l4proto tcp";
    case IPPROTO_UDP:
      return "meta l4proto udp";
    default:
      return "meta l4proto { tcp, udp }";
  }
}

std::string ports(uint16_t lo, uint16_t hi) {
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
}

std::string reset_table(const std::string& table) {
  // Declaring the table first makes the delete succeed when it does not exist yet; the
  // whole script is one nft transaction, so the swap is atomic.
  return "table netdev " + table + "\ndelete table netdev " + table + "\n";
}

}  // namespace

std::string owned_filter_table(std::string_view ifname) {
  std::string t = "gale_owned_";
  for (char c : ifname) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    t += ok ? c : '_';
  }
  return t;
}

std::string owned_filter_script(std::string_view ifname, std::span<const lb::Endpoint> owned) {
  const std::string table = owned_filter_table(ifname);
  std::string s = reset_table(table);
  s += "table netdev " + table + " {\n";
  s += "  chain owned {\n";
  s += "    type filter hook ingress device \"" + std::string(ifname) +
       "\" priority -500; policy accept;\n";
  for (const lb::Endpoint& e : owned) {
    if (e.addr.family == net::Family::none || e.kind == lb::EndpointKind::service_addr) continue;
    const char* fam = e.addr.is_v4() ? "ip" : "ip6";
    const char* dir = e.by_source() ? "saddr" : "daddr";
    const char* pdir = e.by_source() ? "sport" : "dport";
    // Appended piece by piece: g++ 12 at -O3 raises a false -Werror=restrict on chains
    // of std::string operator+ here.
    s.append("    ").append(fam).append(" ").append(dir).append(" ");
    s.append(net::to_text(e.addr).c_str());
    if (e.prefix_len < (e.addr.is_v4() ? 32 : 128))
      s.append("/").append(std::to_string(e.prefix_len));
    s.append(" ").append(l4_match(e.proto)).append(" th ").append(pdir).append(" ");
    s.append(ports(e.port_lo, e.port_hi)).append(" drop\n");
  }
  s += "  }\n}\n";
  return s;
}

Expected<void> install_owned_filter(std::string_view ifname, std::span<const lb::Endpoint> owned) {
  auto r = run_command({"nft", "-f", "-"}, owned_filter_script(ifname, owned));
  if (!r)
    return fail("installing the owned-traffic filter on " + std::string(ifname) + ": " +
                r.error().message);
  return {};
}

Expected<void> remove_owned_filter(std::string_view ifname) {
  auto r = run_command({"nft", "-f", "-"}, reset_table(owned_filter_table(ifname)));
  if (!r)
    return fail("removing the owned-traffic filter from " + std::string(ifname) + ": " +
                r.error().message);
  return {};
}

}  // namespace gale::io
