// Received: header and protocol names (see received.hpp).
#include "smtp/received.hpp"

namespace ringpost::smtp {

std::string_view protocol_name(bool esmtp, bool smtputf8, bool tls, bool authenticated) {
    // HELO clients have no extensions: no SMTPUTF8, no STARTTLS, no AUTH,
    // and RFC 3848 registers no suffixed form of plain "SMTP".
    if (!esmtp) return "SMTP";
    static constexpr std::string_view kNames[8] = {
        "ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA", "UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA",
    };
    return kNames[(smtputf8 ? 4 : 0) | (tls ? 2 : 0) | (authenticated ? 1 : 0)];
}

namespace {

void append2(std::string& out, unsigned v) {
    char d[2] = {char('0' + v / 10 % 10), char('0' + v % 10)};
    out.append(d, 2);
}

}  // namespace

void append_rfc5322_date(std::string& out, int64_t t) {
    static constexpr const char* kDays[7] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static constexpr const char* kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    unsigned day = unsigned(doy - (153 * mp + 2) / 5 + 1);
    unsigned month = unsigned(mp < 10 ? mp + 3 : mp - 9);
    int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);

    out.append(kDays[((days % 7) + 7) % 7]);   // 1970-01-01 was a Thursday
    out.append(", ");
    out.append(std::to_string(day));
    out.push_back(' ');
    out.append(kMonths[month - 1]);
    out.push_back(' ');
    out.append(std::to_string(year));
    out.push_back(' ');
    append2(out, unsigned(secs / 3600));
    out.push_back(':');
    append2(out, unsigned(secs / 60 % 60));
    out.push_back(':');
    append2(out, unsigned(secs % 60));
    out.append(" +0000");
}

void append_received(std::string& out, const ReceivedFields& f) {
    out.append("Received: from ");
    out.append(f.helo);
    out.append(" (");
    if (f.client_ip.empty()) {
        out.append("unknown");
    } else {
        // An address literal as in RFC 5321 4.1.3, like Postfix writes it.
        out.push_back('[');
        if (f.client_ip.find(':') != std::string_view::npos) out.append("IPv6:");
        out.append(f.client_ip);
        out.push_back(']');
    }
    out.append(")\r\n\t");
    if (!f.tls_version.empty()) {
        // Postfix's wording; the bits are the cipher's secret bits, used and
        // of the algorithm (the same for every modern cipher).
        out.append("(using ");
        out.append(f.tls_version);
        out.append(" with cipher ");
        out.append(f.tls_cipher.empty() ? std::string_view("unknown") : f.tls_cipher);
        out.append(" (");
        out.append(std::to_string(f.tls_cipher_bits));
        out.push_back('/');
        out.append(std::to_string(f.tls_cipher_bits));
        out.append(" bits))\r\n\t");
    }
    out.append("by ");
    out.append(f.hostname);
    out.append(" (ringpost) with ");
    out.append(f.protocol);
    out.append(" id ");
    out.append(f.queue_id);
    if (!f.for_recipient.empty()) {
        // Only with exactly one recipient: listing several would disclose
        // the other (Bcc) recipients to each of them.
        out.append("\r\n\tfor <");
        out.append(f.for_recipient);
        out.append(">; ");
    } else {
        out.append(";\r\n\t");
    }
    append_rfc5322_date(out, f.time);
    out.append("\r\n");
}

}  // namespace ringpost::smtp
