// Part 1 of a notification: the explanation a person reads, worded like
// Postfix's so that users (and helpdesks) recognise it.
#include <algorithm>

#include "delivery/dsn_parts.hpp"
#include "delivery/dsn_text.hpp"

namespace ringpost::delivery::dsn_parts {

namespace {

using dsn_text::sanitize;

void line(std::string& out, std::string_view text = {}) {
    out.append(text);
    out.append("\r\n");
}

// "3 hours", "1 day": how long the message has waited, for delay warnings.
std::string describe_age(int64_t seconds) {
    const auto plural = [](int64_t n, const char* unit) {
        return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
    };
    if (seconds < 3600) return plural(std::max<int64_t>(1, seconds / 60), "minute");
    if (seconds < 2 * 86400) return plural(seconds / 3600, "hour");
    return plural(seconds / 86400, "day");
}

// The one-line story of one recipient, after "<address>: ".
std::string explanation(const DsnRecipient& r, bool global) {
    std::string text;
    if (!r.remote_reply.empty()) {
        text = r.remote_mta.empty() ? "the remote server said: "
                                    : "host " + sanitize(r.remote_mta, false) + " said: ";
        text += sanitize(r.remote_reply, global);
        if (!r.reason.empty()) text += " (" + sanitize(r.reason, global) + ")";
        return text;
    }
    if (!r.reason.empty()) return sanitize(r.reason, global);
    const std::string via = r.remote_mta.empty() ? "" : " via " + sanitize(r.remote_mta, false);
    switch (r.action) {
        case DsnAction::kFailed: return "delivery failed (" + status_code(r) + ")";
        case DsnAction::kDelayed: return "delivery temporarily deferred (" + status_code(r) + ")";
        case DsnAction::kDelivered: return r.remote_mta.empty() ? "delivered to mailbox" : "delivered" + via;
        case DsnAction::kRelayed: return "relayed" + via + " to a system that sends no delivery notifications";
        case DsnAction::kExpanded: return "delivered to the members of a list or alias";
    }
    return {};
}

void intro(std::string& out, const DsnInput& in, Kind kind, const ReturnedOriginal& returned) {
    const std::string host = sanitize(in.reporting_mta, false);
    if (kind == Kind::kDelay) {
        line(out, "####################################################################");
        line(out, "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #");
        line(out, "####################################################################");
        line(out);
    }
    line(out, "This is the mail system at host " + host + ".");
    line(out);
    switch (kind) {
        case Kind::kFailure:
            line(out, "I'm sorry to have to inform you that your message could not");
            line(out, returned.full ? "be delivered to one or more recipients. It's attached below."
                                    : "be delivered to one or more recipients. Its headers are attached below.");
            if (returned.over_size) {
                line(out);
                line(out, "The message was too large to be returned in full.");
            }
            line(out);
            line(out, "For further assistance, please send mail to postmaster.");
            line(out);
            line(out, "If you do so, please include this problem report. You can");
            line(out, "delete your own text from the attached returned message.");
            break;
        case Kind::kDelay: {
            int64_t until = 0;
            for (const auto& r : in.recipients) {
                if (r.action == DsnAction::kDelayed) until = std::max(until, r.will_retry_until);
            }
            std::string text = "Your message could not be delivered for " +
                               describe_age(in.now - in.envelope.received_at) + ".";
            if (until != 0) {
                std::string date;
                dsn_text::append_date(date, until);
                text += " It will be retried until " + date + ".";
            }
            dsn_text::append_wrapped(out, text, 64, "");
            break;
        }
        case Kind::kSuccess:
            line(out, "Your message was successfully delivered to the destination(s)");
            line(out, "listed below. If the message was delivered to mailbox you will");
            line(out, "receive no further notifications. Otherwise you may still receive");
            line(out, "notifications of mail delivery errors from other systems.");
            break;
    }
    line(out);
    line(out, "                   The mail system");
}

std::string_view heading(DsnAction action) {
    switch (action) {
        case DsnAction::kFailed: return "Delivery to these recipients failed permanently:";
        case DsnAction::kDelayed: return "Delivery to these recipients is delayed and will be retried:";
        case DsnAction::kDelivered: return "Delivered to these recipients:";
        case DsnAction::kRelayed: return "Relayed for these recipients:";
        case DsnAction::kExpanded: return "Expanded for these recipients:";
    }
    return {};
}

}  // namespace

std::string human_text(const DsnInput& in, Kind kind, bool global, const ReturnedOriginal& returned) {
    std::string out;
    intro(out, in, kind, returned);
    // Recipients grouped by action, most urgent first; headings only when a
    // report mixes actions, since the introduction already says what happened.
    static constexpr DsnAction kOrder[] = {DsnAction::kFailed, DsnAction::kDelayed, DsnAction::kDelivered,
                                           DsnAction::kRelayed, DsnAction::kExpanded};
    size_t groups = 0;
    for (DsnAction a : kOrder) {
        groups += std::any_of(in.recipients.begin(), in.recipients.end(),
                              [a](const DsnRecipient& r) { return r.action == a; });
    }
    for (DsnAction a : kOrder) {
        bool first = true;
        for (const auto& r : in.recipients) {
            if (r.action != a) continue;
            if (first) {
                line(out);
                if (groups > 1) {
                    line(out, heading(a));
                    line(out);
                }
                first = false;
            }
            std::string text = "<" + sanitize(r.address, global) + ">: " + explanation(r, global);
            if (!r.bounce_class.empty()) text += " (bounce class: " + sanitize(r.bounce_class, false) + ")";
            dsn_text::append_wrapped(out, text, dsn_text::kFoldWidth, "    ");
        }
    }
    return out;
}

}  // namespace ringpost::delivery::dsn_parts
