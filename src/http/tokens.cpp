// Token files and token checks (tokens.hpp), over OpenSSL's SHA-256,
// RAND_bytes and CRYPTO_memcmp.
#include "http/tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ringpost::http {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool parse_hash(std::string_view text, TokenHash& out) {
    if (text.size() != out.size() * 2) return false;
    for (size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

}  // namespace

TokenHash sha256(std::string_view data) {
    TokenHash h{};
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h.data());
    return h;
}

std::string hex(const TokenHash& hash) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : hash) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
    }
    return out;
}

bool valid_token_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_' || c == '.' || c == '@';
        if (!ok) return false;
    }
    return true;
}

Result<TokenSet> TokenSet::parse(std::string_view text, const std::string& path) {
    TokenSet set;
    size_t line_no = 0;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++line_no;
        if (line.empty() || line.front() == '#') continue;
        const size_t space = line.find_first_of(" \t");
        const std::string where = path + ":" + std::to_string(line_no) + ": ";
        if (space == std::string_view::npos) return make_error(where + "expected NAME SHA256-HEX");
        const std::string_view name = line.substr(0, space);
        Entry e{std::string(name), {}};
        if (!valid_token_name(name)) return make_error(where + "bad token name \"" + e.name + "\"");
        if (!parse_hash(trim(line.substr(space)), e.hash))
            return make_error(where + "expected a SHA-256 hash in hex (64 digits) after the name");
        if (set.has_name(name)) return make_error(where + "token name \"" + e.name + "\" given twice");
        set.entries_.push_back(std::move(e));
    }
    return set;
}

Result<TokenSet> TokenSet::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(path + ": " + std::strerror(errno), errno);
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str(), path);
}

bool TokenSet::has_name(std::string_view name) const {
    for (const Entry& e : entries_)
        if (e.name == name) return true;
    return false;
}

const std::string* TokenSet::match(std::string_view token) const {
    const TokenHash h = sha256(token);
    const std::string* found = nullptr;
    for (const Entry& e : entries_)
        if (CRYPTO_memcmp(e.hash.data(), h.data(), h.size()) == 0) found = &e.name;
    return found;
}

Result<std::string> new_token() {
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) return make_error("RAND_bytes failed: no random bytes for a token");
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char b : raw) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += kAlphabet[(acc >> bits) & 63];
        }
    }
    if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
    OPENSSL_cleanse(raw, sizeof raw);
    return out;
}

std::string token_line(std::string_view name, std::string_view token) {
    return std::string(name) + " " + hex(sha256(token)) + "\n";
}

}  // namespace ringpost::http
