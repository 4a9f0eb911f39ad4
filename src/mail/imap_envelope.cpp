// ENVELOPE rendering; see imap_render.hpp.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "mail/address_list.hpp"
#include "mail/header_block.hpp"
#include "mail/imap_render.hpp"
#include "mail/imap_string.hpp"
#include "util/ascii.hpp"

namespace ringpost::mail {

namespace {

// The ENVELOPE members in RFC 3501 order.
enum Field { kDate, kSubject, kFrom, kSender, kReplyTo, kTo, kCc, kBcc, kInReplyTo, kMessageId, kFieldCount };

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc", "in-reply-to", "message-id",
};

using Values = std::array<std::optional<std::string>, kFieldCount>;

Values read_envelope_fields(std::string_view header_section) {
    Values values;
    HeaderReader reader(header_section);
    HeaderField field;
    while (reader.next(field)) {
        for (size_t i = 0; i < kFieldCount; ++i) {
            if (!values[i] && util::iequals(field.name, kFieldNames[i])) {
                values[i] = unfold(field.value);
                break;
            }
        }
    }
    return values;
}

void append_string_field(std::string& out, const std::optional<std::string>& value) {
    if (value)
        append_imap_string(out, *value);
    else
        out += "NIL";
}

std::vector<Address> addresses(const std::optional<std::string>& value) {
    return value ? parse_address_list(*value) : std::vector<Address>{};
}

void append_address_list(std::string& out, const std::vector<Address>& list) {
    if (list.empty()) {
        out += "NIL";
        return;
    }
    out += '(';
    for (const Address& a : list) {
        out += '(';
        switch (a.kind) {
            case Address::Kind::kMailbox:
                append_imap_nstring(out, a.name);
                out += ' ';
                append_imap_nstring(out, a.route);
                out += ' ';
                append_imap_string(out, a.mailbox);
                out += ' ';
                append_imap_string(out, a.host);
                break;
            case Address::Kind::kGroupStart:   // RFC 3501: host NIL marks group syntax
                out += "NIL NIL ";
                append_imap_string(out, a.mailbox);
                out += " NIL";
                break;
            case Address::Kind::kGroupEnd:
                out += "NIL NIL NIL NIL";
                break;
        }
        out += ')';
    }
    out += ')';
}

}  // namespace

std::string render_envelope(std::string_view header_section) {
    Values v = read_envelope_fields(header_section);
    std::vector<Address> from = addresses(v[kFrom]);
    std::vector<Address> sender = addresses(v[kSender]);
    std::vector<Address> reply_to = addresses(v[kReplyTo]);

    std::string out = "(";
    append_string_field(out, v[kDate]);
    out += ' ';
    append_string_field(out, v[kSubject]);
    out += ' ';
    append_address_list(out, from);
    out += ' ';
    append_address_list(out, sender.empty() ? from : sender);
    out += ' ';
    append_address_list(out, reply_to.empty() ? from : reply_to);
    for (Field f : {kTo, kCc, kBcc}) {
        out += ' ';
        append_address_list(out, addresses(v[f]));
    }
    out += ' ';
    append_string_field(out, v[kInReplyTo]);
    out += ' ';
    append_string_field(out, v[kMessageId]);
    out += ')';
    return out;
}

}  // namespace ringpost::mail
