// The values the POP3 session and its backend exchange: a maildrop listing
// and the outcome of a login. Plain data, no I/O (see backend.hpp for the
// calls that produce them).
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

#include "util/error_category.hpp"

namespace ringpost::pop3 {

// One message of a maildrop, in the order the client numbers them (1..n).
struct MaildropEntry {
    std::string uid;   // UIDL value: stable across sessions, 1-70 characters 0x21-0x7E (RFC 1939 7)
    uint64_t size;     // octets as RETR sends them before byte-stuffing (CRLF line ends)
};

// The backend's errors for the session (Error::code, category
// "pop3.maildrop"). Any other error -- of any other layer: the blocking
// pool busy, the store -- is a temporary failure (-ERR [SYS/TEMP], RFC 3206).
enum class MaildropErrc {
    // Backend::open_maildrop: another session holds the maildrop (-ERR
    // [IN-USE], RFC 2449 8.1.1).
    kInUse = 1,
    // Backend::fetch: the message was removed meanwhile (IMAP EXPUNGE, MOVE).
    kMessageGone,
};
// The enumerators as pop3::kInUse, pop3::kMessageGone.
using enum MaildropErrc;

inline constexpr ErrorInfo kMaildropErrors[] = {
    {"maildrop already locked"},
    {"message no longer exists"},
};
inline const std::error_category& maildrop_category() noexcept {
    static const TableCategory category("pop3.maildrop", kMaildropErrors);
    return category;
}
inline std::error_code make_error_code(MaildropErrc e) noexcept { return {static_cast<int>(e), maildrop_category()}; }

}  // namespace ringpost::pop3

template <>
struct std::is_error_code_enum<ringpost::pop3::MaildropErrc> : std::true_type {};
