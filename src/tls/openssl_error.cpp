// The error-queue formatter (see openssl_error.hpp).
#include "tls/openssl_error.hpp"

#include <openssl/err.h>

namespace ringpost::tls {

std::string drain_openssl_errors(std::string_view fallback) {
    std::string text;
    const char* data = nullptr;
    int flags = 0;
    unsigned long e;
    while ((e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
        if (!text.empty()) text += "; ";
        const char* lib = ERR_lib_error_string(e);
        const char* reason = ERR_reason_error_string(e);
        if (lib) {
            text += lib;
            text += ": ";
        }
        if (reason) {
            text += reason;
        } else {
            char buf[256];
            ERR_error_string_n(e, buf, sizeof buf);
            text += buf;
        }
        if (data && *data && (flags & ERR_TXT_STRING)) {
            text += " (";
            text += data;
            text += ')';
        }
    }
    return text.empty() ? std::string(fallback) : text;
}

}  // namespace ringpost::tls
