// SASL PLAIN (RFC 4616 2): a decoded client response is
// "[authzid] NUL authcid NUL passwd". Shared by SMTP AUTH, POP3 AUTH and IMAP
// AUTHENTICATE, which each apply their own rules on top (empty fields, proxy
// authorization, a NUL inside the password) and answer in their protocol.
#pragma once

#include <optional>
#include <string_view>

namespace ringpost::sasl {

struct PlainParts {
    std::string_view authzid;
    std::string_view authcid;
    std::string_view password;   // everything after the second NUL
};

// The three fields (views into `decoded`); nullopt without two NULs.
inline std::optional<PlainParts> split_plain(std::string_view decoded) {
    size_t a = decoded.find('\0');
    if (a == std::string_view::npos) return std::nullopt;
    size_t b = decoded.find('\0', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    return PlainParts{decoded.substr(0, a), decoded.substr(a + 1, b - a - 1), decoded.substr(b + 1)};
}

}  // namespace ringpost::sasl
