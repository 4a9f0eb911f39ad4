// RFC 5322 3.4 address lists (From, To, Cc, ...) in the shape IMAP's
// ENVELOPE wants them (RFC 3501 7.4.2): one entry per mailbox, a group as a
// start entry, its members and an end entry.
//
// Read as Dovecot reads them (what imaptest's fetch-envelope checks): a
// comment in or after a bare addr-spec is its display name
// ("user@domain (Real Name)"), other comments are dropped; words without
// an address are a display name with the mailbox missing. Tolerant like
// the clients that read real mail: obsolete routes are kept, quoted local
// parts are unquoted, a broken address yields what could be read, and
// stray characters are skipped.
// Encoded words (RFC 2047) and 8-bit bytes pass through untouched.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ringpost::mail {

struct Address {
    enum class Kind { kMailbox, kGroupStart, kGroupEnd };
    Kind kind = Kind::kMailbox;
    std::string name;      // display name, empty = NIL (for a group start: unused)
    std::string route;     // obsolete source route "@a,@b", empty = NIL
    std::string mailbox;   // local part; for a group start the group's name
    std::string host;      // domain
};

// What an address without a local part or a domain gets, as Dovecot sends
// it: an IMAP host of NIL would mean "group syntax" to the client.
inline constexpr std::string_view kMissingMailbox = "MISSING_MAILBOX";
inline constexpr std::string_view kMissingDomain = "MISSING_DOMAIN";

// Parses an unfolded address-list field value.
std::vector<Address> parse_address_list(std::string_view value);

}  // namespace ringpost::mail
