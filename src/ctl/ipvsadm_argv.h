// popt's walk over an ipvsadm command line, as ipvsadm 1.31 configures it: its option
// table (long name, short letter, argument) plus gale's long-only options, bundled short
// options (-Ln), `--name=ARG`, `-p`'s optional argument (taken only when the next word
// is not an option), `--` ending the options, and the other words kept as leftovers.
// Internal to ipvsadm_cli.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gale::ctl::ipvsadm::detail {

enum class Arg : uint8_t { none, required, optional };

// Tags of the options that are not in the Opt table (commands, no-ops, gale's own).
enum Tag : int {
  tag_A = 1000,
  tag_E,
  tag_D,
  tag_C,
  tag_L,
  tag_Z,
  tag_a,
  tag_e,
  tag_d,
  tag_set,
  tag_h,
  tag_v,
  tag_R,
  tag_S,
  tag_start_daemon,
  tag_stop_daemon,
  tag_t,
  tag_u,
  tag_sctp,
  tag_f,
  tag_s,
  tag_p,
  tag_M,
  tag_r,
  tag_m,
  tag_i,
  tag_g,
  tag_w,
  tag_x,
  tag_y,
  tag_n,
  tag_c,
  tag_mcast_if,
  tag_syncid,
  tag_timeout,
  tag_daemon,
  tag_stats,
  tag_rate,
  tag_thresholds,
  tag_pconn,
  tag_nosort,
  tag_sort,
  tag_X,
  tag_6,
  tag_o,
  tag_pe,
  tag_b,
  tag_mcast_group,
  tag_mcast_port,
  tag_mcast_ttl,
  tag_sync_maxlen,
  tag_tun_info,
  tag_tun_type,
  tag_tun_port,
  tag_tun_nocsum,
  tag_tun_csum,
  tag_tun_remcsum,
  // gale's own, long only
  tag_fullnat,
  tag_proxy_protocol,
  tag_toa,
  tag_no_toa,
  tag_set_health,
  tag_socket,
  tag_vrrp
};

struct OptionDef {
  const char* long_name;
  char short_name;
  Arg arg;
  int tag;
};

inline constexpr OptionDef kOptions[] = {
    {"add-service", 'A', Arg::none, tag_A},
    {"edit-service", 'E', Arg::none, tag_E},
    {"delete-service", 'D', Arg::none, tag_D},
    {"clear", 'C', Arg::none, tag_C},
    {"list", 'L', Arg::none, tag_L},
    {"list", 'l', Arg::none, tag_L},
    {"zero", 'Z', Arg::none, tag_Z},
    {"add-server", 'a', Arg::none, tag_a},
    {"edit-server", 'e', Arg::none, tag_e},
    {"delete-server", 'd', Arg::none, tag_d},
    {"set", 0, Arg::none, tag_set},
    {"help", 'h', Arg::none, tag_h},
    {"version", 'v', Arg::none, tag_v},
    {"restore", 'R', Arg::none, tag_R},
    {"save", 'S', Arg::none, tag_S},
    {"start-daemon", 0, Arg::required, tag_start_daemon},
    {"stop-daemon", 0, Arg::required, tag_stop_daemon},
    {"tcp-service", 't', Arg::required, tag_t},
    {"udp-service", 'u', Arg::required, tag_u},
    {"sctp-service", 0, Arg::required, tag_sctp},
    {"fwmark-service", 'f', Arg::required, tag_f},
    {"scheduler", 's', Arg::required, tag_s},
    {"persistent", 'p', Arg::optional, tag_p},
    {"netmask", 'M', Arg::required, tag_M},
    {"real-server", 'r', Arg::required, tag_r},
    {"masquerading", 'm', Arg::none, tag_m},
    {"ipip", 'i', Arg::none, tag_i},
    {"gatewaying", 'g', Arg::none, tag_g},
    {"weight", 'w', Arg::required, tag_w},
    {"u-threshold", 'x', Arg::required, tag_x},
    {"l-threshold", 'y', Arg::required, tag_y},
    {"numeric", 'n', Arg::none, tag_n},
    {"connection", 'c', Arg::none, tag_c},
    {"mcast-interface", 0, Arg::required, tag_mcast_if},
    {"syncid", 0, Arg::required, tag_syncid},
    {"timeout", 0, Arg::none, tag_timeout},
    {"daemon", 0, Arg::none, tag_daemon},
    {"stats", 0, Arg::none, tag_stats},
    {"rate", 0, Arg::none, tag_rate},
    {"thresholds", 0, Arg::none, tag_thresholds},
    {"persistent-conn", 0, Arg::none, tag_pconn},
    {"nosort", 0, Arg::none, tag_nosort},
    {"sort", 0, Arg::none, tag_sort},
    {"exact", 'X', Arg::none, tag_X},
    {"ipv6", '6', Arg::none, tag_6},
    {"ops", 'o', Arg::none, tag_o},
    {"pe", 0, Arg::required, tag_pe},
    {"sched-flags", 'b', Arg::required, tag_b},
    {"mcast-group", 0, Arg::required, tag_mcast_group},
    {"mcast-port", 0, Arg::required, tag_mcast_port},
    {"mcast-ttl", 0, Arg::required, tag_mcast_ttl},
    {"sync-maxlen", 0, Arg::required, tag_sync_maxlen},
    {"tun-info", 0, Arg::none, tag_tun_info},
    {"tun-type", 0, Arg::required, tag_tun_type},
    {"tun-port", 0, Arg::required, tag_tun_port},
    {"tun-nocsum", 0, Arg::none, tag_tun_nocsum},
    {"tun-csum", 0, Arg::none, tag_tun_csum},
    {"tun-remcsum", 0, Arg::none, tag_tun_remcsum},
    {"fullnat", 0, Arg::none, tag_fullnat},
    {"proxy-protocol", 0, Arg::required, tag_proxy_protocol},
    {"toa", 0, Arg::none, tag_toa},
    {"no-toa", 0, Arg::none, tag_no_toa},
    {"set-health", 0, Arg::required, tag_set_health},
    {"socket", 0, Arg::required, tag_socket},
    {"vrrp", 0, Arg::none, tag_vrrp},
};

// One option as popt hands it out: its tag, its argument, the text it was written as.
struct Token {
  int tag = 0;  // 0: end of options; -1: unknown option; -2: missing argument
  std::optional<std::string> arg;
  std::string written;
};

// popt's walk over argv: bundled short options, `--name=ARG`, `--` ending the options,
// and every non-option word kept in order as a leftover argument.
class OptionReader {
 public:
  explicit OptionReader(const std::vector<std::string>& args) : args_(args) {}

  Token next() {
    while (true) {
      if (!bundle_.empty()) return next_short();
      if (i_ >= args_.size()) return {};
      const std::string& w = args_[i_++];
      if (only_args_ || w.size() < 2 || w[0] != '-') {
        leftovers_.push_back(w);
        continue;
      }
      if (w == "--") {
        only_args_ = true;
        continue;
      }
      if (w[1] == '-') return next_long(w);
      bundle_ = w.substr(1);
    }
  }
  // Words that were not options, in order.
  std::vector<std::string> leftovers() {
    while (i_ < args_.size())
      leftovers_.push_back(args_[i_++]);
    return leftovers_;
  }

 private:
  Token next_long(const std::string& w) {
    const size_t eq = w.find('=');
    const std::string name = w.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    for (const OptionDef& o : kOptions) {
      if (name != o.long_name) continue;
      Token t{.tag = o.tag, .written = "--" + name};
      if (eq != std::string::npos) t.arg = w.substr(eq + 1);
      return take_arg(o, std::move(t));
    }
    return Token{.tag = -1, .written = w};
  }
  Token next_short() {
    const char c = bundle_[0];
    bundle_.erase(0, 1);
    for (const OptionDef& o : kOptions) {
      if (o.short_name != c) continue;
      Token t{.tag = o.tag, .written = std::string("-") + c};
      if (o.arg != Arg::none && !bundle_.empty()) {
        t.arg = bundle_;
        bundle_.clear();
      }
      return take_arg(o, std::move(t));
    }
    bundle_.clear();
    return Token{.tag = -1, .written = std::string("-") + c};
  }
  Token take_arg(const OptionDef& o, Token t) {
    if (o.arg == Arg::none || t.arg) return t;
    const bool next_is_word = i_ < args_.size() && !(args_[i_].size() > 1 && args_[i_][0] == '-');
    if (o.arg == Arg::optional) {
      if (next_is_word) t.arg = args_[i_++];
      return t;
    }
    if (i_ >= args_.size()) return Token{.tag = -2, .written = t.written};
    t.arg = args_[i_++];
    return t;
  }

  const std::vector<std::string>& args_;
  size_t i_ = 0;
  std::string bundle_;
  bool only_args_ = false;
  std::vector<std::string> leftovers_;
};

}  // namespace gale::ctl::ipvsadm::detail
