#include "ctl/parse_util.h"

#include <algorithm>
#include <charconv>

namespace gale::ctl::detail {

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus adjacent transposition.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string closest(std::string_view word, std::span<const std::string_view> candidates) {
  if (word.size() > 64) return "";
  // Up to a third of the word may be wrong (at least one letter, at most three).
  const size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  size_t best = limit + 1;
  std::string_view pick;
  for (std::string_view c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best) {
      best = d;
      pick = c;
    }
  }
  return std::string(pick);
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  const std::string c = closest(word, candidates);
  return c.empty() ? "" : " (did you mean \"" + c + "\"?)";
}

Expected<void> dispatch(std::span<const Statement> block, std::string_view context,
                        std::span<const Rule> rules,
                        std::span<const std::string_view> unsupported) {
  for (const Statement& s : block) {
    const Rule* rule = nullptr;
    for (const Rule& r : rules)
      if (r.name == s.keyword()) rule = &r;
    if (rule) {
      GALE_CTL_TRY(rule->fn(s));
      continue;
    }
    const std::string_view block = context == "the top level" ? "" : context;
    if (warned_keyword(block, s.keyword())) continue;
    if (std::find(unsupported.begin(), unsupported.end(), s.keyword()) != unsupported.end())
      return error_at(s.head(), "\"" + s.keyword() + "\" in " + std::string(context) +
                                    " is not supported yet by gale (remove it; see "
                                    "docs/config.md)");
    std::vector<std::string_view> names;
    for (const Rule& r : rules)
      names.push_back(r.name);
    add_warned_keywords(block, names);
    return error_at(s.head(), "unknown keyword \"" + s.keyword() + "\" in " + std::string(context) +
                                  did_you_mean(s.keyword(), names));
  }
  return {};
}

Expected<void> want_args(const Statement& s, size_t min, size_t max, std::string_view usage) {
  if (s.has_block)
    return error_at(
        s.open, "\"" + s.keyword() + "\" takes a value, not a block (" + std::string(usage) + ")");
  const size_t n = s.words.size() - 1;
  if (n < min)
    return error_at(s.head(), "\"" + s.keyword() + "\" needs a value (" + std::string(usage) + ")");
  if (n > max)
    return error_at(s.words[max + 1], "unexpected \"" + s.words[max + 1].text + "\" after \"" +
                                          s.keyword() + "\" (" + std::string(usage) + ")");
  return {};
}

Expected<void> want_flag(const Statement& s) {
  if (s.has_block) return error_at(s.open, "\"" + s.keyword() + "\" is a flag and takes no block");
  if (s.words.size() > 1)
    return error_at(s.words[1], "unexpected \"" + s.words[1].text + "\": \"" + s.keyword() +
                                    "\" is a flag and takes no value");
  return {};
}

Expected<void> set_flag(const Statement& s, bool& out) {
  if (s.words.size() == 2 && !s.has_block) {
    static constexpr Choice<bool> kBool[] = {{"true", true},   {"on", true},   {"yes", true},
                                             {"false", false}, {"off", false}, {"no", false}};
    auto v = choose<bool>(s.words[1], s.keyword(), kBool);
    if (!v) return fail(v.error().message);
    out = *v;
    return {};
  }
  GALE_CTL_TRY(want_flag(s));
  out = true;
  return {};
}

Expected<void> want_block(const Statement& s, size_t min, size_t max, std::string_view usage) {
  const size_t n = s.words.size() - 1;
  if (n < min)
    return error_at(s.head(), "\"" + s.keyword() + "\" needs " +
                                  (min == 1 ? "a value" : "more values") + " (" +
                                  std::string(usage) + ")");
  if (n > max)
    return error_at(s.words[max + 1], "unexpected \"" + s.words[max + 1].text + "\" after \"" +
                                          s.keyword() + "\" (" + std::string(usage) + ")");
  if (!s.has_block)
    return error_at(s.head(),
                    "\"" + s.keyword() + "\" needs a { } block (" + std::string(usage) + ")");
  return {};
}

Expected<uint64_t> number(const Word& w, std::string_view what, uint64_t lo, uint64_t hi) {
  uint64_t v = 0;
  const char* b = w.text.data();
  const char* e = b + w.text.size();
  const auto [p, ec] = std::from_chars(b, e, v);
  const std::string range = std::to_string(lo) + "-" + std::to_string(hi);
  if (w.text.empty() || p != e || (ec != std::errc() && ec != std::errc::result_out_of_range))
    return error_at(
        w, std::string(what) + " must be a number in " + range + ", not \"" + w.text + "\"");
  if (ec == std::errc::result_out_of_range || v < lo || v > hi)
    return error_at(w, std::string(what) + " " + w.text + " is out of range " + range);
  return v;
}

Expected<int64_t> signed_number(const Word& w, std::string_view what, int64_t lo, int64_t hi) {
  int64_t v = 0;
  const char* b = w.text.data();
  const char* e = b + w.text.size();
  const auto [p, ec] = std::from_chars(b, e, v);
  const std::string range = std::to_string(lo) + " to " + std::to_string(hi);
  if (w.text.empty() || p != e || (ec != std::errc() && ec != std::errc::result_out_of_range))
    return error_at(
        w, std::string(what) + " must be a number from " + range + ", not \"" + w.text + "\"");
  if (ec == std::errc::result_out_of_range || v < lo || v > hi)
    return error_at(w, std::string(what) + " " + w.text + " is out of range " + range);
  return v;
}

Expected<uint32_t> duration_ms(const Word& w, std::string_view what, uint32_t max_s) {
  const std::string& t = w.text;
  const size_t dot = t.find('.');
  const std::string whole = t.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : t.substr(dot + 1);
  const auto bad = [&] {
    return error_at(w, std::string(what) + " must be seconds (like 3 or 0.5), not \"" + t + "\"");
  };
  if (whole.empty() || (dot != std::string::npos && (frac.empty() || frac.size() > 3)))
    return bad();
  for (char c : whole + frac)
    if (c < '0' || c > '9') return bad();
  if (whole.size() > 9 || std::stoull(whole) > max_s)
    return error_at(w, std::string(what) + " " + t + " is out of range 0-" + std::to_string(max_s) +
                           " seconds");
  frac.resize(3, '0');
  const uint64_t ms = std::stoull(whole) * 1000 + std::stoull(frac);
  if (ms > uint64_t{max_s} * 1000)
    return error_at(w, std::string(what) + " " + t + " is out of range 0-" + std::to_string(max_s) +
                           " seconds");
  return static_cast<uint32_t>(ms);
}

Expected<uint16_t> port(const Word& w, std::string_view what) {
  auto v = number(w, what, 1, 65535);
  if (!v) return fail(v.error().message);
  return static_cast<uint16_t>(*v);
}

Expected<net::IpAddr> address(const Word& w, std::string_view what) {
  if (auto a = net::parse_ip(w.text)) return *a;
  return error_at(w, "bad " + std::string(what) + " \"" + w.text +
                         "\" (expected an IPv4 or IPv6 address like 192.0.2.1 or 2001:db8::1)");
}

Expected<net::IpAddr> vrrp_group_address(const Word& w, std::string_view what,
                                         std::optional<net::Family> family, bool link_local_v6) {
  auto a = address(w, what);
  if (!a) return a;
  if (family && a->family != *family)
    return error_at(w, std::string(what) + " " + w.text + " is not " +
                           (*family == net::Family::v6 ? "IPv6" : "IPv4"));
  const bool mcast = a->is_v4() ? (a->v4().v >> 28) == 0xe : a->b[0] == 0xff;
  if (!mcast)
    return error_at(w, std::string(what) + " " + w.text +
                           " is not a multicast address (VRRP's: 224.0.0.18, ff02::12)");
  if (a->is_v6() && link_local_v6 && (a->b[1] & 0x0f) != 2)
    return error_at(w, std::string(what) + " " + w.text +
                           " is not link-local multicast (ff02::/16), as keepalived requires");
  return a;
}

Expected<Prefix> prefix(const Word& w, std::string_view what, bool bare_ok, bool network) {
  const size_t slash = w.text.find('/');
  const std::string a = w.text.substr(0, slash);
  const auto addr = net::parse_ip(a);
  if (!addr)
    return error_at(w, "bad " + std::string(what) + " \"" + w.text +
                           "\" (expected ADDRESS/LENGTH like 192.0.2.0/24)");
  const uint8_t max = addr->is_v4() ? 32 : 128;
  Prefix p{.addr = *addr, .len = max};
  if (slash == std::string::npos) {
    if (!bare_ok)
      return error_at(w, std::string(what) + " \"" + w.text + "\" needs a length (like " + w.text +
                             "/" + std::to_string(max) + ")");
    return p;
  }
  Word lw = w;
  lw.text = w.text.substr(slash + 1);
  lw.col = w.col + static_cast<uint32_t>(slash) + 1;
  auto len = number(lw, "prefix length", 0, max);
  if (!len) return fail(len.error().message);
  p.len = static_cast<uint8_t>(*len);
  p.written_len = true;
  if (network) {
    for (int bit = p.len; bit < max; ++bit)
      if (p.addr.b[bit / 8] & (0x80 >> (bit % 8)))
        return error_at(w, std::string(what) + " \"" + w.text +
                               "\" has host bits set (the network is written with them zero)");
  }
  return p;
}

std::string rest_of(const Statement& s, size_t from) {
  std::string out;
  for (size_t i = from; i < s.words.size(); ++i) {
    if (i > from) out += ' ';
    out += s.words[i].text;
  }
  return out;
}

Expected<void> set_duration(const Statement& s, uint32_t& out, std::string_view usage,
                            uint32_t max_s) {
  if (auto r = want_args(s, 1, 1, usage); !r) return r;
  auto v = duration_ms(s.words[1], s.keyword(), max_s);
  if (!v) return fail(v.error().message);
  out = *v;
  return {};
}

std::vector<Rule> garp_rules(std::string_view prefix, GarpTimers& g) {
  // The keywords and their usage, for vrrp_instance and for global_defs.
  static constexpr std::string_view kInstance[] = {
      "garp_master_delay",          "garp_master_delay SECONDS",
      "garp_master_repeat",         "garp_master_repeat COUNT",
      "garp_master_refresh",        "garp_master_refresh SECONDS",
      "garp_master_refresh_repeat", "garp_master_refresh_repeat COUNT",
      "garp_lower_prio_delay",      "garp_lower_prio_delay SECONDS",
      "garp_lower_prio_repeat",     "garp_lower_prio_repeat COUNT"};
  static constexpr std::string_view kGlobal[] = {
      "vrrp_garp_master_delay",          "vrrp_garp_master_delay SECONDS",
      "vrrp_garp_master_repeat",         "vrrp_garp_master_repeat COUNT",
      "vrrp_garp_master_refresh",        "vrrp_garp_master_refresh SECONDS",
      "vrrp_garp_master_refresh_repeat", "vrrp_garp_master_refresh_repeat COUNT",
      "vrrp_garp_lower_prio_delay",      "vrrp_garp_lower_prio_delay SECONDS",
      "vrrp_garp_lower_prio_repeat",     "vrrp_garp_lower_prio_repeat COUNT"};
  const std::string_view* n = prefix.empty() ? kInstance : kGlobal;
  return {
      {n[0], [&g, u = n[1]](const Statement& x) { return set_number(x, g.delay_s, u, 0, 1000); }},
      {n[2], [&g, u = n[3]](const Statement& x) { return set_number(x, g.repeat, u, 1, 255); }},
      {n[4],
       [&g, u = n[5]](const Statement& x) { return set_number(x, g.refresh_s, u, 0, 100000); }},
      {n[6],
       [&g, u = n[7]](const Statement& x) { return set_number(x, g.refresh_repeat, u, 1, 255); }},
      {n[8],
       [&g, u = n[9]](const Statement& x) { return set_number(x, g.lower_delay_s, u, 0, 1000); }},
      {n[10],
       [&g, u = n[11]](const Statement& x) { return set_number(x, g.lower_repeat, u, 0, 255); }},
  };
}

}  // namespace gale::ctl::detail
