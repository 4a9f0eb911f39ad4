// build_dsn: assembles the multipart/report notification (see dsn.hpp) from
// its parts (dsn_parts.hpp) and the returned original (dsn_original.hpp).
#include "delivery/dsn.hpp"

#include <initializer_list>

#include "delivery/dsn_original.hpp"
#include "delivery/dsn_parts.hpp"
#include "delivery/dsn_text.hpp"

namespace ringpost::delivery {

namespace {

using dsn_parts::Kind;
using dsn_text::append_field;
using dsn_text::sanitize;

std::string_view subject(Kind kind) {
    switch (kind) {
        case Kind::kFailure: return "Undelivered Mail Returned to Sender";
        case Kind::kDelay: return "Delayed Mail (still being retried)";
        case Kind::kSuccess: return "Successful Mail Delivery Report";
    }
    return {};
}

std::string_view id_tag(Kind kind) {
    switch (kind) {
        case Kind::kFailure: return "bounce";
        case Kind::kDelay: return "delay";
        case Kind::kSuccess: return "success";
    }
    return {};
}

// A boundary that occurs in none of the parts, so no line of the returned
// message (which may itself be MIME, or an earlier bounce of ours) can be
// taken for a delimiter (RFC 2046 5.1.1). The first candidate is already
// unlikely to occur; the counter settles the rest.
std::string choose_boundary(std::string_view seed, std::initializer_list<std::string_view> parts) {
    for (unsigned n = 0;; ++n) {
        std::string b = "=_ringpost_" + std::string(seed);
        if (n > 0) b += "_" + std::to_string(n);
        bool clash = false;
        for (std::string_view p : parts) clash = clash || p.find(b) != std::string_view::npos;
        if (!clash) return b;
    }
}

void append_part(std::string& out, std::string_view boundary, std::string_view description,
                 std::string_view content_type, std::string_view content) {
    out.append("--").append(boundary).append("\r\n");
    append_field(out, "Content-Description", description);
    append_field(out, "Content-Type", content_type);
    // Only 7bit and 8bit are allowed for message/* parts (RFC 2046 5.2.1),
    // and they label the content without transforming it.
    if (!dsn_text::is_ascii(content)) append_field(out, "Content-Transfer-Encoding", "8bit");
    out.append("\r\n");
    out.append(content);
    // The CRLF before the next delimiter belongs to the delimiter (RFC 2046
    // 5.1.1), so content that ends in CRLF keeps its last line break.
    out.append("\r\n");
}

}  // namespace

std::string build_dsn(const DsnInput& in) {
    const mail::Envelope& env = in.envelope;
    const Kind kind = dsn_parts::report_kind(in);
    const bool global = dsn_parts::needs_global(in);
    const std::string host = sanitize(in.reporting_mta, false);

    // RFC 3461 4.3: RET chooses full message or headers for failures (Postfix
    // returns the full message when RET is not given); a report of delays or
    // successes only SHOULD carry just the headers.
    const bool want_full = kind == Kind::kFailure && env.ret != mail::DsnRet::kHeaders;
    const ReturnedOriginal returned =
        select_returned_original(in.original, want_full, in.max_returned_size, env.body_type);

    const std::string human = dsn_parts::human_text(in, kind, global, returned);
    const std::string status = dsn_parts::delivery_status(in, global);
    const std::string boundary =
        choose_boundary(sanitize(env.queue_id, false) + "." + std::to_string(in.now), {human, status, returned.bytes});

    std::string body;
    body.reserve(human.size() + status.size() + returned.bytes.size() + 1024);
    // The preamble is for readers without MIME; RFC 2046 parsers ignore it.
    body.append("This is a MIME-encapsulated message.\r\n\r\n");
    append_part(body, boundary, "Notification",
                global ? "text/plain; charset=utf-8" : "text/plain; charset=us-ascii", human);
    append_part(body, boundary, "Delivery report",
                global ? "message/global-delivery-status" : "message/delivery-status", status);
    if (returned.full) {
        append_part(body, boundary, kind == Kind::kFailure ? "Undelivered Message" : "Message",
                    global ? "message/global" : "message/rfc822", returned.bytes);
    } else {
        append_part(body, boundary, kind == Kind::kFailure ? "Undelivered Message Headers" : "Message Headers",
                    global ? "message/global-headers" : "text/rfc822-headers", returned.bytes);
    }
    body.append("--").append(boundary).append("--\r\n");

    std::string out;
    out.reserve(body.size() + 1024);
    append_field(out, "From", "Mail Delivery System <MAILER-DAEMON@" + host + ">");
    // A null sender has no mailbox to write to; callers never get here with
    // one (should_send_dsn), but an empty group keeps the header valid.
    append_field(out, "To", env.sender.empty() ? "undisclosed-recipients:;" : "<" + sanitize(env.sender, global) + ">");
    append_field(out, "Subject", subject(kind));
    std::string date;
    dsn_text::append_date(date, in.now);
    append_field(out, "Date", date);
    // Unique per message, time and kind: one delivery pass may report a
    // failure and a delay for the same message in the same second.
    append_field(out, "Message-ID", "<" + sanitize(env.queue_id, false) + "." + std::to_string(in.now) + "." +
                                        std::string(id_tag(kind)) + "@" + host + ">");
    // RFC 3834: marks the message as automatic, so vacation responders and
    // list managers do not answer it.
    append_field(out, "Auto-Submitted", "auto-replied");
    append_field(out, "MIME-Version", "1.0");
    append_field(out, "Content-Type",
                 std::string("multipart/report; report-type=") +
                     (global ? "global-delivery-status" : "delivery-status") + "; boundary=\"" + boundary + "\"");
    if (!dsn_text::is_ascii(body)) append_field(out, "Content-Transfer-Encoding", "8bit");
    out.append("\r\n");
    out.append(body);
    return out;
}

}  // namespace ringpost::delivery
