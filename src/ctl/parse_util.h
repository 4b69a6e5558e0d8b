// Shared pieces of the directive parsers (parser.cc, parse_*.cc): keyword dispatch with
// "did you mean" suggestions, and readers of typed values that fail with the word's
// location. Internal to ctl/.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "ctl/config.h"
#include "ctl/syntax.h"
#include "net/addr.h"

namespace gale::ctl::detail {

// Propagates an error from an Expected expression.
#define GALE_CTL_TRY(expr)                                                                         \
  do {                                                                                             \
    if (auto gale_ctl_r_ = (expr); !gale_ctl_r_) return ::gale::fail(gale_ctl_r_.error().message); \
  } while (0)

inline auto error_at(const Word& w, const std::string& message) {
  return fail(where(w) + ": " + message);
}

// The closest candidate within a small edit distance (optimal string alignment, so a
// swapped pair of letters counts one), or "" when nothing is close.
std::string closest(std::string_view word, std::span<const std::string_view> candidates);
// " (did you mean "x"?)" or "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

using Handler = std::function<Expected<void>(const Statement&)>;
struct Rule {
  std::string_view name;
  Handler fn;
};

// Runs each statement of `block` through the rule of its keyword. A keyword without a
// rule is accepted when warnings.cc's table lists it for this block (keepalived's, not
// acted on by gale: its warning comes from unacted_directives), refused when it is in
// `unsupported`, and otherwise an unknown keyword, with a "did you mean" hint. `context`
// is the block's keyword ("real_server"; "the top level" for the file itself).
Expected<void> dispatch(std::span<const Statement> block, std::string_view context,
                        std::span<const Rule> rules,
                        std::span<const std::string_view> unsupported = {});

// warnings.cc's table: whether `keyword` in `block` ("" for the top level) is accepted
// with a warning, and every keyword it lists for `block` (for hints).
bool warned_keyword(std::string_view block, std::string_view keyword);
void add_warned_keywords(std::string_view block, std::vector<std::string_view>& out);

// Shape checks. `usage` shows the expected form in messages ("weight N").
Expected<void> want_args(const Statement& s, size_t min, size_t max, std::string_view usage);
Expected<void> want_flag(const Statement& s);
// A flag, with keepalived's optional boolean word: `alpha`, `alpha yes`, `alpha false`.
Expected<void> set_flag(const Statement& s, bool& out);
Expected<void> want_block(const Statement& s, size_t min, size_t max, std::string_view usage);

// Typed values.
Expected<uint64_t> number(const Word& w, std::string_view what, uint64_t lo, uint64_t hi);
Expected<int64_t> signed_number(const Word& w, std::string_view what, int64_t lo, int64_t hi);
// Seconds with an optional fraction ("0.5") to milliseconds, at most max_s seconds.
Expected<uint32_t> duration_ms(const Word& w, std::string_view what, uint32_t max_s);
Expected<uint16_t> port(const Word& w, std::string_view what);
Expected<net::IpAddr> address(const Word& w, std::string_view what);
// A VRRP multicast group of `family` (nullopt: either), as keepalived checks it: IPv4
// multicast, or IPv6 multicast and, when `link_local_v6`, of link-local scope (ff02::).
Expected<net::IpAddr> vrrp_group_address(const Word& w, std::string_view what,
                                         std::optional<net::Family> family, bool link_local_v6);
// ADDR/LEN; a bare ADDR is a host prefix when `bare_ok`, else an error. Host bits must
// be zero when `network`.
struct Prefix {
  net::IpAddr addr;
  uint8_t len = 0;
  bool written_len = false;
};
Expected<Prefix> prefix(const Word& w, std::string_view what, bool bare_ok, bool network);

// One of a fixed set of names: `unknown lb_algo "wrrr" (did you mean "wrr"?)`.
template <typename T>
struct Choice {
  std::string_view name;
  T value;
};
// The value named `name`, if one is.
template <typename T>
std::optional<T> choice_of(std::span<const Choice<T>> choices, std::string_view name) {
  for (const Choice<T>& c : choices)
    if (c.name == name) return c.value;
  return std::nullopt;
}
template <typename T>
Expected<T> choose(const Word& w, std::string_view what, std::span<const Choice<T>> choices) {
  std::vector<std::string_view> names;
  for (const Choice<T>& c : choices) {
    if (c.name == w.text) return c.value;
    names.push_back(c.name);
  }
  std::string known;
  if (closest(w.text, names).empty()) {
    // Appended piece by piece: g++ 12 at -O3 warns falsely (-Wrestrict) on
    // `"literal" + std::string` (GCC PR 105651).
    for (std::string_view n : names) {
      if (!known.empty()) known += ' ';
      known += n;
    }
    known = " (one of: " + known + ")";
  }
  return error_at(w, "unknown " + std::string(what) + " \"" + w.text + "\"" +
                         did_you_mean(w.text, names) + known);
}

// The rest of a statement's words joined by spaces (a script's command line).
std::string rest_of(const Statement& s, size_t from);

// `KEYWORD NUMBER` with lo <= NUMBER <= hi, into `out`.
template <typename T>
Expected<void> set_number(const Statement& s, T& out, std::string_view usage, uint64_t lo,
                          uint64_t hi) {
  if (auto r = want_args(s, 1, 1, usage); !r) return r;
  auto v = number(s.words[1], s.keyword(), lo, hi);
  if (!v) return fail(v.error().message);
  out = static_cast<T>(*v);
  return {};
}

// keepalived's garp_master_delay/_repeat/_refresh/_refresh_repeat, their names after
// `prefix` ("" in vrrp_instance, "vrrp_" in global_defs), as rules into `g`.
std::vector<Rule> garp_rules(std::string_view prefix, GarpTimers& g);

// `KEYWORD SECONDS` (fractions allowed, at most max_s), into `out` in milliseconds.
Expected<void> set_duration(const Statement& s, uint32_t& out, std::string_view usage,
                            uint32_t max_s);

}  // namespace gale::ctl::detail
