// gale::Expected<T>: the control plane's result type, a value or an Error a person can
// act on. It is std::expected where the standard library has it (g++ 12 in C++23 mode);
// clang 14 (used for the fuzzers) cannot compile libstdc++'s <expected>, so there a
// minimal stand-in with the same surface is used. Code uses only the common subset.
#pragma once

#include <string>
#include <utility>
#include <version>

#if defined(__cpp_lib_expected)
#include <expected>
#else
#include <variant>
#endif

namespace gale {

// What went wrong, phrased for the operator ("gale.conf:14:5: unknown lvs_sched ...").
struct Error {
  std::string message;
};

#if defined(__cpp_lib_expected)

template <typename T>
using Expected = std::expected<T, Error>;
inline std::unexpected<Error> fail(std::string message) {
  return std::unexpected<Error>(Error{std::move(message)});
}

#else

struct Unexpected {
  Error error;
};
inline Unexpected fail(std::string message) {
  return Unexpected{Error{std::move(message)}};
}

template <typename T>
class Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Expected(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class Expected<void> {
 public:
  Expected() = default;
  Expected(Unexpected u) : ok_(false), error_(std::move(u.error)) {}
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  bool ok_ = true;
  Error error_;
};

#endif

}  // namespace gale
