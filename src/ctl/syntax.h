// The keepalived.conf syntax, below any meaning: tokens (words, quoted strings, "{",
// "}"; comments from "#" or "!" to the end of the line) grouped into statements. A
// statement is the words of one line, optionally followed by a { } block of statements
// (the "{" may open on the next line). `include GLOB` statements are expanded here, at
// any level, by a caller-supplied reader (parser.cc), so the tree the parser walks is
// already whole.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "ctl/config.h"
#include "ctl/preprocess.h"

namespace gale::ctl {

struct Word {
  std::string text;
  bool quoted = false;
  std::shared_ptr<const std::string> file;
  uint32_t line = 0;
  uint32_t col = 0;
};

// "file:line:col" of a word.
std::string where(const Word& w);
Location location(const Word& w);

struct Statement {
  std::vector<Word> words;  // words[0] is the keyword; never empty
  bool has_block = false;
  Word open;  // the "{" (text "{") when has_block
  std::vector<Statement> block;

  const std::string& keyword() const { return words[0].text; }
  const Word& head() const { return words[0]; }
};

// Reads the statements an `include` names: (the include statement, depth of the
// including file) -> the included statements, already expanded.
using IncludeReader =
    std::function<Expected<std::vector<Statement>>(const Statement& include, int depth)>;

// Statements of one file. `include` statements go to `reader`; without one they are an
// error. depth: how many includes deep this file is (reported to the reader). With
// `lines`, keepalived's conditionals and definitions are resolved first (preprocess.h);
// the same context goes to the files an include reads.
Expected<std::vector<Statement>> parse_statements(std::string_view text,
                                                  std::shared_ptr<const std::string> file,
                                                  const IncludeReader& reader, int depth,
                                                  LineContext* lines = nullptr);

}  // namespace gale::ctl
