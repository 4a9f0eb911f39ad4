// Part 2 of a notification: the RFC 3464 delivery-status fields (RFC 6533
// for the global variant), plus the helpers the other parts share.
#include "delivery/dsn_parts.hpp"
#include "delivery/dsn_text.hpp"

namespace ringpost::delivery::dsn_parts {

using dsn_text::append_field;
using dsn_text::sanitize;

Kind report_kind(const DsnInput& input) {
    Kind kind = Kind::kSuccess;
    for (const auto& r : input.recipients) {
        if (r.action == DsnAction::kFailed) return Kind::kFailure;
        if (r.action == DsnAction::kDelayed) kind = Kind::kDelay;
    }
    return kind;
}

bool needs_global(const DsnInput& input) {
    if (input.envelope.smtputf8 || !dsn_text::is_ascii(input.envelope.sender)) return true;
    for (const auto& r : input.recipients) {
        if (!dsn_text::is_ascii(r.address) || !dsn_text::is_ascii(r.orcpt)) return true;
    }
    return false;
}

std::string status_code(const DsnRecipient& recipient) {
    if (dsn_text::is_status_code(recipient.status)) return recipient.status;
    switch (recipient.action) {
        case DsnAction::kFailed: return "5.0.0";
        case DsnAction::kDelayed: return "4.0.0";
        default: return "2.0.0";
    }
}

namespace {

// "rfc822; addr", or "utf-8; addr" for a non-ASCII address in a global DSN
// (RFC 6533 3). Addresses come from our own envelope, but a stray CR/LF
// would still split the field, so they are sanitized like remote text.
std::string typed_address(std::string_view address, bool global) {
    const bool utf8 = global && !dsn_text::is_ascii(address);
    return std::string(utf8 ? "utf-8; " : "rfc822; ") + sanitize(address, global);
}

// The ORCPT is stored decoded as "type;address"; one without a type is an
// RFC 822 address.
std::string original_recipient(std::string_view orcpt, bool global) {
    std::string value = sanitize(orcpt, global);
    if (value.find(';') == std::string::npos) value = "rfc822;" + value;
    return value;
}

std::string date(int64_t t) {
    std::string s;
    dsn_text::append_date(s, t);
    return s;
}

void append_message_fields(std::string& out, const DsnInput& in, bool global) {
    const mail::Envelope& env = in.envelope;
    append_field(out, "Reporting-MTA", "dns; " + sanitize(in.reporting_mta, false));
    append_field(out, "X-Ringpost-Queue-ID", sanitize(env.queue_id, false));
    append_field(out, "X-Ringpost-Sender", typed_address(env.sender, global));
    if (!env.envid.empty()) append_field(out, "Original-Envelope-Id", sanitize(env.envid, global));
    if (!env.helo.empty() || !env.client_ip.empty()) {
        // The client as our Received: header names it: HELO name and address literal.
        std::string from = "dns; " + (env.helo.empty() ? std::string("unknown") : sanitize(env.helo, false));
        if (!env.client_ip.empty()) {
            const bool v6 = env.client_ip.find(':') != std::string::npos;
            from += " ([" + std::string(v6 ? "IPv6:" : "") + sanitize(env.client_ip, false) + "])";
        }
        append_field(out, "Received-From-MTA", from);
    }
    if (env.received_at != 0) append_field(out, "Arrival-Date", date(env.received_at));
}

void append_recipient_fields(std::string& out, const DsnRecipient& r, bool global) {
    append_field(out, "Final-Recipient", typed_address(r.address, global));
    if (!r.orcpt.empty()) append_field(out, "Original-Recipient", original_recipient(r.orcpt, global));
    append_field(out, "Action", action_name(r.action));
    append_field(out, "Status", status_code(r));
    if (!r.remote_mta.empty()) append_field(out, "Remote-MTA", "dns; " + sanitize(r.remote_mta, false));
    if (!r.remote_reply.empty()) {
        append_field(out, "Diagnostic-Code", "smtp; " + sanitize(r.remote_reply, global));
    } else if (!r.reason.empty()) {
        // Our own explanation, not an SMTP reply: a private diagnostic type,
        // as Postfix writes "X-Postfix; ...".
        append_field(out, "Diagnostic-Code", "X-Ringpost; " + sanitize(r.reason, global));
    }
    if (r.last_attempt != 0) append_field(out, "Last-Attempt-Date", date(r.last_attempt));
    if (r.action == DsnAction::kDelayed && r.will_retry_until != 0) {
        append_field(out, "Will-Retry-Until", date(r.will_retry_until));
    }
    // An extension field (RFC 3464 3), for software that sorts bounces.
    if (!r.bounce_class.empty()) append_field(out, "X-Ringpost-Bounce-Class", sanitize(r.bounce_class, false));
}

}  // namespace

std::string delivery_status(const DsnInput& input, bool global) {
    std::string out;
    append_message_fields(out, input, global);
    for (const auto& r : input.recipients) {
        out.append("\r\n");
        append_recipient_fields(out, r, global);
    }
    return out;
}

}  // namespace ringpost::delivery::dsn_parts
