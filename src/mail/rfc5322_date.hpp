// The RFC 5322 3.3 date-time of a Date: (or Resent-Date:) field, with the
// obsolete forms of 4.3, as an instant and as the calendar date written.
// IMAP SEARCH SENTBEFORE / SENTON / SENTSINCE compare the latter: the Date:
// header's date "disregarding time and timezone" (RFC 3501 6.4.4).
//
// Strict about the values (month names, day within its month, hour 00-23,
// minute 00-59, second 00-60 for a leap second, zone minutes 00-59, year
// 1900-9999) and about the order of the parts; lenient about what separates
// them: any CFWS (blanks, folds, comments) may stand between any two
// tokens, so a folded field value can be passed as it is.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ringpost::mail {

struct MailDate {
    int64_t utc = 0;          // unix seconds; 23:59:60 counts as the next 00:00:00
    int32_t days_local = 0;   // days since 1970-01-01 of the date as written, zone ignored
    // Offset east of UTC as written, e.g. -420 for "-0700". 0 also for
    // "-0000", military letters and unknown alphabetic zones, which
    // RFC 5322 4.3 says carry no usable offset.
    int32_t zone_minutes = 0;
};

// The day-of-week, when present, must be a day name but is not checked
// against the date: it is redundant, and a wrong one should not make a
// message unsearchable. Without a zone, or with trailing text other than
// CFWS, the value is rejected.
std::optional<MailDate> parse_rfc5322_date(std::string_view value);

}  // namespace ringpost::mail
