#include "mail/esmtp_parameters.hpp"

namespace ringpost::mail {

std::string xtext_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (c < 33 || c > 126 || c == '+' || c == '=') {
            out += '+';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::vector<std::string> body_parameters(BodyType body_type, bool smtputf8) {
    std::vector<std::string> out;
    if (body_type == BodyType::kBinaryMime) out.emplace_back("BODY=BINARYMIME");
    if (body_type == BodyType::k8BitMime) out.emplace_back("BODY=8BITMIME");
    if (smtputf8) out.emplace_back("SMTPUTF8");
    return out;
}

std::vector<std::string> dsn_mail_parameters(DsnRet ret, std::string_view envid) {
    std::vector<std::string> out;
    if (ret == DsnRet::kFull) out.emplace_back("RET=FULL");
    if (ret == DsnRet::kHeaders) out.emplace_back("RET=HDRS");
    if (!envid.empty()) out.push_back("ENVID=" + xtext_encode(envid));
    return out;
}

std::vector<std::string> dsn_rcpt_parameters(uint8_t notify, std::string_view orcpt) {
    std::vector<std::string> out;
    if (notify & kNotifyNever) {
        out.emplace_back("NOTIFY=NEVER");
    } else if (notify != 0) {
        std::string p = "NOTIFY=";
        for (auto [bit, name] : {std::pair{kNotifySuccess, "SUCCESS,"}, std::pair{kNotifyFailure, "FAILURE,"},
                                 std::pair{kNotifyDelay, "DELAY,"}}) {
            if (notify & bit) p += name;
        }
        p.pop_back();   // the last comma
        out.push_back(std::move(p));
    }
    if (!orcpt.empty()) {
        // Stored decoded as "type;address"; only the address is xtext.
        const size_t semi = orcpt.find(';');
        if (semi == std::string_view::npos) {
            out.push_back("ORCPT=rfc822;" + xtext_encode(orcpt));
        } else {
            out.push_back("ORCPT=" + std::string(orcpt.substr(0, semi)) + ";" + xtext_encode(orcpt.substr(semi + 1)));
        }
    }
    return out;
}

}  // namespace ringpost::mail
