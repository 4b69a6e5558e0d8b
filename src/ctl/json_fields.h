// Reading fields of a control-socket JSON object with messages a person can act on
// ("weight: a number from 0 to 65535"). Internal to ctl/ (model_json.cc, listing.cc,
// control_commands.cc); the writers need no helper.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "base/expected.h"
#include "net/addr.h"

namespace gale::ctl::detail {

inline std::string ip_text(const net::IpAddr& a) {
  return std::string(net::to_text(a).view());
}

// An unsigned field within [lo, hi]; `fallback` when absent.
inline Expected<uint64_t> uint_field(const nlohmann::json& j, const char* name, uint64_t lo,
                                     uint64_t hi, uint64_t fallback) {
  const auto it = j.find(name);
  if (it == j.end()) return fallback;
  if (!it->is_number_unsigned() || it->get<uint64_t>() < lo || it->get<uint64_t>() > hi)
    return fail(std::string(name) + ": a number from " + std::to_string(lo) + " to " +
                std::to_string(hi));
  return it->get<uint64_t>();
}

// A string field; `fallback` when absent.
inline Expected<std::string> string_field(const nlohmann::json& j, const char* name,
                                          const std::string& fallback) {
  const auto it = j.find(name);
  if (it == j.end()) return fallback;
  if (!it->is_string()) return fail(std::string(name) + ": a string");
  return it->get<std::string>();
}

inline Expected<bool> bool_field(const nlohmann::json& j, const char* name, bool fallback) {
  const auto it = j.find(name);
  if (it == j.end()) return fallback;
  if (!it->is_boolean()) return fail(std::string(name) + ": true or false");
  return it->get<bool>();
}

// A required string naming an IP address.
inline Expected<net::IpAddr> ip_field(const nlohmann::json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return fail(std::string(name) + ": an IP address");
  auto a = net::parse_ip(it->get<std::string>());
  if (!a)
    return fail(std::string(name) + ": \"" + it->get<std::string>() + "\" is not an IP address");
  return *a;
}

}  // namespace gale::ctl::detail

// Assigns the value of an Expected to `lhs`, or returns its error from the enclosing
// function (which returns an Expected).
#define GALE_JSON_GET(lhs, expr)                                  \
  do {                                                            \
    auto gale_json_v_ = (expr);                                   \
    if (!gale_json_v_) return fail(gale_json_v_.error().message); \
    lhs = *gale_json_v_;                                          \
  } while (0)
