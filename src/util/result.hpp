// Result<T>: a small expected-like type for hot paths, where exceptions are not
// wanted (g++ 12 has no std::expected). Exceptions stay for startup and
// configuration faults only.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ringpost {

struct Error {
    int code = 0;          // errno-style or module-specific code; 0 = unspecified
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

inline Error make_error(std::string message, int code = 0) { return Error{code, std::move(message)}; }

}  // namespace ringpost
