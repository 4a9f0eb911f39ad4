// SASL PLAIN decoding (see sasl.hpp).
#include "pop3/sasl.hpp"

#include "util/base64.hpp"

namespace ringpost::pop3 {

PlainStatus decode_plain(std::string_view response, PlainCredentials& out) {
    std::string raw;
    if (response == "=") response = {};
    if (!base64::decode(response, raw)) return PlainStatus::kBadBase64;
    size_t a = raw.find('\0');
    if (a == std::string::npos) return PlainStatus::kMalformed;
    size_t b = raw.find('\0', a + 1);
    if (b == std::string::npos || raw.find('\0', b + 1) != std::string::npos) return PlainStatus::kMalformed;
    std::string_view view(raw);
    std::string_view authzid = view.substr(0, a);
    std::string_view authcid = view.substr(a + 1, b - a - 1);
    std::string_view password = view.substr(b + 1);
    if (authcid.empty() || password.empty()) return PlainStatus::kMalformed;
    if (!authzid.empty() && authzid != authcid) return PlainStatus::kBadAuthzid;
    out.user.assign(authcid);
    out.password.assign(password);
    return PlainStatus::kOk;
}

}  // namespace ringpost::pop3
