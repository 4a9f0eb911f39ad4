// Helpers shared by the session's command files (session*.cpp): flag
// names and bits, case-insensitive comparison, the Date: lookup for SEARCH,
// STATUS items, BODY[section] ranges. Internal to
// the session; not part of the IMAP library's interface.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/backend.hpp"
#include "imap/command.hpp"
#include "mail/mime.hpp"

namespace ringpost::imap::detail {

// "(\Seen \Deleted $Forwarded)": system flags, then the keywords whose
// bits are set (bit kFirstKeywordBit + i is keywords[i]); \Recent first
// when `recent` (a session's own flag, never stored).
void append_flags(std::string& out, uint32_t flags, const std::vector<std::string>& keywords, bool recent = false);
// The system flags among `flags` as bits; the keywords (no backslash) are
// added to `keywords`. \Recent and unknown system flags are ignored: they
// cannot be stored.
uint32_t flag_bits(const std::vector<std::string>& flags, std::vector<std::string>& keywords);
// One flag's bit: a system flag, or a keyword in `keywords`; 0 if unknown.
uint32_t flag_bit(std::string_view flag, const std::vector<std::string>& keywords);
// "\Answered \Flagged \Deleted \Seen \Draft" and the keywords.
std::string flag_names(const std::vector<std::string>& keywords);

bool ci_equal(std::string_view a, std::string_view b);

// The header block of a message (up to and including the empty line).
std::string_view header_of(std::string_view msg);
// The unfolded values of every field called `name`, joined by newlines.
std::string header_values(std::string_view header, std::string_view name);

// "* STATUS name (ITEMS...)\r\n".
void status_items(std::string& out, const MailboxStatus& s, const StatusItems& items);

// Where a BODY[section] lies in the stored message: a byte range for the
// whole message, a part, HEADER, TEXT and MIME; header fields need the
// header block's bytes filtered (`fields` set). Empty (size 0) when the
// part does not exist.
struct SectionRange {
    uint64_t offset = 0;
    uint64_t size = 0;
    bool fields = false;   // HEADER.FIELDS (NOT): filter [offset, offset + size)
};
SectionRange locate_section(const Section& sec, const mail::MessageSummary& summary, uint64_t message_size);

// Sections that need the stored MIME summary to be located (all but the
// whole message).
bool needs_summary(const Section& sec);

// The text a BODY[section] fetch returns, from the whole message.
std::string section_text(const Section& sec, const mail::MessageSummary& summary, std::string_view data);

}  // namespace ringpost::imap::detail
