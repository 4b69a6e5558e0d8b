#include "ctl/names.h"

#include <array>

namespace gale::ctl::detail {

namespace {

constexpr Choice<lb::FwdMode> kModes[] = {
    {"DR", lb::FwdMode::dr},           {"NAT", lb::FwdMode::nat},      {"TUN", lb::FwdMode::tun},
    {"FULLNAT", lb::FwdMode::fullnat}, {"FNAT", lb::FwdMode::fullnat},
};

}  // namespace

std::span<const Choice<lb::SchedKind>> sched_choices() {
  static const auto table = [] {
    std::array<Choice<lb::SchedKind>, lb::kSchedKindCount> t{};
    for (int i = 0; i < lb::kSchedKindCount; ++i) {
      const auto k = static_cast<lb::SchedKind>(i);
      t[i] = {lb::to_string(k), k};
    }
    return t;
  }();
  return table;
}

std::span<const Choice<lb::FwdMode>> mode_choices() {
  return kModes;
}

std::span<const Choice<lb::TunEncap>> encap_choices() {
  static const auto table = [] {
    std::array<Choice<lb::TunEncap>, 3> t{};
    int i = 0;
    for (lb::TunEncap e : {lb::TunEncap::ipip, lb::TunEncap::gue, lb::TunEncap::vxlan})
      t[i++] = {lb::to_string(e), e};
    return t;
  }();
  return table;
}

std::span<const Choice<lb::ProxyProto>> proxy_choices() {
  static const auto table = [] {
    std::array<Choice<lb::ProxyProto>, 3> t{};
    int i = 0;
    for (lb::ProxyProto p : {lb::ProxyProto::v1, lb::ProxyProto::v2, lb::ProxyProto::none})
      t[i++] = {lb::to_string(p), p};
    return t;
  }();
  return table;
}

const char* mode_name(lb::FwdMode m) {
  for (const auto& c : kModes)
    if (c.value == m) return c.name.data();
  return "?";
}

}  // namespace gale::ctl::detail
