// The values the POP3 session and its backend exchange: a maildrop listing
// and the outcome of a login. Plain data, no I/O (see backend.hpp for the
// calls that produce them).
#pragma once

#include <cstdint>
#include <string>

namespace ringpost::pop3 {

// One message of a maildrop, in the order the client numbers them (1..n).
struct MaildropEntry {
    std::string uid;   // UIDL value: stable across sessions, 1-70 characters 0x21-0x7E (RFC 1939 7)
    uint64_t size;     // octets as RETR sends them before byte-stuffing (CRLF line ends)
};

enum class AuthStatus : uint8_t {
    kOk,
    kBadCredentials,   // unknown user and wrong password look the same
    kTempFail,         // the store or the password check is unavailable
};

struct AuthResult {
    AuthStatus status = AuthStatus::kBadCredentials;
    // With kOk: the maildrop's canonical name, used for every later call
    // (e.g. the address as stored); empty means "as the client typed it".
    std::string user;
};

// Error::code from Backend::open_maildrop when another session holds the
// maildrop (-ERR [IN-USE], RFC 2449 8.1.1). Any other error code is a
// temporary failure (-ERR [SYS/TEMP], RFC 3206).
inline constexpr int kInUse = 1;
// Backend::fetch: the message was removed meanwhile (IMAP EXPUNGE, MOVE).
inline constexpr int kMessageGone = 2;

}  // namespace ringpost::pop3
