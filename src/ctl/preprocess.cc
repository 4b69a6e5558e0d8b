#include "ctl/preprocess.h"

#include <unistd.h>

#include <cctype>

namespace gale::ctl {

namespace {

bool name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Where a comment starts (an unquoted '#' or '!'), or the line's length.
size_t comment_start(std::string_view line) {
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && (c == '#' || c == '!')) {
      return i;
    }
  }
  return line.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// "$NAME=value" (spaces allowed before '='): the name and the value, or false.
bool definition(std::string_view s, std::string& name, std::string_view& value) {
  if (s.size() < 3 || s[0] != '$' || !name_start(s[1])) return false;
  size_t i = 2;
  while (i < s.size() && name_char(s[i]))
    ++i;
  size_t eq = i;
  while (eq < s.size() && (s[eq] == ' ' || s[eq] == '\t'))
    ++eq;
  if (eq >= s.size() || s[eq] != '=') return false;
  name = std::string(s.substr(1, i - 1));
  value = trim(s.substr(eq + 1, comment_start(s.substr(eq + 1))));
  return true;
}

std::string where(const std::string& file, uint32_t line, size_t col) {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col + 1);
}

}  // namespace

std::string default_config_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "";
  std::string id = host;
  return id.substr(0, id.find('.'));
}

Expected<Lines> resolve_lines(std::string_view text, const std::string& file, LineContext& ctx) {
  Lines out;
  const auto emit = [&out](std::string_view line, uint32_t source) {
    out.text.append(line);
    out.text.push_back('\n');
    out.source_line.push_back(source);
  };
  std::vector<std::string>* continuing = nullptr;  // a multiline definition being read
  uint32_t n = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    pos = end + 1;
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (continuing) {
      std::string_view v = trim(std::string_view(line).substr(0, comment_start(line)));
      const bool more = !v.empty() && v.back() == '\\';
      if (more) v = trim(v.substr(0, v.size() - 1));
      if (!v.empty()) continuing->emplace_back(v);
      if (!more) continuing = nullptr;
      emit("", n);
      continue;
    }
    // Uses, then a conditional or a definition; a use may reveal either (keepalived
    // rechecks), so go round again, a bounded number of times (a definition that uses
    // itself would never end).
    std::vector<std::string> extra;  // lines a multiline use adds after this one
    for (int round = 0;; ++round) {
      if (round == 16)
        return fail(where(file, n, 0) +
                    ": definitions nest more than 16 deep (does one use itself?)");
      const size_t lead = line.find_first_not_of(" \t");
      if (lead == std::string::npos) break;
      if (line[lead] == '@') {
        const bool negate = lead + 1 < line.size() && line[lead + 1] == '^';
        const size_t id_at = lead + (negate ? 2 : 1);
        const size_t id_end = line.find_first_of(" \t", id_at);
        const std::string_view id = std::string_view(line).substr(
            id_at, id_end == std::string::npos ? std::string::npos : id_end - id_at);
        if (id_end == std::string::npos || (id == ctx.config_id) == negate) {
          line.clear();
          break;
        }
        line.replace(lead, id_end - lead, id_end - lead, ' ');  // columns stay true
        continue;
      }
      std::string name;
      std::string_view value;
      if (definition(std::string_view(line).substr(lead), name, value)) {
        std::vector<std::string>& lines = ctx.definitions[name];
        lines.clear();
        const bool more = !value.empty() && value.back() == '\\';
        if (more) value = trim(value.substr(0, value.size() - 1));
        if (!value.empty() || !more) lines.emplace_back(value);
        if (more) continuing = &lines;
        line.clear();
        break;
      }
      bool replaced = false;
      const size_t stop = comment_start(line);
      for (size_t d = line.find('$'); d != std::string::npos && d < stop;
           d = line.find('$', d + 1)) {
        const bool braced = d + 1 < line.size() && line[d + 1] == '{';
        const size_t at = d + (braced ? 2 : 1);
        size_t e = at;
        while (e < line.size() && name_char(line[e]))
          ++e;
        if (e == at || (braced && (e >= line.size() || line[e] != '}'))) continue;
        const auto def = ctx.definitions.find(std::string_view(line).substr(at, e - at));
        if (def == ctx.definitions.end()) continue;  // keepalived leaves it as written
        const std::vector<std::string>& v = def->second;
        const std::string rest = line.substr(e + (braced ? 1 : 0));
        line = line.substr(0, d) + (v.empty() ? std::string() : v[0]);
        if (v.size() > 1) {
          extra.insert(extra.begin(), v.begin() + 1, v.end());
          extra.back() += rest;
        } else {
          line += rest;
        }
        replaced = true;
        break;
      }
      if (!replaced) break;
    }
    emit(line, n);
    for (const std::string& x : extra)
      emit(x, n);
  }
  return out;
}

}  // namespace gale::ctl
