// A Listing (ctl/listing.h) as ipvsadm 1.31 prints the IPVS table: the same headers,
// column widths, number scaling (K/M/G/T unless --exact), truncation of long IPv4 names,
// sorting (services by fwmark, family, protocol, address, port; real servers by
// address, port) and -S's rule lines, so scripts that parse `ipvsadm -L -n` or restore
// `ipvsadm -S` read galectl's output unchanged. Byte-for-byte golden tests:
// tests/unit/galectl.
//
// Pure: without -n, names come from an injected resolver (numeric when it has none).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ctl/ipvsadm_cli.h"
#include "ctl/listing.h"
#include "ctl/sync_daemon.h"

namespace gale::ctl::ipvsadm {

// The reverse lookups ipvsadm does without -n (gethostbyaddr, getservbyport).
struct NameLookup {
  std::function<std::optional<std::string>(const net::IpAddr&)> host_name;
  std::function<std::optional<std::string>(uint16_t port, uint8_t proto)> service_name;
};

// ipvsadm -L [format] (the whole table) and -S (format.rule).
std::string render_table(const Listing& l, const ListFormat& format, const NameLookup& names = {});
// ipvsadm -L -t/-u/-f KEY: the title and that one service, or nothing when the listing
// has no such service (ipvsadm then says "No such service" and exits 1).
std::optional<std::string> render_service(const Listing& l, const ServiceSpec& key,
                                          const ListFormat& format, const NameLookup& names = {});
// ipvsadm -L -c: "IPVS connection entries" and one line per connection.
std::string render_conns(const ConnListing& c, const ListFormat& format,
                         const NameLookup& names = {});
// ipvsadm -L --timeout.
std::string render_timeouts(uint32_t tcp, uint32_t tcpfin, uint32_t udp);
// ipvsadm -L --daemon: a line per running sync daemon, master first.
std::string render_daemons(const std::vector<SyncDaemonRow>& rows);

// ipvsadm's print_largenum: 9 columns, scaled to K/M/G/T past 8 digits unless exact.
std::string large_number(uint64_t n, bool exact);

}  // namespace gale::ctl::ipvsadm
