// IMAP dates (see date_time.hpp). Calendar arithmetic after Howard
// Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
#include "imap/date_time.hpp"

#include "imap/chars.hpp"

namespace ringpost::imap {

namespace {

constexpr const char* kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
    static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n digits at s[i].
bool digits(std::string_view s, size_t& i, size_t n, int& out) {
    if (i + n > s.size()) return false;
    int v = 0;
    for (size_t k = 0; k < n; ++k) {
        if (!is_digit(s[i + k])) return false;
        v = v * 10 + (s[i + k] - '0');
    }
    i += n;
    out = v;
    return true;
}

// date-day "-" date-month "-" date-year, with the day already read.
bool month_year(std::string_view s, size_t& i, int day, Date& out) {
    if (i >= s.size() || s[i] != '-' || i + 4 > s.size()) return false;
    ++i;
    int month = 0;
    for (int m = 0; m < 12; ++m) {
        if (to_upper(s[i]) == to_upper(kMonths[m][0]) && to_upper(s[i + 1]) == to_upper(kMonths[m][1]) &&
            to_upper(s[i + 2]) == to_upper(kMonths[m][2])) {
            month = m + 1;
            break;
        }
    }
    if (month == 0) return false;
    i += 3;
    if (i >= s.size() || s[i] != '-') return false;
    ++i;
    int year;
    if (!digits(s, i, 4, year) || year < 1) return false;
    if (day < 1 || day > days_in_month(year, month)) return false;
    out = Date{year, month, day};
    return true;
}

void append_2(std::string& out, int v) {
    out += static_cast<char>('0' + v / 10);
    out += static_cast<char>('0' + v % 10);
}

}  // namespace

int64_t Date::days() const { return days_from_civil(year, month, day); }

Date date_from_days(int64_t z) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    const int64_t y = yoe + era * 400 + (m <= 2);
    return Date{static_cast<int>(y), m, d};
}

Date date_of(int64_t unix_time, int zone_minutes) {
    int64_t local = unix_time + int64_t(zone_minutes) * 60;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    return date_from_days(days);
}

std::optional<Date> parse_date(std::string_view s) {
    size_t i = 0;
    int day;
    if (!digits(s, i, 2, day) && !digits(s, i, 1, day)) return std::nullopt;
    Date d;
    if (!month_year(s, i, day, d) || i != s.size()) return std::nullopt;
    return d;
}

std::optional<DateTime> parse_date_time(std::string_view s) {
    size_t i = 0;
    int day;
    if (!s.empty() && s[0] == ' ') i = 1;   // date-day-fixed: SP DIGIT
    bool two = i == 0 && digits(s, i, 2, day);
    if (!two && !digits(s, i, 1, day)) return std::nullopt;
    Date d;
    if (!month_year(s, i, day, d)) return std::nullopt;
    int hh, mm, ss, zh, zm;
    if (i >= s.size() || s[i++] != ' ') return std::nullopt;
    if (!digits(s, i, 2, hh) || i >= s.size() || s[i++] != ':') return std::nullopt;
    if (!digits(s, i, 2, mm) || i >= s.size() || s[i++] != ':') return std::nullopt;
    if (!digits(s, i, 2, ss) || i >= s.size() || s[i++] != ' ') return std::nullopt;
    if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return std::nullopt;
    bool negative = s[i++] == '-';
    if (!digits(s, i, 2, zh) || !digits(s, i, 2, zm) || i != s.size()) return std::nullopt;
    if (hh > 23 || mm > 59 || ss > 60 || zh > 23 || zm > 59) return std::nullopt;
    int zone = (zh * 60 + zm) * (negative ? -1 : 1);
    int64_t local = d.days() * 86400 + hh * 3600 + mm * 60 + ss;
    return DateTime{local - int64_t(zone) * 60, zone};
}

void append_date_time(std::string& out, int64_t unix_time, int zone_minutes) {
    int64_t local = unix_time + int64_t(zone_minutes) * 60;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int64_t secs = local - days * 86400;
    Date d = date_from_days(days);
    out += '"';
    append_2(out, d.day);
    out += '-';
    out += kMonths[d.month - 1];
    out += '-';
    int y = d.year < 0 ? 0 : (d.year > 9999 ? 9999 : d.year);
    append_2(out, y / 100);
    append_2(out, y % 100);
    out += ' ';
    append_2(out, static_cast<int>(secs / 3600));
    out += ':';
    append_2(out, static_cast<int>(secs / 60 % 60));
    out += ':';
    append_2(out, static_cast<int>(secs % 60));
    out += ' ';
    int z = zone_minutes;
    out += z < 0 ? '-' : '+';
    if (z < 0) z = -z;
    append_2(out, (z / 60) % 100);
    append_2(out, z % 60);
    out += '"';
}

}  // namespace ringpost::imap
