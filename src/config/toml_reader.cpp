// The typed readers of config values. Every message says what was expected
// and what the file holds ("got ..."), because the person reading it is
// editing that file.
#include "config/toml_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ringpost::config {

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
    std::ostringstream os;
    os << in.rdbuf();
    if (in.bad()) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
    return os.str();
}

toml::table parse_toml(std::string_view text, const std::string& path) {
    try {
        return toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        const auto& at = e.source().begin;
        std::string what(e.description());
        std::replace(what.begin(), what.end(), '\n', ' ');
        throw ConfigError(path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " + what);
    }
}

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
        else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else out += static_cast<char>(c);
    }
    return out + "\"";
}

namespace {

// What the file actually contains, for "got ..." in messages.
std::string describe(const toml::node& node) {
    if (auto s = node.as_string()) return quote(s->get());
    if (auto i = node.as_integer()) return std::to_string(i->get());
    if (auto f = node.as_floating_point()) {
        std::ostringstream os;
        os << f->get();
        return os.str();
    }
    if (auto b = node.as_boolean()) return b->get() ? "true" : "false";
    if (node.is_array()) return "an array";
    if (node.is_table()) return "a table";
    return "a date/time";
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

bool valid_domain_chars(std::string_view s) {
    if (s.empty() || s.size() > 253 || s.front() == '.' || s.front() == '-' || s.back() == '.') return false;
    for (unsigned char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c >= 0x80;   // >= 0x80: U-labels (SMTPUTF8)
        if (!ok) return false;
    }
    return s.find("..") == std::string_view::npos;
}

void Reader::fail(const std::string& key, const std::string& what) const {
    throw ConfigError(file_ + ": " + key + ": " + what);
}

void Reader::unknown(const std::string& prefix, std::string_view key,
                     const std::vector<std::string_view>& known) const {
    std::string msg = "unknown key";
    for (auto k : known) {
        if (edit_distance(key, k) <= 2) {
            msg += " (did you mean \"" + std::string(k) + "\"?)";
            break;
        }
    }
    fail(prefix + std::string(key), msg);
}

const toml::table& Reader::table(const toml::node& node, const std::string& key) const {
    if (auto t = node.as_table()) return *t;
    fail(key, "expected a table, got " + describe(node));
}

uint64_t Reader::integer(const toml::node& node, const std::string& key, uint64_t min, uint64_t max) const {
    auto i = node.as_integer();
    if (!i || i->get() < 0 || static_cast<uint64_t>(i->get()) < min || static_cast<uint64_t>(i->get()) > max) {
        std::string expected;
        if (min == 1 && max >= UINT32_MAX) expected = "a positive integer";
        else if (min == 0 && max >= UINT32_MAX) expected = "a non-negative integer";
        else expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
        fail(key, "expected " + expected + ", got " + describe(node));
    }
    return static_cast<uint64_t>(i->get());
}

uint64_t Reader::zero_or_at_least(const toml::node& node, const std::string& key, uint64_t min) const {
    const uint64_t n = integer(node, key, 0, INT64_MAX);
    if (n != 0 && n < min) fail(key, "expected 0 (off) or at least " + std::to_string(min) + ", got " + describe(node));
    return n;
}

bool Reader::boolean(const toml::node& node, const std::string& key) const {
    auto b = node.as_boolean();
    if (!b) fail(key, "expected true or false, got " + describe(node));
    return b->get();
}

std::string Reader::string(const toml::node& node, const std::string& key) const {
    auto s = node.as_string();
    if (!s) fail(key, "expected a string, got " + describe(node));
    if (s->get().find('\0') != std::string::npos) fail(key, "must not contain NUL characters");
    return s->get();
}

// Two choices read `expected "a" or "b"`, more `expected one of "a", "b", "c"`.
std::string Reader::one_of(const toml::node& node, const std::string& key,
                           const std::vector<std::string_view>& allowed) const {
    std::string s = string(node, key);
    if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
    std::string expected = allowed.size() == 2 ? "" : "one of ";
    for (size_t i = 0; i < allowed.size(); ++i) {
        if (i > 0) expected += allowed.size() == 2 ? " or " : ", ";
        expected += quote(allowed[i]);
    }
    fail(key, "expected " + expected + ", got " + quote(s));
}

std::vector<std::string> Reader::strings(const toml::node& node, const std::string& key) const {
    std::vector<std::string> out;
    if (node.is_string()) {
        out.push_back(string(node, key));
        return out;
    }
    auto arr = node.as_array();
    if (!arr) fail(key, "expected an array of strings, got " + describe(node));
    for (size_t i = 0; i < arr->size(); ++i)
        out.push_back(string(*arr->get(i), key + "[" + std::to_string(i) + "]"));
    return out;
}

std::vector<ListenAddress> Reader::listen_list(const toml::node& node, const std::string& key) const {
    auto list = strings(node, key);
    std::vector<ListenAddress> out;
    for (size_t i = 0; i < list.size(); ++i) {
        try {
            out.push_back(parse_listen(list[i]));
        } catch (const ConfigError& e) {
            fail(key + "[" + std::to_string(i) + "]", e.what());
        }
    }
    return out;
}

uint32_t Reader::milliseconds(const toml::node& node, const std::string& key, uint32_t max_ms) const {
    const std::string expected = "expected a delay from 0 to " + std::to_string(max_ms / 1000) +
                                 " seconds (seconds, or a string like \"250ms\", \"1s\"), got " + describe(node);
    double ms = -1;
    if (auto i = node.as_integer()) {
        ms = i->get() < 0 ? -1 : static_cast<double>(i->get()) * 1000;
    } else if (auto f = node.as_floating_point()) {
        ms = f->get() * 1000;   // NaN fails the range check below
    } else if (auto s = node.as_string()) {
        std::string_view text = s->get();
        uint32_t secs = 0;
        if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
            std::string_view digits = text.substr(0, text.size() - 2);
            uint64_t n = 0;
            bool ok = digits.size() <= 9;
            for (char c : digits) {
                if (c < '0' || c > '9') ok = false;
                else n = n * 10 + static_cast<uint64_t>(c - '0');
            }
            if (ok) ms = static_cast<double>(n);
        } else if (parse_duration(text, secs)) {
            ms = static_cast<double>(secs) * 1000;
        }
    }
    if (!(ms >= 0 && ms <= max_ms)) fail(key, expected);
    return static_cast<uint32_t>(ms + 0.5);   // 0.29 s is 290 ms, not 289.99...
}

uint32_t Reader::duration(const toml::node& node, const std::string& key, bool allow_zero) const {
    uint32_t secs = 0;
    const char* expected = allow_zero ? "expected a duration (seconds, or a string like \"30s\", \"5m\", \"1h\")"
                                      : "expected a positive duration (seconds, or a string like \"30s\", \"5m\", \"1h\")";
    if (auto i = node.as_integer()) {
        if (i->get() < 0 || i->get() > static_cast<int64_t>(UINT32_MAX)) fail(key, std::string(expected) + ", got " + describe(node));
        secs = static_cast<uint32_t>(i->get());
    } else if (auto s = node.as_string()) {
        if (!parse_duration(s->get(), secs)) fail(key, std::string(expected) + ", got " + describe(node));
    } else {
        fail(key, std::string(expected) + ", got " + describe(node));
    }
    if (secs == 0 && !allow_zero) fail(key, std::string(expected) + ", got " + describe(node));
    return secs;
}

uint64_t Reader::byte_size(const toml::node& node, const std::string& key) const {
    uint64_t bytes = 0;
    if (auto i = node.as_integer(); i && i->get() >= 0) return static_cast<uint64_t>(i->get());
    if (auto s = node.as_string(); s && parse_byte_size(s->get(), bytes)) return bytes;
    fail(key, "expected a size in bytes (an integer, or a string like \"512K\", \"256M\", \"1G\"), got " +
                  describe(node));
}

}  // namespace ringpost::config
