// Applying a milter's edits; see edit.hpp.
#include "milter/edit.hpp"

#include <algorithm>

#include "mail/header_block.hpp"
#include "milter/protocol.hpp"
#include "util/ascii.hpp"

namespace ringpost::milter {
namespace {

struct Field {
    std::string name;
    std::string raw;   // the whole field with its CRLF
};

std::vector<Field> split_fields(std::string_view section) {
    std::vector<Field> fields;
    mail::HeaderReader reader(section);
    mail::HeaderField f;
    while (reader.next(f)) fields.push_back({std::string(f.name), std::string(f.raw)});
    return fields;
}

// Header edits by the milter's rules (libmilter smfi_chgheader and
// smfi_insheader): a change names the n-th field of that name (1-based);
// an empty value deletes it; a change of a field that is not there adds
// it. An insert's index counts every field (0 = first).
void edit_header(std::vector<Field>& fields, const Reply& r) {
    if (r.code == rep::kAddHeader) {
        fields.push_back({r.name, format_field(r.name, r.value)});
        return;
    }
    if (r.code == rep::kInsertHeader) {
        const size_t at = std::min<size_t>(r.index, fields.size());
        fields.insert(fields.begin() + static_cast<std::ptrdiff_t>(at), {r.name, format_field(r.name, r.value)});
        return;
    }
    uint32_t seen = 0;
    const uint32_t wanted = std::max<uint32_t>(r.index, 1);
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        if (!util::iequals(it->name, r.name) || ++seen != wanted) continue;
        if (r.value.empty()) fields.erase(it);
        else it->raw = format_field(r.name, r.value);
        return;
    }
    if (!r.value.empty()) fields.push_back({r.name, format_field(r.name, r.value)});
}

// CRLF line ends throughout (a milter may send LF or CRLF).
std::string crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\r') {
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
            out += "\r\n";
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

bool same_address(const std::string& a, const std::string& b) { return util::iequals(a, b); }

void edit_recipients(mail::Envelope& e, const Reply& r, const RecipientCheck& check, EditSummary& s) {
    if (r.code == rep::kDeleteRcpt) {
        const size_t before = e.recipients.size();
        std::erase_if(e.recipients, [&](const mail::Recipient& x) { return same_address(x.address, r.text); });
        s.rcpts_deleted += static_cast<unsigned>(before - e.recipients.size());
        return;
    }
    const bool known = std::any_of(e.recipients.begin(), e.recipients.end(),
                                   [&](const mail::Recipient& x) { return same_address(x.address, r.text); });
    if (known) return;
    mail::Recipient added;
    added.address = r.text;
    if (r.text.empty() || !check(added)) {
        s.rcpts_refused.push_back(r.text);
        return;
    }
    e.recipients.push_back(std::move(added));
    ++s.rcpts_added;
}

}  // namespace

std::string format_field(std::string_view name, std::string_view value) {
    std::string v = crlf(value);
    std::string out = std::string(name) + ": ";
    for (size_t i = 0; i < v.size(); ++i) {
        out.push_back(v[i]);
        const bool line_start = v[i] == '\n';
        if (line_start && i + 1 < v.size() && v[i + 1] != ' ' && v[i + 1] != '\t') out.push_back('\t');
    }
    // A value ending in a line break would leave an empty continuation line.
    while (out.size() >= 2 && out.ends_with("\r\n")) out.resize(out.size() - 2);
    return out + "\r\n";
}

EditSummary apply_edits(const std::vector<Reply>& edits, mail::Envelope& envelope, std::string& data,
                        const RecipientCheck& check) {
    EditSummary s;
    const size_t section = mail::header_section_size(data);
    std::vector<Field> fields = split_fields(std::string_view(data).substr(0, section));
    std::string body;
    for (const Reply& r : edits) {
        switch (r.code) {
        case rep::kAddHeader: case rep::kInsertHeader: case rep::kChangeHeader:
            edit_header(fields, r);
            ++s.headers;
            break;
        case rep::kReplaceBody:
            body += r.text;
            s.body_replaced = true;
            break;
        case rep::kAddRcpt: case rep::kAddRcptWithArgs: case rep::kDeleteRcpt:
            edit_recipients(envelope, r, check, s);
            break;
        case rep::kChangeFrom:
            envelope.sender = r.text;
            s.sender_changed = true;
            break;
        default:
            break;
        }
    }
    if (s.headers > 0 || s.body_replaced) {
        std::string out;
        for (const Field& f : fields) out += f.raw;
        out += "\r\n";
        if (s.body_replaced) {
            out += crlf(body);
        } else {
            // The body after the empty line that ended the old header section.
            std::string_view old_body = std::string_view(data).substr(section);
            out.append(old_body);
        }
        data = std::move(out);
    }
    envelope.body_size = data.size();
    return s;
}

}  // namespace ringpost::milter
