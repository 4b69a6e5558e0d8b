// The fix for AF_PACKET's kernel duplicates (docs/io.md). A packet socket receives a
// copy of each frame; the original still goes up the host stack, which (ip_forward=1)
// forwards it a second time, or answers it with a TCP RST / ICMP port unreachable
// because nothing listens on the VIP. An nft netdev ingress chain runs after the packet
// taps (the AF_PACKET socket already has its copy) and before the IP stack, so dropping
// the owned frames there leaves exactly one copy: the dataplane's.
//
// One table per interface, `netdev gale_owned_<ifname>`, replaced atomically on update.
// Control plane only: runs `nft -f -`.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "lb/snapshot.h"

namespace gale::io {

// The nft table name for an interface (non-alphanumerics mapped to '_').
std::string owned_filter_table(std::string_view ifname);

// The nft script that (re)creates the interface's table with one drop rule per owned
// endpoint (the snapshot's list). ICMP errors about owned flows and later fragments are
// not matched (nft cannot look into the quoted packet, and matches no ports in a
// fragment): the host sees those too, which is harmless.
std::string owned_filter_script(std::string_view ifname, std::span<const lb::Endpoint> owned);

// Installs or replaces the chain on `ifname`.
Expected<void> install_owned_filter(std::string_view ifname, std::span<const lb::Endpoint> owned);
// Removes it; succeeds when there is none.
Expected<void> remove_owned_filter(std::string_view ifname);

}  // namespace gale::io
