// crypt(3)-based hashing; see password.hpp. crypt_rn/crypt_gensalt_rn are
// the reentrant forms (the admin thread and the CLI may hash concurrently
// with login checks on other threads), and report failure with NULL instead
// of a "*0" string that might be mistaken for a hash.
#include "auth/password.hpp"

#include <crypt.h>

#include <cstring>
#include <memory>

namespace ringpost::auth {
namespace {

std::string crypt_with(const std::string& phrase, const char* setting) {
    // struct crypt_data is ~32 KiB: keep it off the (possibly small) thread stack.
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    const char* out = crypt_rn(phrase.c_str(), setting, data.get(), sizeof(crypt_data));
    std::string result = (out && out[0] != '*') ? std::string(out) : std::string();
    // The structure held the pass phrase; do not leave it in freed memory.
    explicit_bzero(data.get(), sizeof(crypt_data));
    return result;
}

// Lengths are not secret (a hash's length follows from its public method);
// the loop touches every byte so the time does not depend on where a mismatch is.
bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    volatile unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i)
        diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
    return diff == 0;
}

}  // namespace

Result<std::string> hash_password(std::string_view password) {
    if (password.empty()) return make_error("empty password");
    if (password.find('\0') != std::string_view::npos) return make_error("password contains a NUL byte");
    std::string phrase(password);
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    for (const char* prefix : {"$y$", "$6$"}) {
        // count 0 = the method's default cost; NULL rbytes = libxcrypt draws its own randomness.
        if (!crypt_gensalt_rn(prefix, 0, nullptr, 0, setting, sizeof setting)) continue;
        std::string hash = crypt_with(phrase, setting);
        if (!hash.empty()) {
            explicit_bzero(phrase.data(), phrase.size());
            return hash;
        }
    }
    explicit_bzero(phrase.data(), phrase.size());
    return make_error("crypt(3) supports neither yescrypt nor sha512-crypt");
}

bool verify_password(std::string_view password, std::string_view stored) {
    if (stored.empty() || stored[0] == '*' || stored[0] == '!') return false;
    if (password.find('\0') != std::string_view::npos) return false;
    std::string phrase(password);
    std::string setting(stored);
    std::string computed = crypt_with(phrase, setting.c_str());
    explicit_bzero(phrase.data(), phrase.size());
    return !computed.empty() && constant_time_equal(computed, stored);
}

}  // namespace ringpost::auth
