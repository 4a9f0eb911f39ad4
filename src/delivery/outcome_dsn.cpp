// Building the notifications an outcome plans (see outcome_dsn.hpp).
#include "delivery/outcome_dsn.hpp"

#include <utility>

#include "delivery/dsn_text.hpp"
#include "delivery/tls_policy.hpp"

namespace ringpost::delivery::outcome_dsn {

namespace {

using dsn_text::is_blank;

// "550 ..." / "451-...": a reply that starts with an SMTP reply code.
bool starts_with_reply_code(std::string_view s) {
    if (s.size() < 3) return false;
    for (size_t i = 0; i < 3; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
    }
    return s.size() == 3 || s[3] == ' ' || s[3] == '-';
}

}  // namespace

SplitStatus split_status(std::string_view reply) {
    const std::string_view trimmed = dsn_text::trim_blanks(reply);
    size_t end = 0;
    while (end < trimmed.size() && !is_blank(trimmed[end])) ++end;
    const std::string_view first = trimmed.substr(0, end);
    if (!dsn_text::is_status_code(first)) return {{}, std::string(trimmed)};
    return {std::string(first), std::string(dsn_text::trim_blanks(trimmed.substr(end)))};
}

DsnRecipient from_diagnostic(const mail::Recipient& rcpt, DsnAction action, const Diagnostic& diagnostic,
                             std::string_view remote_mta, int64_t last_attempt) {
    DsnRecipient r;
    r.address = rcpt.address;
    r.orcpt = rcpt.orcpt;
    r.action = action;
    r.status = diagnostic.enhanced;   // build_dsn falls back to x.0.0 when malformed
    if (diagnostic.code != 0) {
        r.remote_reply = diagnostic.to_string();
    } else {
        r.reason = diagnostic.text;
    }
    r.remote_mta = std::string(remote_mta);
    r.last_attempt = last_attempt;
    return r;
}

DsnRecipient from_last_reply(const mail::Recipient& rcpt, DsnAction action, int64_t last_attempt) {
    DsnRecipient r;
    r.address = rcpt.address;
    r.orcpt = rcpt.orcpt;
    r.action = action;
    // Our " [tls=...]" note is not part of the server's reply.
    const std::string_view reply = dsn_text::trim_blanks(strip_tls_note(rcpt.last_reply));
    if (starts_with_reply_code(reply)) {
        r.remote_reply = std::string(reply);
        r.status = split_status(reply.substr(3)).status;
    } else {
        SplitStatus split = split_status(reply);
        r.status = std::move(split.status);
        r.reason = std::move(split.text);
    }
    r.last_attempt = last_attempt;
    return r;
}

std::unique_ptr<store::AcceptRequest> make_notification(const mail::Envelope& original,
                                                        std::vector<DsnRecipient> recipients,
                                                        std::string_view body, int64_t now,
                                                        const OutcomePolicy& policy) {
    DsnInput in;
    in.reporting_mta = policy.reporting_mta;
    in.envelope = original;
    in.recipients = std::move(recipients);
    in.original = body;
    in.now = now;
    in.max_returned_size = policy.max_returned_size;

    auto request = std::make_unique<store::AcceptRequest>();
    request->data = build_dsn(in);

    mail::Envelope& env = request->envelope;
    env.queue_id = policy.new_queue_id();
    env.sender = dsn_sender();
    mail::Recipient to;
    to.address = original.sender;
    to.local = policy.is_local && policy.is_local(original.sender);
    env.recipients.push_back(std::move(to));
    env.body_type = dsn_body_type(request->data);
    env.smtputf8 = original.smtputf8;
    env.helo = policy.reporting_mta;
    env.client_ip = "127.0.0.1";
    env.protocol = "local";
    env.received_at = now;
    env.next_attempt = 0;   // due at once
    env.body_size = request->data.size();
    return request;
}

}  // namespace ringpost::delivery::outcome_dsn
