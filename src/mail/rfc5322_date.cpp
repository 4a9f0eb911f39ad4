// RFC 5322 date-time parsing; see rfc5322_date.hpp. A cursor reads one
// token at a time (a digit run, a letter run or one punctuation byte) and
// skips CFWS between tokens, which covers both the current grammar and the
// obsolete one, where CFWS may surround every part ("09(c): 55 : 06").
// No libc time functions: the result must not depend on TZ or the locale.
#include "mail/rfc5322_date.hpp"

#include <array>

#include "mail/rfc5322_lex.hpp"
#include "util/ascii.hpp"

namespace ringpost::mail {

namespace {

constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// RFC 5322 4.3 obs-zone names with a defined offset, in minutes.
struct NamedZone {
    std::string_view name;
    int minutes;
};
constexpr std::array<NamedZone, 10> kZones = {{
    {"ut", 0}, {"gmt", 0}, {"est", -300}, {"edt", -240}, {"cst", -360},
    {"cdt", -300}, {"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420},
}};

// A digit run longer than this is no date part; reading stops counting
// value there so that nothing overflows.
constexpr size_t kMaxDigits = 9;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool equals_lower(std::string_view word, std::string_view lower_name) {
    if (word.size() != lower_name.size()) return false;
    for (size_t k = 0; k < word.size(); ++k) {
        if (util::ascii_lower(word[k]) != lower_name[k]) return false;
    }
    return true;
}

// Index of `word` in `names`, or -1.
template <size_t N>
int find_name(std::string_view word, const std::array<std::string_view, N>& names) {
    for (size_t k = 0; k < N; ++k) {
        if (equals_lower(word, names[k])) return static_cast<int>(k);
    }
    return -1;
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int64_t y, int m) {
    static constexpr int kLength[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kLength[m - 1];
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic
// Gregorian calendar, exact for any year without tables or libc.
int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

class Cursor {
public:
    explicit Cursor(std::string_view s) : s_(s) {}

    void skip_cfws() { i_ = rfc5322::skip_cfws(s_, i_); }
    bool done() const { return i_ >= s_.size(); }

    bool take(char c) {
        if (done() || s_[i_] != c) return false;
        ++i_;
        return true;
    }

    // A run of letters, possibly empty.
    std::string_view letters() {
        size_t start = i_;
        while (!done() && is_alpha(s_[i_])) ++i_;
        return s_.substr(start, i_ - start);
    }

    // A run of digits: its length (0 if none) and, when at most
    // kMaxDigits long, its value.
    size_t digits(int64_t& value) {
        size_t start = i_;
        value = 0;
        while (!done() && is_digit(s_[i_])) {
            if (i_ - start < kMaxDigits) value = value * 10 + (s_[i_] - '0');
            ++i_;
        }
        return i_ - start;
    }

    // Exactly two digits at most `max`: hour, minute, second.
    bool two_digits(int max, int& out) {
        int64_t v;
        if (digits(v) != 2 || v > max) return false;
        out = static_cast<int>(v);
        return true;
    }

private:
    std::string_view s_;
    size_t i_ = 0;
};

// zone = (FWS ("+" / "-") 4DIGIT) / obs-zone, the cursor at its first byte.
bool read_zone(Cursor& c, int& minutes) {
    bool minus = c.take('-');
    if (minus || c.take('+')) {
        int64_t hhmm;
        if (c.digits(hhmm) != 4 || hhmm % 100 > 59) return false;
        minutes = static_cast<int>(hhmm / 100 * 60 + hhmm % 100) * (minus ? -1 : 1);
        return true;
    }
    std::string_view name = c.letters();
    for (const NamedZone& z : kZones) {
        if (equals_lower(name, z.name)) {
            minutes = z.minutes;
            return true;
        }
    }
    // Military zones: RFC 822 defined their signs backwards, so RFC 5322
    // 4.3 says to take them as "-0000". "J" was never one.
    if (name.size() == 1) {
        minutes = 0;
        return util::ascii_lower(name[0]) != 'j';
    }
    // Other zone names (CET, JST, ...) have been used; RFC 5322 4.3 says
    // an unknown one SHOULD be taken as "-0000" rather than rejected.
    minutes = 0;
    return name.size() >= 3 && name.size() <= 5;
}

}  // namespace

std::optional<MailDate> parse_rfc5322_date(std::string_view value) {
    Cursor c(value);
    c.skip_cfws();

    // [ day-of-week "," ]
    if (std::string_view name = c.letters(); !name.empty()) {
        if (find_name(name, kDays) < 0) return std::nullopt;
        c.skip_cfws();
        if (!c.take(',')) return std::nullopt;
        c.skip_cfws();
    }

    // date = day month year
    int64_t day, year;
    size_t day_len = c.digits(day);
    if (day_len < 1 || day_len > 2) return std::nullopt;
    c.skip_cfws();
    int month = find_name(c.letters(), kMonths) + 1;
    if (month == 0) return std::nullopt;
    c.skip_cfws();
    size_t year_len = c.digits(year);
    if (year_len < 2 || year_len > kMaxDigits) return std::nullopt;
    // RFC 5322 4.3: 00-49 are 2000-2049, 50-99 and any three digits are
    // counted from 1900 (the "100" of Y2K-era clients is 2000).
    if (year_len == 2) year += year < 50 ? 2000 : 1900;
    if (year_len == 3) year += 1900;
    if (year < 1900 || year > 9999) return std::nullopt;
    if (day < 1 || day > days_in_month(year, month)) return std::nullopt;
    c.skip_cfws();

    // time-of-day = hour ":" minute [ ":" second ]
    int hour, minute, second = 0;
    if (!c.two_digits(23, hour)) return std::nullopt;
    c.skip_cfws();
    if (!c.take(':')) return std::nullopt;
    c.skip_cfws();
    if (!c.two_digits(59, minute)) return std::nullopt;
    c.skip_cfws();
    if (c.take(':')) {
        c.skip_cfws();
        if (!c.two_digits(60, second)) return std::nullopt;
        c.skip_cfws();
    }

    int zone;
    if (!read_zone(c, zone)) return std::nullopt;
    c.skip_cfws();
    if (!c.done()) return std::nullopt;

    MailDate out;
    const int64_t days = days_from_civil(year, month, static_cast<int>(day));
    out.days_local = static_cast<int32_t>(days);
    out.utc = days * 86400 + hour * 3600 + minute * 60 + second - int64_t{zone} * 60;
    out.zone_minutes = zone;
    return out;
}

}  // namespace ringpost::mail
