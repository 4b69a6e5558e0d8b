// Every keyword keepalived 2.2.7 accepts (tests/keepalived/keywords.txt, read from its
// source by tests/keepalived/keywords_from_source.py) is accepted by gale in its block:
// acted on, or accepted with at most one warning at the keyword. gale's own keywords in
// keepalived's blocks follow in the same file (after "# gale's own"), marked so. With
// GALE_KEYWORD_TABLE=FILE set, the test also writes the markdown table docs/config.md
// carries (what gale does with each keyword).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ctl/parser.h"

namespace gale::ctl {
namespace {

struct Entry {
  std::vector<std::string> path;  // enclosing blocks, outermost first
  std::string sample;             // the statement, lines separated by '\n'
  int line = 0;                   // in keywords.txt
  bool gale_own = false;          // not keepalived's: after the "# gale's own" line
};

std::vector<Entry> read_keywords() {
  std::ifstream in(std::string(GALE_SOURCE_DIR) + "/tests/keepalived/keywords.txt");
  EXPECT_TRUE(in.good()) << "cannot read tests/keepalived/keywords.txt";
  std::vector<Entry> out;
  std::string line;
  int n = 0;
  bool gale_own = false;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("# gale's own", 0) == 0) gale_own = true;
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    EXPECT_NE(tab, std::string::npos) << "keywords.txt:" << n << ": no tab";
    if (tab == std::string::npos) continue;
    Entry e{.line = n, .gale_own = gale_own};
    std::istringstream blocks(line.substr(0, tab));
    for (std::string b; blocks >> b;)
      if (b != "-") e.path.push_back(b);
    const std::string s = line.substr(tab + 1);
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
        e.sample += '\n';
        ++i;
      } else {
        e.sample += s[i];
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

// How a block opens, and what it must contain to be valid on its own.
struct Opening {
  std::string head;
  std::string required;
};

Opening opening(const std::string& block) {
  if (block == "virtual_server") return {"virtual_server 192.0.2.1 80", ""};
  if (block == "real_server") return {"real_server 192.0.2.2 80", ""};
  if (block == "vrrp_instance")
    return {"vrrp_instance VI_2", "interface eth0\nvirtual_router_id 60\n"};
  if (block == "vrrp_sync_group") return {"vrrp_sync_group SG2", "group {\nVI_1\n}\n"};
  if (block == "vrrp_script") return {"vrrp_script chk2", "script /bin/true\n"};
  if (block == "HTTP_GET" || block == "SSL_GET") return {block, "url {\npath /\n}\n"};
  if (block == "url") return {block, "path /\n"};
  if (block == "MISC_CHECK") return {block, "misc_path /bin/true\n"};
  if (block == "track_file" || block == "vrrp_track_file")
    return {block + " name1", "file /tmp/gale-kw-name1\n"};
  if (block == "vrrp_track_process") return {block + " name1", "process sleeper\n"};
  if (block == "bfd_instance" || block == "track_group" || block == "garp_group")
    return {block + " name1", ""};
  return {block, ""};
}

// A whole config with `e.sample` in its block; *line: the line the sample starts on.
std::string config_for(const Entry& e, int* line) {
  std::string text =
      "gale {\n interfaces eth0\n}\n"
      "vrrp_script chk1 {\n script /bin/true\n}\n"
      "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n}\n";
  for (const std::string& b : e.path) {
    const Opening o = opening(b);
    text += o.head + " {\n" + o.required;
  }
  *line = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  text += e.sample + "\n";
  for (size_t i = 0; i < e.path.size(); ++i)
    text += "}\n";
  return text;
}

std::string keyword_of(const Entry& e) {
  return e.sample.substr(0, e.sample.find_first_of(" \n"));
}

TEST(KeepalivedKeywords, EveryOneIsAcceptedInItsBlock) {
  const std::vector<Entry> entries = read_keywords();
  EXPECT_GT(entries.size(), 400u);
  std::ostringstream table;
  table << "| block | keyword | gale |\n|---|---|---|\n";
  for (const Entry& e : entries) {
    int line = 0;
    const std::string text = config_for(e, &line);
    auto c = parse_config(text, "k.conf");
    std::string path;
    for (const std::string& b : e.path)
      path += (path.empty() ? "" : " ") + b;
    if (!c.has_value()) {
      ADD_FAILURE() << "keywords.txt:" << e.line << ": \"" << keyword_of(e) << "\" in "
                    << (path.empty() ? "the top level" : path) << " refused: " << c.error().message
                    << "\n--- config:\n"
                    << text;
      continue;
    }
    std::vector<std::string> at_keyword;
    for (const Warning& w : c->warnings)
      if (static_cast<int>(w.where.line) == line) at_keyword.push_back(w.message);
    EXPECT_LE(at_keyword.size(), 1u) << "keywords.txt:" << e.line << ": several warnings";
    std::string what = at_keyword.empty() ? "acted on" : "warning: " + at_keyword[0];
    if (at_keyword.empty())
      for (const Warning& w : c->warnings)
        if (static_cast<int>(w.where.line) < line && static_cast<int>(w.where.line) > 10)
          what = "inside an inert block (its warning covers it)";
    if (e.gale_own) what = "gale's own (keepalived does not know it): " + what;
    table << "| " << (path.empty() ? "(top)" : path) << " | `" << keyword_of(e) << "` | " << what
          << " |\n";
  }
  if (const char* out = std::getenv("GALE_KEYWORD_TABLE")) std::ofstream(out) << table.str();
}

}  // namespace
}  // namespace gale::ctl
