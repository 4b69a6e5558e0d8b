// Small integer kernel settings under /proc/sys (net/ipv4/conf/IF/arp_ignore, ...).
#pragma once

#include <optional>
#include <string>

#include "base/expected.h"

namespace gale::host {

// /proc/sys/`path` as a number (nullopt: no such setting, or not a number).
std::optional<unsigned> read_sysctl(const std::string& path);
// Writes `value` to /proc/sys/`path`; an error names the setting and the reason.
Expected<void> write_sysctl(const std::string& path, unsigned value);

}  // namespace gale::host
