// IMAP section addressing (RFC 3501 6.4.5): find_part and header_fields;
// see mime.hpp.
#include "mail/header_block.hpp"
#include "mail/mime.hpp"
#include "util/ascii.hpp"

namespace ringpost::mail {

namespace {

bool is_encapsulated_message(const MimePart& p) {
    return p.type == "message" && (p.subtype == "rfc822" || p.subtype == "global") && p.parts.size() == 1;
}

}  // namespace

const MimePart* find_part(const MimePart& root, const std::vector<uint32_t>& path) {
    // `body` is what the next number indexes: the children of a multipart,
    // or the body of a message, which is part 1 when it is not multipart.
    const MimePart* body = &root;
    const MimePart* found = &root;
    for (uint32_t n : path) {
        if (body == nullptr || n == 0) return nullptr;
        if (body->type == "multipart") {
            if (n > body->parts.size()) return nullptr;
            found = &body->parts[n - 1];
        } else if (n == 1) {
            found = body;
        } else {
            return nullptr;
        }
        if (found->type == "multipart")
            body = found;
        else if (is_encapsulated_message(*found))
            body = &found->parts.front();
        else
            body = nullptr;   // a leaf has no parts
    }
    return found;
}

std::string header_fields(std::string_view header_block, const std::vector<std::string>& names, bool exclude) {
    std::string out;
    HeaderReader reader(header_block);
    HeaderField field;
    while (reader.next(field)) {
        bool listed = false;
        for (const std::string& name : names) {
            if (util::iequals(field.name, name)) {
                listed = true;
                break;
            }
        }
        if (listed == exclude) continue;
        // As stored, except that every line ends in CRLF as IMAP requires,
        // including a last line that had no line end at all.
        size_t pos = 0;
        std::string_view raw = field.raw;
        while (pos < raw.size()) {
            size_t lf = raw.find('\n', pos);
            size_t end = lf == std::string_view::npos ? raw.size() : lf;
            size_t text_end = end > pos && raw[end - 1] == '\r' ? end - 1 : end;
            out.append(raw.substr(pos, text_end - pos));
            out += "\r\n";
            pos = lf == std::string_view::npos ? raw.size() : lf + 1;
        }
    }
    // RFC 3501 6.4.5: the empty line comes along "except in the case of a
    // message which has no body and no blank line". HEADER.FIELDS adds it
    // all the same, as Dovecot does (clients take it as the end marker).
    if (!exclude || reader.at_empty_line()) out += "\r\n";
    return out;
}

}  // namespace ringpost::mail
