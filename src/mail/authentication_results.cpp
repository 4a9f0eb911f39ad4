#include "mail/authentication_results.hpp"

#include "mail/header_block.hpp"
#include "mail/rfc5322_lex.hpp"
#include "util/ascii.hpp"

namespace ringpost::mail {
namespace {

// RFC 2045 token characters: what a value may be without quotes.
bool token_char(char c) {
    return c > 32 && c < 127 && std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!token_char(c)) return false;
    return true;
}

std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\r' || c == '\n') continue;
        out += c;
    }
    return out + "\"";
}

// pvalue (RFC 8601 2.2): a token, local-part@domain, or a quoted-string.
std::string pvalue(std::string_view value) {
    const size_t at = value.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view local = value.substr(0, at);
        std::string_view domain = value.substr(at + 1);
        if ((local.empty() || is_token(local)) && is_token(domain)) return std::string(value);
        if (is_token(domain)) return quoted(local) + "@" + std::string(domain);
    }
    return is_token(value) ? std::string(value) : quoted(value);
}

// Appends the pieces of one result, breaking lines before a piece that
// would pass column 78; `column` is where the line stands.
void append_result(std::string& out, size_t& column, const AuthMethodResult& r, bool last) {
    std::vector<std::string> pieces{r.method + "=" + r.result};
    if (!r.reason.empty()) pieces.push_back("reason=" + quoted(r.reason));
    for (const auto& p : r.properties) pieces.push_back(p.name + "=" + pvalue(p.value));
    if (!last) pieces.back() += ';';
    out += "\r\n\t";
    column = 8;
    for (size_t i = 0; i < pieces.size(); ++i) {
        if (i > 0 && column + 1 + pieces[i].size() > kFoldAt) {
            out += "\r\n\t ";
            column = 9;
        } else if (i > 0) {
            out += ' ';
            ++column;
        }
        out += pieces[i];
        column += pieces[i].size();
    }
}

}  // namespace

std::string render_authentication_results(std::string_view authserv_id, const std::vector<AuthMethodResult>& results) {
    std::string out = "Authentication-Results: " + std::string(authserv_id) + ";";
    if (results.empty()) return out + " none\r\n";
    size_t column = out.size();
    for (size_t i = 0; i < results.size(); ++i) append_result(out, column, results[i], i + 1 == results.size());
    return out + "\r\n";
}

std::string authserv_id_of(std::string_view value) {
    size_t i = rfc5322::skip_cfws(value, 0);
    if (i < value.size() && value[i] == '"') return rfc5322::quoted_string(value, i);
    const size_t start = i;
    while (i < value.size() && value[i] != ';' && value[i] != '(' && value[i] != ' ' && value[i] != '\t' &&
           value[i] != '\r' && value[i] != '\n')
        ++i;
    return std::string(value.substr(start, i - start));
}

size_t remove_authentication_results(std::string& message, std::string_view authserv_id) {
    const size_t section = header_section_size(message);
    std::string kept;
    size_t removed = 0;
    HeaderReader reader(std::string_view(message).substr(0, section));
    HeaderField field;
    size_t consumed = 0;
    while (reader.next(field)) {
        consumed += field.raw.size();
        if (util::iequals(field.name, "Authentication-Results") &&
            util::iequals(authserv_id_of(field.value), authserv_id)) {
            ++removed;
            continue;
        }
        kept += field.raw;
    }
    if (removed == 0) return 0;
    message.replace(0, consumed, kept);
    return removed;
}

}  // namespace ringpost::mail
