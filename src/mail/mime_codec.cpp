// encode_summary / decode_summary; see mime.hpp.
//
// Format (version 2): the version byte, then the envelope, bodystructure
// and body strings, then the root part. Integers are LEB128 varints;
// strings are a varint length and the bytes. A part is its five numbers
// (header offset and size, body offset and size, body lines), its strings
// (type, subtype, id, description, encoding, md5, disposition, language,
// location, envelope), its two parameter lists (count, then name and value
// strings) and its children (count, then each part).
//
// Version 1 is the same format; its BODY and BODYSTRUCTURE gave
// message/global the envelope form, so they are rendered again from the
// part tree when read (the ENVELOPE strings are kept as stored).
//
// The decoder trusts nothing: every length is checked against what is
// left, nesting and part counts are bounded as the parser bounds them, and
// trailing bytes are an error.
#include <cstdint>

#include "mail/imap_render.hpp"
#include "mail/mime.hpp"

namespace ringpost::mail {

namespace {

constexpr uint8_t kVersion = 2;
constexpr uint8_t kVersionRev2MessageGlobal = 1;
// The parser nests at most kMaxMimeDepth containers; their leaves are one
// level deeper.
constexpr uint32_t kMaxTreeDepth = kMaxMimeDepth + 1;

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

void put_string(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out += s;
}

void put_params(std::string& out, const MimeParams& params) {
    put_varint(out, params.size());
    for (const auto& [name, value] : params) {
        put_string(out, name);
        put_string(out, value);
    }
}

void put_part(std::string& out, const MimePart& p) {
    for (uint32_t n : {p.header_offset, p.header_size, p.body_offset, p.body_size, p.body_lines}) put_varint(out, n);
    for (const std::string* s : {&p.type, &p.subtype, &p.id, &p.description, &p.encoding, &p.md5, &p.disposition,
                                 &p.language, &p.location, &p.envelope})
        put_string(out, *s);
    put_params(out, p.params);
    put_params(out, p.disposition_params);
    put_varint(out, p.parts.size());
    for (const MimePart& child : p.parts) put_part(out, child);
}

class Reader {
public:
    explicit Reader(std::string_view data) : data_(data) {}

    bool failed() const { return failed_; }
    bool at_end() const { return pos_ == data_.size(); }
    std::string_view why() const { return why_; }

    void fail(std::string_view why) {
        if (!failed_) why_ = why;
        failed_ = true;
    }

    uint8_t byte() {
        if (failed_ || pos_ >= data_.size()) {
            fail("truncated");
            return 0;
        }
        return static_cast<uint8_t>(data_[pos_++]);
    }

    uint32_t u32() {
        uint64_t v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            uint8_t b = byte();
            if (failed_) return 0;
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                if (v > UINT32_MAX) break;
                return static_cast<uint32_t>(v);
            }
        }
        fail("bad number");
        return 0;
    }

    void string(std::string& out) {
        uint32_t size = u32();
        if (failed_) return;
        if (size > data_.size() - pos_) {
            fail("truncated");
            return;
        }
        out.assign(data_.substr(pos_, size));
        pos_ += size;
    }

    // A count of items that take at least `min_bytes` each: a count the
    // remaining data cannot hold is garbage, and is refused before anything
    // is allocated for it.
    uint32_t count(size_t min_bytes) {
        uint32_t n = u32();
        if (!failed_ && static_cast<uint64_t>(n) * min_bytes > data_.size() - pos_) fail("bad count");
        return failed_ ? 0 : n;
    }

private:
    std::string_view data_;
    size_t pos_ = 0;
    bool failed_ = false;
    std::string_view why_;
};

void get_params(Reader& r, MimeParams& params) {
    uint32_t n = r.count(2);
    params.reserve(n);
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
        auto& [name, value] = params.emplace_back();
        r.string(name);
        r.string(value);
    }
}

bool ends_before_4g(uint32_t offset, uint32_t size) { return static_cast<uint64_t>(offset) + size <= UINT32_MAX; }

// The smallest encoded part: five numbers, ten strings, three counts.
constexpr size_t kMinPartBytes = 18;

void get_part(Reader& r, MimePart& p, uint32_t depth, uint32_t& parts_left) {
    if (depth > kMaxTreeDepth) return r.fail("nesting too deep");
    if (parts_left == 0) return r.fail("too many parts");
    --parts_left;
    for (uint32_t* n : {&p.header_offset, &p.header_size, &p.body_offset, &p.body_size, &p.body_lines}) *n = r.u32();
    if (!ends_before_4g(p.header_offset, p.header_size) || !ends_before_4g(p.body_offset, p.body_size))
        return r.fail("bad range");
    for (std::string* s : {&p.type, &p.subtype, &p.id, &p.description, &p.encoding, &p.md5, &p.disposition,
                           &p.language, &p.location, &p.envelope})
        r.string(*s);
    get_params(r, p.params);
    get_params(r, p.disposition_params);
    uint32_t n = r.count(kMinPartBytes);
    p.parts.reserve(n);
    for (uint32_t i = 0; i < n && !r.failed(); ++i) get_part(r, p.parts.emplace_back(), depth + 1, parts_left);
}

}  // namespace

std::string encode_summary(const MessageSummary& summary) {
    std::string out;
    out += static_cast<char>(kVersion);
    put_string(out, summary.envelope);
    put_string(out, summary.bodystructure);
    put_string(out, summary.body);
    put_part(out, summary.root);
    return out;
}

Result<MessageSummary> decode_summary(std::string_view data) {
    Reader r(data);
    uint8_t version = r.byte();
    if (r.failed()) return make_error("message summary: empty");
    if (version != kVersion && version != kVersionRev2MessageGlobal)
        return make_error("message summary: unknown version " + std::to_string(version));
    MessageSummary s;
    r.string(s.envelope);
    r.string(s.bodystructure);
    r.string(s.body);
    uint32_t parts_left = kMaxMimeParts;
    get_part(r, s.root, 0, parts_left);
    if (!r.failed() && !r.at_end()) r.fail("trailing bytes");
    if (r.failed()) return make_error("message summary: " + std::string(r.why()));
    if (version == kVersionRev2MessageGlobal) {
        s.bodystructure = render_body(s.root, true);
        s.body = render_body(s.root, false);
    }
    return s;
}

}  // namespace ringpost::mail
