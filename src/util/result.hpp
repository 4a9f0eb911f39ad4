// Result<T>: a small expected-like type for hot paths, where exceptions are not
// wanted (g++ 12 has no std::expected). Exceptions stay for startup and
// configuration faults only.
#pragma once

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "util/error_category.hpp"

namespace ringpost {

struct Error {
    // Which layer failed and how (see util/error_category.hpp): a value of
    // that layer's enum in its category, or an errno value in
    // std::generic_category. Empty (false) = unspecified.
    std::error_code code;
    std::string message;   // one line, for logs and replies
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }

    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : err_(std::move(error)), ok_(false) {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return err_; }

private:
    Error err_;
    bool ok_ = true;
};

inline Error make_error(std::string message) { return Error{{}, std::move(message)}; }
inline Error make_error(std::string message, std::error_code code) { return Error{code, std::move(message)}; }
// A layer's error: make_error("...", store::kMailboxExists).
template <class E, std::enable_if_t<std::is_error_code_enum_v<E>, int> = 0>
Error make_error(std::string message, E value) {
    return Error{make_error_code(value), std::move(message)};
}
// An errno value (std::generic_category).
inline Error make_error(std::string message, int errno_value) {
    return Error{std::error_code(errno_value, std::generic_category()), std::move(message)};
}

}  // namespace ringpost
