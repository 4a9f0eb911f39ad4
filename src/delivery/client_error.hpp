// The delivery client's errors (Error::code): its own (ClientErrc,
// category "delivery.client") and a server's refusal, whose value is the
// reply code (category "smtp.reply"), so that a reply code is never mistaken
// for an errno value or another layer's code.
#pragma once

#include <string>
#include <system_error>

#include "util/result.hpp"

namespace ringpost::delivery {

enum class ClientErrc {
    // connect(): the TLS handshake after STARTTLS failed (the caller may
    // retry the host in plain text, policy "may").
    kTlsHandshakeError = 1,
};
// The enumerators as delivery::kTlsHandshakeError.
using enum ClientErrc;

inline constexpr ErrorInfo kClientErrors[] = {
    {"TLS handshake failed"},
};
inline const std::error_category& client_category() noexcept {
    static const TableCategory category("delivery.client", kClientErrors);
    return category;
}
inline std::error_code make_error_code(ClientErrc e) noexcept { return {static_cast<int>(e), client_category()}; }

// A server's refusal with reply code `reply` (4xx/5xx).
class ReplyCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "smtp.reply"; }
    std::string message(int reply) const override { return "SMTP reply " + std::to_string(reply); }
};
inline const std::error_category& reply_category() noexcept {
    static const ReplyCategory category;
    return category;
}
inline std::error_code reply_error_code(int reply) noexcept { return {reply, reply_category()}; }
// The reply code an error carries, or 0 when it is no server's refusal.
inline int reply_code_of(const Error& e) noexcept {
    return e.code.category() == reply_category() ? e.code.value() : 0;
}

}  // namespace ringpost::delivery

template <>
struct std::is_error_code_enum<ringpost::delivery::ClientErrc> : std::true_type {};
