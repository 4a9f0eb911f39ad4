// The MIME header fields whose values have structure: Content-Type
// (RFC 2045 5.1), Content-Disposition (RFC 2183), Content-Transfer-Encoding
// and Content-Language (RFC 3282). Parameters follow RFC 2231: continuations
// (name*0, name*1, ...) are joined; when a piece is charset-encoded the
// result is "name*" = "charset'lang'%XX..." (what Dovecot sends in
// BODYSTRUCTURE, left for the client to decode). Parsing is tolerant: a
// broken parameter is skipped, never the whole field.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mail/mime.hpp"

namespace ringpost::mail {

struct ContentType {
    std::string type;      // lower-case
    std::string subtype;   // lower-case
    MimeParams params;
};

// False when the value has no "type/subtype" (RFC 2045 5.2: the caller
// then uses the default).
bool parse_content_type(std::string_view value, ContentType& out);

// The disposition type (lower-case; empty when the value has none) and its
// parameters.
void parse_content_disposition(std::string_view value, std::string& disposition, MimeParams& params);

// The first token of the value, lower-case (Content-Transfer-Encoding);
// empty when there is none.
std::string parse_mime_token(std::string_view value);

// The language tags of a Content-Language value, as written.
std::vector<std::string> split_language_tags(std::string_view value);

}  // namespace ringpost::mail
