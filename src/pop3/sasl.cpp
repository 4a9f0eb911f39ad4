// SASL PLAIN decoding (see sasl.hpp).
#include "pop3/sasl.hpp"

#include "util/base64.hpp"
#include "util/sasl_plain.hpp"

namespace ringpost::pop3 {

PlainStatus decode_plain(std::string_view response, PlainCredentials& out) {
    std::string raw;
    if (response == "=") response = {};
    if (!base64::decode(response, raw)) return PlainStatus::kBadBase64;
    auto parts = sasl::split_plain(raw);
    if (!parts || parts->password.find('\0') != std::string_view::npos) return PlainStatus::kMalformed;
    if (parts->authcid.empty() || parts->password.empty()) return PlainStatus::kMalformed;
    if (!parts->authzid.empty() && parts->authzid != parts->authcid) return PlainStatus::kBadAuthzid;
    out.user.assign(parts->authcid);
    out.password.assign(parts->password);
    return PlainStatus::kOk;
}

}  // namespace ringpost::pop3
