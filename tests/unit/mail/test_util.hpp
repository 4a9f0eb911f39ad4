// Helpers for the src/mail tests: the corpus on disk, CRLF text, section
// paths, and the bytes a part's offsets point at.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mail/mime.hpp"

namespace ringpost::mail::test {

// A message of tests/unit/mail/corpus, byte for byte. meson passes the
// directory in RINGPOST_MAIL_CORPUS.
inline std::string read_corpus(std::string_view name) {
    const char* dir = std::getenv("RINGPOST_MAIL_CORPUS");
    if (dir == nullptr) throw std::runtime_error("RINGPOST_MAIL_CORPUS is not set (run through meson test)");
    std::ifstream in(std::string(dir) + "/" + std::string(name), std::ios::binary);
    if (!in) throw std::runtime_error("cannot read corpus file " + std::string(name));
    std::ostringstream data;
    data << in.rdbuf();
    return data.str();
}

// Test text is written with "\n"; messages on the wire end lines in CRLF.
inline std::string crlf(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

// "1.2.3" -> {1, 2, 3}; "" -> {}.
inline std::vector<uint32_t> path(std::string_view dotted) {
    std::vector<uint32_t> out;
    uint32_t n = 0;
    bool any = false;
    for (char c : dotted) {
        if (c == '.') {
            out.push_back(n);
            n = 0;
            any = false;
        } else {
            n = n * 10 + static_cast<uint32_t>(c - '0');
            any = true;
        }
    }
    if (any) out.push_back(n);
    return out;
}

inline std::string_view body_of(std::string_view message, const MimePart& p) {
    return message.substr(p.body_offset, p.body_size);
}

inline std::string_view header_of(std::string_view message, const MimePart& p) {
    return message.substr(p.header_offset, p.header_size);
}

}  // namespace ringpost::mail::test
