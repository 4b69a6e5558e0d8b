// The config's words for lb's enums, one table each: the parsers choose from these and
// the messages name modes with them. Scheduler and encapsulation names are lb's own
// (lb::to_string), so a scheduler added to lb is a word of the config at once; modes
// have the config's own words (keepalived's DR/NAT/TUN, gale's FULLNAT), which differ
// from ipvsadm's (lb::to_string: Route/Masq/Tunnel/FullNat). Internal to ctl/.
#pragma once

#include <span>

#include "ctl/parse_util.h"
#include "lb/snapshot.h"

namespace gale::ctl::detail {

std::span<const Choice<lb::SchedKind>> sched_choices();
std::span<const Choice<lb::FwdMode>> mode_choices();  // FNAT is FULLNAT's alias
std::span<const Choice<lb::TunEncap>> encap_choices();
std::span<const Choice<lb::ProxyProto>> proxy_choices();  // v1 v2 none
// The config's word for a mode ("DR", "NAT", "TUN", "FULLNAT").
const char* mode_name(lb::FwdMode m);

}  // namespace gale::ctl::detail
