// BODY and BODYSTRUCTURE rendering (RFC 3501 7.4.2 and the body grammar in
// section 9); see imap_render.hpp for the case convention.
#include "mail/content_fields.hpp"
#include "mail/header_block.hpp"
#include "mail/imap_render.hpp"
#include "mail/imap_string.hpp"

namespace ringpost::mail {

namespace {

constexpr std::string_view kEmptyEnvelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";

// The envelope form (envelope, body, lines) is message/rfc822's alone.
// RFC 9051 7.5.2 gives it to message/global as well, but ringpost speaks
// IMAP4rev1 only (ENABLE IMAP4rev2 enables nothing), and rev1 parsers
// (imapflow) misread a message/global in that form: it is a basic part,
// as Dovecot sends it to rev1 clients.
bool is_message(const MimePart& p) { return p.type == "message" && p.subtype == "rfc822" && p.parts.size() == 1; }

void append_token(std::string& out, std::string_view token) { append_imap_string(out, to_upper(token)); }

bool has_param(const MimeParams& params, std::string_view attribute) {
    for (const auto& [name, value] : params)
        if (name == attribute) return true;
    return false;
}

// body-fld-param. A text part without a charset gets RFC 2045's default,
// as every server reports it.
void append_params(std::string& out, const MimeParams& params, bool default_charset) {
    bool add_charset = default_charset && !has_param(params, "charset");
    if (params.empty() && !add_charset) {
        out += "NIL";
        return;
    }
    out += '(';
    bool first = true;
    for (const auto& [name, value] : params) {
        if (!first) out += ' ';
        first = false;
        append_token(out, name);
        out += ' ';
        append_imap_string(out, value);
    }
    if (add_charset) out += first ? "\"CHARSET\" \"us-ascii\"" : " \"CHARSET\" \"us-ascii\"";
    out += ')';
}

// body-fld-dsp SP body-fld-lang SP body-fld-loc: the extension data that
// single parts and multiparts share.
void append_common_extensions(std::string& out, const MimePart& p) {
    out += ' ';
    if (p.disposition.empty()) {
        out += "NIL";
    } else {
        out += '(';
        append_token(out, p.disposition);
        out += ' ';
        append_params(out, p.disposition_params, false);
        out += ')';
    }
    out += ' ';
    std::vector<std::string> tags = split_language_tags(p.language);
    if (tags.empty()) {
        out += "NIL";
    } else {
        out += '(';
        for (size_t i = 0; i < tags.size(); ++i) {
            if (i > 0) out += ' ';
            append_imap_string(out, tags[i]);
        }
        out += ')';
    }
    out += ' ';
    append_imap_nstring(out, p.location);
}

void append_part(std::string& out, const MimePart& p, bool extended);

void append_multipart(std::string& out, const MimePart& p, bool extended) {
    out += '(';
    if (p.parts.empty()) {
        // Never produced by the parser; a multipart needs at least one body
        // in the grammar, so stand in an empty text part as Dovecot does.
        MimePart empty;
        append_part(out, empty, extended);
    }
    for (const MimePart& child : p.parts) append_part(out, child, extended);
    out += ' ';
    append_token(out, p.subtype);
    if (extended) {
        out += ' ';
        append_params(out, p.params, false);
        append_common_extensions(out, p);
    }
    out += ')';
}

void append_single(std::string& out, const MimePart& p, bool extended) {
    bool text = p.type == "text";
    out += '(';
    append_token(out, p.type);
    out += ' ';
    append_token(out, p.subtype);
    out += ' ';
    append_params(out, p.params, text);
    out += ' ';
    append_imap_nstring(out, p.id);
    out += ' ';
    append_imap_nstring(out, p.description);
    out += ' ';
    append_token(out, p.encoding.empty() ? std::string_view("7bit") : std::string_view(p.encoding));
    out += ' ';
    out += std::to_string(p.body_size);
    if (is_message(p)) {
        out += ' ';
        out += p.envelope.empty() ? kEmptyEnvelope : std::string_view(p.envelope);
        out += ' ';
        append_part(out, p.parts.front(), extended);
        out += ' ';
        out += std::to_string(p.body_lines);
    } else if (text) {
        out += ' ';
        out += std::to_string(p.body_lines);
    }
    if (extended) {
        out += ' ';
        append_imap_nstring(out, p.md5);
        append_common_extensions(out, p);
    }
    out += ')';
}

void append_part(std::string& out, const MimePart& p, bool extended) {
    if (p.type == "multipart")
        append_multipart(out, p, extended);
    else
        append_single(out, p, extended);
}

}  // namespace

std::string render_body(const MimePart& root, bool extended) {
    std::string out;
    append_part(out, root, extended);
    return out;
}

}  // namespace ringpost::mail
