// IMAP dates (RFC 3501 9 "date", "date-time"): parsing for SEARCH
// ("1-Feb-1994") and APPEND ("17-Jul-1996 02:44:25 -0700"), and formatting
// INTERNALDATE. No libc time zone functions: everything is explicit UTC
// seconds plus a zone offset, so results do not depend on the process's TZ.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringpost::imap {

// A calendar date; SEARCH compares dates "disregarding time and timezone".
struct Date {
    int year = 1970;
    int month = 1;   // 1..12
    int day = 1;     // 1..31
    // Days since 1970-01-01 (negative before).
    int64_t days() const;
    auto operator<=>(const Date&) const = default;
};

// An instant and the zone it was written in.
struct DateTime {
    int64_t unix_time = 0;   // seconds since the epoch, UTC
    int zone_minutes = 0;    // offset east of UTC, e.g. -420 for "-0700"
};

// "1-Feb-1994" / "01-Feb-1994" (date-text; no quotes). Month names are
// case-insensitive; the day must exist in that month.
std::optional<Date> parse_date(std::string_view text);

// "17-Jul-1996 02:44:25 -0700" (date-time without its quotes). The day may
// be " 7", "07" or "7".
std::optional<DateTime> parse_date_time(std::string_view text);

// The calendar date of an instant in a zone.
Date date_of(int64_t unix_time, int zone_minutes);

// Date from days since 1970-01-01.
Date date_from_days(int64_t days);

// Appends "\"17-Jul-1996 02:44:25 -0700\"" - the quotes are part of
// date-time - for INTERNALDATE.
void append_date_time(std::string& out, int64_t unix_time, int zone_minutes);

}  // namespace ringpost::imap
