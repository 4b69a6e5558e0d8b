// gale::Expected<T>: the control plane's result type, a value or an Error a person can
// act on; gale::Result<T, E> the same with an error type of the caller's choosing (galectl
// refuses with ipvsadm's message and exit status). They are std::expected where the
// standard library has it (g++ 12 in C++23 mode); clang 14 (used for the fuzzers) cannot
// compile libstdc++'s <expected>, so there a minimal stand-in with the same surface is
// used. Code uses only the common subset: has_value/operator bool, value/*/->, error(),
// and gale::fail / gale::unexpected to make an error.
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

template <typename T, typename E>
using Result = std::expected<T, E>;
template <typename E>
using Unexpected = std::unexpected<E>;

#else

template <typename E>
struct Unexpected {
  explicit Unexpected(E e) : value(std::move(e)) {}
  const E& error() const { return value; }
  E value;
};

template <typename T, typename E>
class Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  template <typename G>
  Result(Unexpected<G> u) : v_(std::in_place_index<1>, E(std::move(u.value))) {}
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

template <typename E>
class Result<void, E> {
 public:
  Result() = default;
  template <typename G>
  Result(Unexpected<G> u) : ok_(false), error_(std::move(u.value)) {}
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const { return error_; }

 private:
  bool ok_ = true;
  E error_{};
};

#endif

template <typename T>
using Expected = Result<T, Error>;

// The error side of a Result, its type deduced (a string literal becomes std::string).
template <typename E>
Unexpected<E> unexpected(E e) {
  return Unexpected<E>(std::move(e));
}
inline Unexpected<std::string> unexpected(const char* message) {
  return Unexpected<std::string>(std::string(message));
}

inline Unexpected<Error> fail(std::string message) {
  return Unexpected<Error>(Error{std::move(message)});
}

}  // namespace gale
