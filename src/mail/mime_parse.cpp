// summarize_message: the part tree of a message and its IMAP strings; see
// mime.hpp. One entity (a message or a body part) at a time: read its
// header, then open it if it is a container -- a multipart is split at its
// boundary, a message/rfc822 holds one entity -- each child limited to its
// parent's byte range, so a missing close delimiter ends a part at the end
// of its parent.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "mail/content_fields.hpp"
#include "mail/header_block.hpp"
#include "mail/imap_render.hpp"
#include "mail/mime.hpp"
#include "mail/multipart_split.hpp"
#include "util/ascii.hpp"

namespace ringpost::mail {

namespace {

constexpr std::string_view kContentPrefix = "content-";

// Lines of a body: its line ends, plus a last line without one.
uint32_t count_lines(std::string_view body) {
    auto lines = static_cast<uint32_t>(std::count(body.begin(), body.end(), '\n'));
    if (!body.empty() && body.back() != '\n') ++lines;
    return lines;
}

bool transparent_encoding(std::string_view encoding) {
    return encoding == "7bit" || encoding == "8bit" || encoding == "binary";
}

// A part read as a leaf of another type. The parameters described the old
// type, so they go; the rest of the MIME header still applies.
void reinterpret(MimePart& p, std::string_view type, std::string_view subtype) {
    p.type = type;
    p.subtype = subtype;
    p.params.clear();
}

class Parser {
public:
    explicit Parser(std::string_view message) : msg_(message) {}

    MimePart parse_entity(size_t begin, size_t end, uint32_t depth, bool in_digest) {
        --parts_left_;   // callers check that one is left
        MimePart p;
        std::string_view entity = msg_.substr(begin, end - begin);
        size_t header_size = header_section_size(entity);
        p.header_offset = static_cast<uint32_t>(begin);
        p.header_size = static_cast<uint32_t>(header_size);
        p.body_offset = static_cast<uint32_t>(begin + header_size);
        p.body_size = static_cast<uint32_t>(entity.size() - header_size);
        read_content_fields(entity.substr(0, header_size), p, in_digest);

        if (p.type == "multipart")
            open_multipart(p, depth);
        else if (p.type == "message" && (p.subtype == "rfc822" || p.subtype == "global"))
            open_message(p, depth);

        if (p.type == "text" || p.type == "message") p.body_lines = count_lines(body(p));
        return p;
    }

private:
    std::string_view body(const MimePart& p) const { return msg_.substr(p.body_offset, p.body_size); }

    // The Content-* fields; the first of each counts. Without a
    // Content-Type a part is text/plain, or message/rfc822 directly inside
    // a multipart/digest (RFC 2046 5.1.5); an unreadable Content-Type is
    // text/plain too (RFC 2045 5.2).
    static void read_content_fields(std::string_view header, MimePart& p, bool in_digest) {
        bool have_type = false, have_encoding = false, have_id = false, have_description = false;
        bool have_md5 = false, have_disposition = false, have_language = false, have_location = false;
        HeaderReader reader(header);
        HeaderField field;
        while (reader.next(field)) {
            if (field.name.size() <= kContentPrefix.size() ||
                !util::iequals(field.name.substr(0, kContentPrefix.size()), kContentPrefix))
                continue;
            std::string_view name = field.name.substr(kContentPrefix.size());
            if (util::iequals(name, "type") && !have_type) {
                have_type = true;
                ContentType ct;
                if (parse_content_type(unfold(field.value), ct)) {
                    p.type = std::move(ct.type);
                    p.subtype = std::move(ct.subtype);
                    p.params = std::move(ct.params);
                }
            } else if (util::iequals(name, "transfer-encoding") && !have_encoding) {
                have_encoding = true;
                std::string encoding = parse_mime_token(unfold(field.value));
                if (!encoding.empty()) p.encoding = std::move(encoding);
            } else if (util::iequals(name, "id") && !have_id) {
                have_id = true;
                p.id = unfold(field.value);
            } else if (util::iequals(name, "description") && !have_description) {
                have_description = true;
                p.description = unfold(field.value);
            } else if (util::iequals(name, "md5") && !have_md5) {
                have_md5 = true;
                p.md5 = unfold(field.value);
            } else if (util::iequals(name, "disposition") && !have_disposition) {
                have_disposition = true;
                parse_content_disposition(unfold(field.value), p.disposition, p.disposition_params);
            } else if (util::iequals(name, "language") && !have_language) {
                have_language = true;
                p.language = unfold(field.value);
            } else if (util::iequals(name, "location") && !have_location) {
                have_location = true;
                p.location = unfold(field.value);
            }
        }
        if (!have_type && in_digest) reinterpret(p, "message", "rfc822");
    }

    bool may_open(uint32_t depth) const { return depth < kMaxMimeDepth && parts_left_ > 0; }

    void open_multipart(MimePart& p, uint32_t depth) {
        std::string_view boundary;
        for (const auto& [name, value] : p.params)
            if (name == "boundary") {
                boundary = value;
                break;
            }
        if (!may_open(depth)) {
            reinterpret(p, "application", "octet-stream");
            return;
        }
        std::vector<ByteRange> ranges =
            split_multipart(msg_, p.body_offset, p.body_offset + p.body_size, boundary, parts_left_);
        if (ranges.empty()) {
            // No boundary, or one that never occurs: the Content-Type was of
            // no use, so the body is plain text (RFC 2045 5.2), and readable.
            reinterpret(p, "text", "plain");
            return;
        }
        bool digest = p.subtype == "digest";
        for (const ByteRange& r : ranges) {
            if (parts_left_ == 0) break;   // earlier children used up the budget
            p.parts.push_back(parse_entity(r.begin, r.end, depth + 1, digest));
        }
    }

    void open_message(MimePart& p, uint32_t depth) {
        // A message/rfc822 body in base64 or quoted-printable (forbidden by
        // RFC 2046 5.2.1, seen anyway) cannot be read as a message here.
        if (!may_open(depth) || !transparent_encoding(p.encoding)) {
            // message/global may be encoded (RFC 6532 3.5) and is a basic
            // part in BODYSTRUCTURE anyway: it stays what it says it is.
            if (p.subtype != "global") reinterpret(p, "application", "octet-stream");
            return;
        }
        MimePart child = parse_entity(p.body_offset, p.body_offset + p.body_size, depth + 1, false);
        p.envelope = render_envelope(msg_.substr(child.header_offset, child.header_size));
        p.parts.push_back(std::move(child));
    }

    std::string_view msg_;
    uint32_t parts_left_ = kMaxMimeParts;
};

}  // namespace

MessageSummary summarize_message(std::string_view message) {
    // Offsets are 32-bit; bytes beyond 4 GiB (far past any size limit) are
    // not described.
    message = message.substr(0, std::min<size_t>(message.size(), std::numeric_limits<uint32_t>::max()));
    MessageSummary summary;
    summary.root = Parser(message).parse_entity(0, message.size(), 0, false);
    summary.envelope = render_envelope(message.substr(0, summary.root.header_size));
    summary.bodystructure = render_body(summary.root, true);
    summary.body = render_body(summary.root, false);
    return summary;
}

}  // namespace ringpost::mail
