// Text helpers for building notifications: the RFC 5322 date, turning
// untrusted text (remote SMTP replies, HELO names, ENVIDs) into safe header
// field values, folding fields and wrapping the human-readable lines.
// Separate from dsn.cpp so each rule can be tested on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringpost::delivery::dsn_text {

// Header lines are folded at this width where a blank allows it (RFC 5322 2.1.1
// "SHOULD be no more than 78"); no line ever exceeds kHardLineLimit (the
// "MUST be no more than 998" limit), a long word is split if it must be.
inline constexpr size_t kFoldWidth = 78;
inline constexpr size_t kHardLineLimit = 998;

// "Tue, 24 Nov 2026 10:00:00 +0000" (UTC, independent of locale and TZ).
void append_date(std::string& out, int64_t unix_seconds);

bool is_ascii(std::string_view text);

// One line of safe text: CR, LF and TAB (a multi-line SMTP reply) become a
// single space, runs of blanks collapse, other control characters become
// '?', and bytes >= 0x80 become '?' unless allow_utf8 (then only bytes that
// are not part of a valid UTF-8 sequence do). Leading/trailing blanks go.
std::string sanitize(std::string_view text, bool allow_utf8);

// "Name: value\r\n", folded before blanks so that lines stay within
// kFoldWidth where possible; a word too long for kHardLineLimit is split.
// `value` must already be sanitized (one line).
void append_field(std::string& out, std::string_view name, std::string_view value);

// Word-wraps one sanitized line of prose to `width` columns, CRLF after each
// line; continuation lines start with `indent`. Words longer than a line stay
// whole unless they would exceed kHardLineLimit.
void append_wrapped(std::string& out, std::string_view text, size_t width, std::string_view indent);

// An RFC 3463 enhanced status code: class 2, 4 or 5, then ".subject.detail"
// of 1-3 digits each.
bool is_status_code(std::string_view code);

// Space and tab; `text` without them at either end.
constexpr bool is_blank(char c) { return c == ' ' || c == '\t'; }
std::string_view trim_blanks(std::string_view text);

}  // namespace ringpost::delivery::dsn_text
