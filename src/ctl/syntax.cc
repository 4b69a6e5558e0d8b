#include "ctl/syntax.h"

#include <utility>

namespace gale::ctl {

std::string where(const Word& w) {
  return (w.file ? *w.file : std::string("<config>")) + ":" + std::to_string(w.line) + ":" +
         std::to_string(w.col);
}

Location location(const Word& w) {
  return Location{.file = w.file ? *w.file : std::string("<config>"), .line = w.line, .col = w.col};
}

namespace {

enum class Tok : uint8_t { word, open, close, end };

struct Token {
  Tok kind = Tok::end;
  Word word;
  uint32_t raw_line = 0;  // the line in the lexed text (a statement's words share it)
};

// Splits text into tokens, tracking line and column (1-based; columns count bytes).
class Lexer {
 public:
  // source_line: the source line of each line of text (resolve_lines), or null.
  Lexer(std::string_view text, std::shared_ptr<const std::string> file,
        const std::vector<uint32_t>* source_line)
      : text_(text), file_(std::move(file)), source_line_(source_line) {}

  Expected<Token> next() {
    skip_space_and_comments();
    Token t;
    const uint32_t line =
        source_line_ && line_ <= source_line_->size() ? (*source_line_)[line_ - 1] : line_;
    t.word = Word{.file = file_, .line = line, .col = col_};
    t.raw_line = line_;
    if (pos_ >= text_.size()) return t;
    const char c = text_[pos_];
    if (c == '{' || c == '}') {
      t.kind = c == '{' ? Tok::open : Tok::close;
      t.word.text = std::string(1, c);
      advance();
      return t;
    }
    t.kind = Tok::word;
    if (c == '"') {
      t.word.quoted = true;
      advance();
      while (true) {
        if (pos_ >= text_.size() || text_[pos_] == '\n')
          return fail(where(t.word) + ": unterminated quoted string (add the closing \")");
        char d = text_[pos_];
        if (d == '"') {
          advance();
          break;
        }
        if (d == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') {
          advance();
          d = text_[pos_];
        }
        t.word.text.push_back(d);
        advance();
      }
      return t;
    }
    while (pos_ < text_.size()) {
      const char d = text_[pos_];
      if (d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == '{' || d == '}' || d == '"')
        break;
      t.word.text.push_back(d);
      advance();
    }
    return t;
  }

 private:
  void advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }
  void skip_space_and_comments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
        advance();
      } else if (c == '#' || c == '!') {
        while (pos_ < text_.size() && text_[pos_] != '\n')
          advance();
      } else {
        break;
      }
    }
  }

  std::string_view text_;
  std::shared_ptr<const std::string> file_;
  const std::vector<uint32_t>* source_line_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  uint32_t col_ = 1;
};

// Builds statements from tokens, one token of lookahead.
class TreeBuilder {
 public:
  TreeBuilder(Lexer& lex, const IncludeReader& reader, int depth)
      : lex_(lex), reader_(reader), depth_(depth) {}

  Expected<std::vector<Statement>> file() {
    auto first = lex_.next();
    if (!first) return fail(first.error().message);
    look_ = std::move(*first);
    return block(nullptr);
  }

 private:
  Expected<void> shift() {
    auto t = lex_.next();
    if (!t) return fail(t.error().message);
    look_ = std::move(*t);
    return {};
  }

  // Statements until the "}" closing `open` (nullptr: until the end of the file).
  Expected<std::vector<Statement>> block(const Statement* open) {
    std::vector<Statement> out;
    while (true) {
      if (look_.kind == Tok::end) {
        if (open)
          return fail(where(open->open) + ": the block of \"" + open->keyword() +
                      "\" opened here is never closed (missing \"}\")");
        return out;
      }
      if (look_.kind == Tok::close) {
        if (!open) return fail(where(look_.word) + ": unexpected \"}\": no block is open here");
        if (auto r = shift(); !r) return fail(r.error().message);
        return out;
      }
      if (look_.kind == Tok::open)
        return fail(where(look_.word) +
                    ": unexpected \"{\": a block must follow a keyword on the line before it");
      Statement s;
      const uint32_t line = look_.raw_line;
      while (look_.kind == Tok::word && look_.raw_line == line) {
        s.words.push_back(std::move(look_.word));
        if (auto r = shift(); !r) return fail(r.error().message);
      }
      if (look_.kind == Tok::open) {
        s.has_block = true;
        s.open = std::move(look_.word);
        if (auto r = shift(); !r) return fail(r.error().message);
        auto inner = block(&s);
        if (!inner) return fail(inner.error().message);
        s.block = std::move(*inner);
      }
      if (s.keyword() == "include" && !s.head().quoted) {
        if (s.has_block)
          return fail(where(s.head()) + ": include takes a file pattern, not a block");
        if (s.words.size() != 2)
          return fail(where(s.head()) + ": include takes one file pattern (include conf.d/*.conf)");
        if (!reader_)
          return fail(where(s.head()) +
                      ": include is only supported when the config is loaded from a file");
        auto inc = reader_(s, depth_);
        if (!inc) return fail(inc.error().message);
        for (Statement& i : *inc)
          out.push_back(std::move(i));
        continue;
      }
      out.push_back(std::move(s));
    }
  }

  Lexer& lex_;
  const IncludeReader& reader_;
  int depth_;
  Token look_;
};

}  // namespace

Expected<std::vector<Statement>> parse_statements(std::string_view text,
                                                  std::shared_ptr<const std::string> file,
                                                  const IncludeReader& reader, int depth,
                                                  LineContext* lines) {
  Lines resolved;
  if (lines) {
    auto r = resolve_lines(text, *file, *lines);
    if (!r) return fail(r.error().message);
    resolved = std::move(*r);
    text = resolved.text;
  }
  Lexer lex(text, std::move(file), lines ? &resolved.source_line : nullptr);
  TreeBuilder b(lex, reader, depth);
  return b.file();
}

}  // namespace gale::ctl
