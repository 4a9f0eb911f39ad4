// Password hashing for mailbox users: crypt(3) strings from libxcrypt,
// yescrypt ("$y$") when available, else sha512-crypt ("$6$"). Only the hash
// is ever stored; verification compares in constant time.
#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ringpost::auth {

// A fresh random salt each call. Errors: empty password, NUL byte, or libxcrypt failure.
Result<std::string> hash_password(std::string_view password);

// True if `password` hashes to `stored` (any method libxcrypt knows). An
// empty or disabled ("*", "!") stored hash never matches.
bool verify_password(std::string_view password, std::string_view stored);

}  // namespace ringpost::auth
