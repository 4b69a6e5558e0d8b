// track_file (and its old name vrrp_track_file) and vrrp_track_process: what VRRP
// instances can track besides scripts and links, parsed and stored for ha/ (keepalived's
// track_file.c and vrrp_parser.c give the forms and the defaults).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <string>

#include "ctl/parse_blocks.h"
#include "ctl/parse_util.h"

namespace gale::ctl::detail {

namespace {

// `weight W [reverse]` of a track_file or vrrp_track_process block.
Expected<void> block_weight(const Statement& x, int32_t& weight, bool& reverse) {
  GALE_CTL_TRY(want_args(x, 1, 2, "weight -254..254 [reverse]"));
  auto w = signed_number(x.words[1], "weight", -254, 254);
  if (!w) return fail(w.error().message);
  weight = static_cast<int32_t>(*w);
  if (x.words.size() == 3) {
    if (x.words[2].text != "reverse")
      return error_at(x.words[2], "unknown \"" + x.words[2].text +
                                      "\" after the weight (weight -254..254 [reverse])");
    reverse = true;
  }
  return {};
}

}  // namespace

Expected<void> parse_track_file(const Statement& s, Config& c) {
  GALE_CTL_TRY(want_block(s, 1, 1, s.keyword() + " NAME { file PATH }"));
  TrackFile tf{.where = location(s.head()), .name = s.words[1].text};
  for (const TrackFile& o : c.track_files)
    if (o.name == tf.name)
      return error_at(s.words[1], "duplicate track_file \"" + tf.name + "\" (first at " +
                                      to_string(o.where) + ")");
  const Rule rules[] = {
      {"file",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "file PATH"));
         tf.path = x.words[1].text;
         return Expected<void>();
       }},
      {"weight",
       [&](const Statement& x) -> Expected<void> {
         return block_weight(x, tf.weight, tf.reverse);
       }},
      {"init_file",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 0, 2, "init_file [VALUE] [overwrite]"));
         tf.init_value = 0;
         for (size_t i = 1; i < x.words.size(); ++i) {
           const Word& w = x.words[i];
           if (w.text == "overwrite") {
             tf.init_overwrite = true;
             continue;
           }
           if (w.text.empty() ||
               (!std::isdigit(static_cast<unsigned char>(w.text[0])) && w.text[0] != '-'))
             return Expected<void>(error_at(
                 w, "unknown init_file option \"" + w.text + "\" (init_file [VALUE] [overwrite])"));
           // keepalived complains outside -254..254 but writes the value all the same.
           auto v = signed_number(w, "init_file value", INT32_MIN, INT32_MAX);
           if (!v) return Expected<void>(fail(v.error().message));
           tf.init_value = static_cast<int32_t>(*v);
         }
         return Expected<void>();
       }},
  };
  GALE_CTL_TRY(dispatch(s.block, s.keyword(), rules));
  if (tf.path.empty())
    return error_at(s.head(), s.keyword() + " \"" + tf.name + "\" needs a file PATH");
  c.track_files.push_back(std::move(tf));
  return {};
}

Expected<void> parse_track_process(const Statement& s, Config& c) {
  GALE_CTL_TRY(want_block(s, 1, 1, "vrrp_track_process NAME { process NAME [ARGS] }"));
  TrackProcess tp{.where = location(s.head()), .name = s.words[1].text};
  for (const TrackProcess& o : c.track_processes)
    if (o.name == tp.name)
      return error_at(s.words[1], "duplicate vrrp_track_process \"" + tp.name + "\" (first at " +
                                      to_string(o.where) + ")");
  bool quorum_set = false;
  const auto delay = [](uint32_t* a, uint32_t* b) {
    return [a, b](const Statement& x) -> Expected<void> {
      uint32_t ms = 0;
      GALE_CTL_TRY(set_duration(x, ms, x.keyword() + " SECONDS", 3600));
      if (ms == 0) return error_at(x.words[1], x.keyword() + " is 0.001 to 3600 seconds");
      *a = ms;
      if (b) *b = ms;
      return Expected<void>();
    };
  };
  const Rule rules[] = {
      {"process",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 64, "process NAME [ARGS...]"));
         tp.process = x.words[1].text;
         tp.params.clear();
         for (size_t i = 2; i < x.words.size(); ++i)
           tp.params.push_back(x.words[i].text);
         if (!tp.params.empty()) {
           // Arguments imply a match on the command line (keepalived: exact by default).
           if (tp.param_match == ProcessParamMatch::none) tp.param_match = ProcessParamMatch::exact;
           tp.full_command = true;
         }
         return Expected<void>();
       }},
      {"param_match",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 0, 1, "param_match [initial|partial]"));
         static constexpr Choice<ProcessParamMatch> kHow[] = {
             {"initial", ProcessParamMatch::initial}, {"partial", ProcessParamMatch::partial}};
         tp.param_match = ProcessParamMatch::exact;
         if (x.words.size() == 2) {
           auto m = choose<ProcessParamMatch>(x.words[1], "param_match", kHow);
           if (!m) return Expected<void>(fail(m.error().message));
           tp.param_match = *m;
         }
         tp.full_command = true;
         return Expected<void>();
       }},
      {"weight",
       [&](const Statement& x) -> Expected<void> {
         return block_weight(x, tp.weight, tp.reverse);
       }},
      {"quorum",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(set_number(x, tp.quorum, "quorum 1-65535", 1, 65535));
         quorum_set = true;
         return Expected<void>();
       }},
      {"quorum_max",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, tp.quorum_max, "quorum_max 0-65535", 0, 65535);
       }},
      {"delay", delay(&tp.fork_delay_ms, &tp.terminate_delay_ms)},
      {"fork_delay", delay(&tp.fork_delay_ms, nullptr)},
      {"terminate_delay", delay(&tp.terminate_delay_ms, nullptr)},
      {"full_command",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_flag(x));
         tp.full_command = true;
         return Expected<void>();
       }},
  };
  GALE_CTL_TRY(dispatch(s.block, "vrrp_track_process", rules));
  if (tp.process.empty())
    return error_at(s.head(),
                    "vrrp_track_process \"" + tp.name + "\" needs a process NAME [ARGS...]");
  // keepalived: quorum_max 0 alone means "no such process" (quorum 0); a quorum_max
  // below the quorum is refused.
  if (tp.quorum_max == 0 && !quorum_set) tp.quorum = 0;
  if (tp.quorum_max < tp.quorum)
    return error_at(s.head(), "vrrp_track_process \"" + tp.name + "\": quorum_max " +
                                  std::to_string(tp.quorum_max) + " is below quorum " +
                                  std::to_string(tp.quorum));
  c.track_processes.push_back(std::move(tp));
  return {};
}

}  // namespace gale::ctl::detail
