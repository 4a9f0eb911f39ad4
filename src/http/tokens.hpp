// Bearer tokens for the HTTP API. The tokens file holds one line per
// token, "NAME SHA256-HEX" (comments start with #): only the hash of a
// token is ever stored, so a copy of the file lets nobody in. A token is
// 32 random bytes in base64url (RFC 4648 5, no padding), shown once when
// `ringpost http token new NAME` makes it.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ringpost::http {

using TokenHash = std::array<unsigned char, 32>;   // SHA-256

class TokenSet {
public:
    // The file's text; `path` names it in errors ("FILE:LINE: ...").
    static Result<TokenSet> parse(std::string_view text, const std::string& path);
    static Result<TokenSet> load(const std::string& path);

    // The name of the token whose hash matches, or null. Every entry is
    // compared, each in constant time, so the time taken tells nothing
    // about how close a guess was or which entry it matched.
    const std::string* match(std::string_view token) const;
    size_t size() const { return entries_.size(); }
    bool has_name(std::string_view name) const;

private:
    struct Entry {
        std::string name;
        TokenHash hash;
    };
    std::vector<Entry> entries_;
};

TokenHash sha256(std::string_view data);
std::string hex(const TokenHash& hash);
// 32 bytes from OpenSSL's RAND_bytes, base64url without padding (43 characters).
Result<std::string> new_token();
// Names are what logs show of a caller: letters, digits, '-', '_', '.', '@'.
bool valid_token_name(std::string_view name);
// The file's line for a token: "NAME SHA256-HEX\n".
std::string token_line(std::string_view name, std::string_view token);

// The current TokenSet, replaced on SIGHUP while sessions read it on any
// ring (as tls::ContextHolder does with the certificate).
class TokenHolder {
public:
    explicit TokenHolder(std::shared_ptr<const TokenSet> initial) : current_(std::move(initial)) {}
    std::shared_ptr<const TokenSet> get() const {
        std::lock_guard lock(mu_);
        return current_;
    }
    void set(std::shared_ptr<const TokenSet> next) {
        std::lock_guard lock(mu_);
        current_ = std::move(next);
    }

private:
    mutable std::mutex mu_;   // held for a pointer copy only
    std::shared_ptr<const TokenSet> current_;
};

}  // namespace ringpost::http
