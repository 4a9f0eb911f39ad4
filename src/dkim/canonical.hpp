// DKIM canonicalization (RFC 6376 3.4): the forms of header fields and of
// the body that a signature hashes, "simple" (as sent) or "relaxed"
// (whitespace and header-name case normalised, so that a relay that refolds
// or lower-cases does not break the signature).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringpost::dkim {

enum class Canon : uint8_t { kSimple, kRelaxed };

// Appends one header field (`raw`: "Name: value" with its continuation
// lines and its final line end) in canonical form, ending in CRLF. Line
// ends may be CRLF or a bare LF.
void canonical_header(Canon canon, std::string_view raw, std::string& out);

// The body (everything after the empty line that ends the header) in
// canonical form, handed to `sink` in pieces (no copy of the whole body):
// lines end in CRLF, empty lines at the end are dropped, and a simple body
// ends in exactly one CRLF (an empty one is just CRLF; an empty relaxed
// body is empty, RFC 6376 errata 1384).
class BodyCanonicalizer {
public:
    explicit BodyCanonicalizer(Canon canon) : canon_(canon) {}
    // Feeds the whole body; `sink(std::string_view)` gets the canonical bytes.
    template <class Sink>
    void run(std::string_view body, Sink&& sink);

private:
    // One line without its line end, canonicalised into buf_.
    void add_line(std::string_view line);

    Canon canon_;
    std::string buf_;          // canonical bytes not yet handed on
    uint64_t empty_lines_ = 0;  // held back: they count only if a non-empty line follows
    bool any_line_ = false;
};

template <class Sink>
void BodyCanonicalizer::run(std::string_view body, Sink&& sink) {
    constexpr size_t kChunk = 64 * 1024;
    buf_.reserve(std::min(body.size(), kChunk) + 1024);
    size_t pos = 0;
    while (pos < body.size()) {
        size_t nl = body.find('\n', pos);
        const size_t end = nl == std::string_view::npos ? body.size() : nl;
        std::string_view line = body.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        add_line(line);
        pos = nl == std::string_view::npos ? body.size() : nl + 1;
        if (buf_.size() >= kChunk) {
            sink(std::string_view(buf_));
            buf_.clear();
        }
    }
    // RFC 6376 3.4.3: a simple body that is empty (or only empty lines) is one CRLF.
    if (canon_ == Canon::kSimple && buf_.empty() && !any_line_) buf_ = "\r\n";
    if (!buf_.empty()) sink(std::string_view(buf_));
    buf_.clear();
}

}  // namespace ringpost::dkim
