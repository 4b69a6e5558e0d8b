// keepalived's line layer, under the tokens (lib/parser.c's read_line): lines starting
// `@ID` are kept only on the node whose config id is ID (`@^ID`: on every other node),
// `$NAME=value` lines define text that `$NAME` and `${NAME}` stand for in later lines
// (in this file and in the files it includes after the definition), and a definition
// whose line ends with `\` goes on over the following lines. keepalived's `~SEQ` and
// parameterised `${NAME(a,b)}` definitions are not read (they stay errors).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace gale::ctl {

// What the layer needs from outside: the config id (keepalived's -i; by default the host
// name up to its first dot) and the definitions made so far (shared across includes).
struct LineContext {
  std::string config_id;
  std::map<std::string, std::vector<std::string>, std::less<>> definitions;  // lines
};

// The text with conditionals, definitions and uses resolved, and for each of its lines
// (0-based) the line (1-based) of the source it came from, so positions stay true.
// Dropped lines become empty lines; a `@ID ` prefix kept becomes spaces (columns stay).
struct Lines {
  std::string text;
  std::vector<uint32_t> source_line;
};

// The config id keepalived uses when none is given: the host name up to its first dot.
std::string default_config_id();

// `file` names the text in messages ("file:line:col: ...").
Expected<Lines> resolve_lines(std::string_view text, const std::string& file, LineContext& ctx);

}  // namespace gale::ctl
