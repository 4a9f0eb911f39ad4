// downgrade_8bit and quoted-printable encoding; see eight_bit_downgrade.hpp.
//
// One entity (the message, a body part, an encapsulated message) at a time,
// read the way mime_parse.cpp reads it: its header, then, if it is a
// container, its children inside its own byte range. An entity whose body
// has no 8-bit byte is copied whole without being opened, so the cost is
// one scan of the message plus the work on the parts that need it.
#include "mail/eight_bit_downgrade.hpp"

#include <cstdint>
#include <cstring>
#include <optional>

#include "mail/content_fields.hpp"
#include "mail/header_block.hpp"
#include "mail/mime.hpp"
#include "mail/multipart_split.hpp"
#include "util/ascii.hpp"

namespace ringpost::mail {

namespace {

// RFC 2045 6.7 rule 5: encoded lines are at most 76 characters; a soft
// line break's '=' is one of them.
constexpr size_t kMaxQpText = 75;

constexpr std::string_view kCrlf = "\r\n";

// The identity encodings (RFC 2045 6.2): the body is not transformed, so
// it can be re-encoded; a container may only carry these.
bool identity_encoding(std::string_view encoding) {
    return encoding.empty() || encoding == "7bit" || encoding == "8bit" || encoding == "binary";
}

// What an entity's header says about its content (the first of each field
// counts, as in mime_parse.cpp).
struct EntityFields {
    std::optional<std::string> content_type;   // the unfolded value, when present
    std::string encoding;                      // lower-case token; empty when absent
    bool have_mime_version = false;
    size_t fields_size = 0;                    // bytes before the empty line that ends the header
};

EntityFields read_entity_fields(std::string_view header) {
    EntityFields f;
    bool have_encoding = false;
    HeaderReader reader(header);
    HeaderField field;
    while (reader.next(field)) {
        f.fields_size += field.raw.size();
        if (util::iequals(field.name, "content-type")) {
            if (!f.content_type) f.content_type = unfold(field.value);
        } else if (util::iequals(field.name, "content-transfer-encoding")) {
            if (!have_encoding) f.encoding = parse_mime_token(unfold(field.value));
            have_encoding = true;
        } else if (util::iequals(field.name, "mime-version")) {
            f.have_mime_version = true;
        }
    }
    return f;
}

// A label from the message as it may appear in a reason (which ends up in
// a DSN and the log): short, printable ASCII.
std::string printable(std::string_view label) {
    constexpr size_t kMax = 40;
    std::string out;
    for (char c : label.substr(0, kMax)) out += (c > ' ' && c < 0x7f) ? c : '?';
    if (label.size() > kMax) out += "...";
    return out;
}

class Downgrader {
public:
    Downgrader(std::string_view message, bool utf8_headers, std::string& out)
        : msg_(message), utf8_headers_(utf8_headers), out_(out) {}

    const std::string& reason() const { return reason_; }

    // Appends the converted entity msg_[begin, end); false (reason() says
    // why) when it cannot be converted.
    bool entity(size_t begin, size_t end, uint32_t depth, bool in_digest, bool message_root) {
        if (parts_left_ == 0) return refuse("more than " + std::to_string(kMaxMimeParts) + " MIME parts");
        --parts_left_;
        const std::string_view e = msg_.substr(begin, end - begin);
        const size_t header_size = header_section_size(e);
        const std::string_view header = e.substr(0, header_size);
        if (!utf8_headers_ && has_8bit(header)) return refuse("8-bit data in a header field");
        if (!has_8bit(e.substr(header_size))) {
            out_ += e;
            return true;
        }

        EntityFields f = read_entity_fields(header);
        ContentType ct;
        if (!f.content_type || !parse_content_type(*f.content_type, ct)) {
            // The defaults: message/rfc822 for a part of a digest without a
            // Content-Type (RFC 2046 5.1.5), text/plain otherwise (RFC 2045 5.2).
            const bool digest_message = in_digest && !f.content_type;
            ct.type = digest_message ? "message" : "text";
            ct.subtype = digest_message ? "rfc822" : "plain";
        }
        const size_t body_begin = begin + header_size;

        if (ct.type == "multipart") {
            if (!container_allowed(f.encoding, depth, "multipart")) return false;
            std::vector<ByteRange> parts =
                split_multipart(msg_, body_begin, end, param(ct.params, "boundary"), size_t{parts_left_} + 1);
            if (parts.empty()) return refuse("8-bit data in a multipart without a usable boundary");
            if (parts.size() > parts_left_) return refuse("more than " + std::to_string(kMaxMimeParts) + " MIME parts");
            write_container_header(header, f);
            const bool digest = ct.subtype == "digest";
            size_t pos = body_begin;
            for (const ByteRange& r : parts) {
                // Preamble and delimiter lines: text no reader shows (RFC
                // 2046 5.1.1), kept 7-bit.
                copy_7bit(msg_.substr(pos, r.begin - pos));
                if (!entity(r.begin, r.end, depth + 1, digest, false)) return false;
                pos = r.end;
            }
            copy_7bit(msg_.substr(pos, end - pos));   // the close delimiter and epilogue
            return true;
        }
        if (ct.type == "message") {
            if (ct.subtype != "rfc822" && ct.subtype != "global")
                return refuse("8-bit data in a message/" + printable(ct.subtype) + " part");   // RFC 2046 5.2.2, 5.2.3: 7bit only
            if (!container_allowed(f.encoding, depth, "message/" + printable(ct.subtype))) return false;
            write_container_header(header, f);
            return entity(body_begin, end, depth + 1, false, true);
        }
        if (!identity_encoding(f.encoding)) return refuse("8-bit data in a part labelled " + printable(f.encoding));
        std::string added;
        if (message_root && !f.have_mime_version) added += "MIME-Version: 1.0\r\n";
        if (!f.content_type) added += "Content-Type: text/plain; charset=unknown-8bit\r\n";
        added += "Content-Transfer-Encoding: quoted-printable\r\n";
        write_header(header, f, added);
        encode_quoted_printable(msg_.substr(body_begin, end - body_begin), out_);
        return true;
    }

private:
    bool refuse(std::string why) {
        reason_ = std::move(why);
        return false;
    }

    bool container_allowed(std::string_view encoding, uint32_t depth, const std::string& what) {
        if (!identity_encoding(encoding))
            return refuse("8-bit data in a " + what + " labelled " + printable(encoding));
        if (depth >= kMaxMimeDepth) return refuse("8-bit data nested deeper than " + std::to_string(kMaxMimeDepth));
        return true;
    }

    // A container's body becomes 7-bit, and says so where it said 8bit or
    // binary (Postfix writes the same label).
    void write_container_header(std::string_view header, const EntityFields& f) {
        if (f.encoding.empty() || f.encoding == "7bit") {
            out_ += header;
        } else {
            write_header(header, f, "Content-Transfer-Encoding: 7bit\r\n");
        }
    }

    // The header without its Content-Transfer-Encoding fields, then `added`,
    // then the empty line.
    void write_header(std::string_view header, const EntityFields& f, std::string_view added) {
        HeaderReader reader(header);
        HeaderField field;
        while (reader.next(field))
            if (!util::iequals(field.name, "content-transfer-encoding")) out_ += field.raw;
        out_ += added;
        std::string_view end_line = header.substr(f.fields_size);
        out_ += end_line.empty() ? kCrlf : end_line;
    }

    void copy_7bit(std::string_view text) {
        for (char c : text) out_ += static_cast<unsigned char>(c) >= 0x80 ? '?' : c;
    }

    std::string_view msg_;
    bool utf8_headers_;
    std::string& out_;
    std::string reason_;
    uint32_t parts_left_ = kMaxMimeParts;
};

}  // namespace

bool has_8bit(std::string_view data) {
    // Eight bytes at a time: the scan runs over whole messages.
    constexpr uint64_t kHighBits = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= data.size(); i += 8) {
        uint64_t word;
        std::memcpy(&word, data.data() + i, 8);
        if (word & kHighBits) return true;
    }
    for (; i < data.size(); ++i)
        if (static_cast<unsigned char>(data[i]) >= 0x80) return true;
    return false;
}

void encode_quoted_printable(std::string_view body, std::string& out) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const size_t n = body.size();
    auto crlf_at = [&](size_t i) { return i + 1 < n && body[i] == '\r' && body[i + 1] == '\n'; };
    out.reserve(out.size() + n + n / 8);
    size_t line = 0;   // characters on the current output line
    for (size_t i = 0; i < n; ++i) {
        if (crlf_at(i)) {
            out += kCrlf;
            ++i;
            line = 0;
            continue;
        }
        const auto c = static_cast<unsigned char>(body[i]);
        // A blank before a line break would be taken for transport padding
        // and stripped (RFC 2045 6.7 rule 3): it is escaped there.
        bool literal = (c >= 33 && c <= 126 && c != '=') || (util::is_wsp(c) && i + 1 < n && !crlf_at(i + 1));
        if (line + (literal ? 1 : 3) > kMaxQpText) {
            out += "=\r\n";
            line = 0;
        }
        // No encoded line starts with "--", so none can be taken for a
        // boundary delimiter of an enclosing multipart (RFC 2046 5.1.1), a
        // soft line break's continuation included.
        if (line == 0 && c == '-' && i + 1 < n && body[i + 1] == '-') literal = false;
        const size_t width = literal ? 1 : 3;
        if (literal) {
            out += static_cast<char>(c);
        } else {
            out += '=';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
        line += width;
    }
}

EightBitDowngrade downgrade_8bit(std::string_view message, bool utf8_headers) {
    EightBitDowngrade result;
    if (!has_8bit(message)) return result;
    std::string out;
    out.reserve(message.size() + message.size() / 4);
    Downgrader d(message, utf8_headers, out);
    if (!d.entity(0, message.size(), 0, false, true)) {
        result.status = EightBitDowngrade::Status::kRefused;
        result.reason = d.reason();
        return result;
    }
    result.status = EightBitDowngrade::Status::kConverted;
    result.message = std::move(out);
    return result;
}

}  // namespace ringpost::mail
