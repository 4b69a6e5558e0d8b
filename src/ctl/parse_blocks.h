// The parsers of the top-level blocks, one file each (parse_vs.cc, parse_vrrp.cc,
// parse_gale.cc), called by parser.cc; validate.cc checks the whole Config after them.
// Internal to ctl/.
#pragma once

#include "base/expected.h"
#include "ctl/config.h"
#include "ctl/syntax.h"

namespace gale::ctl::detail {

Expected<void> parse_virtual_server(const Statement& s, Config& c);
Expected<void> parse_virtual_server_group(const Statement& s, Config& c);
Expected<void> parse_vrrp_instance(const Statement& s, Config& c);
Expected<void> parse_vrrp_sync_group(const Statement& s, Config& c);
Expected<void> parse_vrrp_script(const Statement& s, Config& c);
// track_file / vrrp_track_file and vrrp_track_process (parse_track.cc).
Expected<void> parse_track_file(const Statement& s, Config& c);
Expected<void> parse_track_process(const Statement& s, Config& c);
Expected<void> parse_gale(const Statement& s, Config& c);
// `timeout tcp N tcpfin N udp N` (gale) and `lvs_timeouts ...` (global_defs).
Expected<void> parse_timeouts(const Statement& s, lb::Timeouts& t);

// One warning per directive that is stored but not acted on (warnings.cc).
std::vector<Warning> unacted_directives(const std::vector<Statement>& top);

// Without a gale block: the settings derived from the rest of the config (derive.cc).
Expected<void> derive_gale_defaults(Config& c, const LinkOf& link_of, const std::string& main_file);

// Cross-directive checks: references resolve, families agree, required settings exist.
// Problems keepalived would accept (a fwmark no match rule marks) go to `warnings`.
Expected<void> validate(const Config& c, const std::string& main_file,
                        std::vector<Warning>& warnings);
// track_file / track_process lines name what the config defines (validate_track.cc).
Expected<void> check_tracks(const Config& c, std::vector<Warning>& warnings);
// The virtual servers' part of validate(): ctl::Model checks every runtime change with it.
Expected<void> check_virtual_servers(const Config& c);

}  // namespace gale::ctl::detail
