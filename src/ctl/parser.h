// The keepalived.conf-dialect parser: text -> a validated Config, or the first error as
// "file:line:col: message" with a hint the operator can act on. Nothing written is
// silently ignored: unknown directives, and keepalived directives gale does not
// implement yet, are errors. Pure (no I/O) except load_config, which reads the file and
// the files its `include GLOB` statements name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "ctl/config.h"

namespace gale::ctl {

// Includes nest at most this deep (a loop of includes stops here).
inline constexpr int kMaxIncludeDepth = 8;

// How to read a config beyond its text.
struct ParseOptions {
  // keepalived's config id (-i) for `@ID` lines; unset: the host name up to its first dot.
  std::optional<std::string> config_id;
  // Without a gale { } block: the interface the route towards an address leaves by (the
  // host's answer; galed sets it). Unset: interfaces come from vrrp_instances only.
  LinkOf link_of;
};

// Parses and validates one config text; file_name is used in messages. `include` is an
// error here (use load_config).
Expected<Config> parse_config(std::string_view text, std::string_view file_name,
                              const ParseOptions& options = {});

// Reads, parses and validates the file at path. `include GLOB` patterns are relative to
// the directory of the file that contains them; a pattern without wildcards must name an
// existing file, a wildcard pattern may match none.
Expected<Config> load_config(const std::string& path, const ParseOptions& options = {});

}  // namespace gale::ctl
