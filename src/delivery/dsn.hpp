// Delivery status notifications (bounces, delay warnings, success reports):
// RFC 3464 (message/delivery-status), RFC 3461 (the SMTP DSN extension:
// NOTIFY, RET, ENVID, ORCPT), RFC 6522 (multipart/report, formerly 3462),
// RFC 6533 (internationalized DSNs for SMTPUTF8 mail) and RFC 3834
// (Auto-Submitted). Pure functions: the delivery engine decides *that* a
// notification is due and queues what build_dsn returns with the null
// reverse-path (dsn_sender()), so a bounce can never bounce again.
//
// The layout follows Postfix's, which users and tooling know:
//   multipart/report; report-type=delivery-status
//     1. text/plain                the human explanation, one line per recipient
//     2. message/delivery-status   per-message and per-recipient fields
//     3. message/rfc822            the original (RET=FULL, failures, small enough)
//        or text/rfc822-headers    its header block (RET=HDRS, delays, successes,
//                                  over max_returned_size, or not representable)
// For an SMTPUTF8 original the types are message/global-delivery-status,
// message/global and message/global-headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/envelope.hpp"

namespace ringpost::delivery {

// RFC 3464 2.3.3 action-value.
enum class DsnAction : uint8_t { kFailed, kDelayed, kDelivered, kRelayed, kExpanded };

// "failed", "delayed", "delivered", "relayed", "expanded".
std::string_view action_name(DsnAction action);

struct DsnRecipient {
    std::string address;          // the final recipient (as in RCPT TO, no brackets)
    std::string orcpt;            // the envelope's ORCPT ("rfc822;addr"), empty if none
    DsnAction action = DsnAction::kFailed;
    std::string status;           // enhanced status code "5.1.1"; empty or malformed:
                                  // 5.0.0 / 4.0.0 / 2.0.0 by action
    std::string remote_reply;     // the remote server's reply, e.g. "550 5.1.1 user unknown"
                                  // (multi-line replies may keep their CRLFs); empty if none
    std::string reason;           // an MTA-generated explanation ("mail for example.org loops
                                  // back to myself", "connection timed out"); empty if none
    std::string remote_mta;       // host name of the remote MTA, empty if none
    int64_t last_attempt = 0;     // unix seconds; 0 = no Last-Attempt-Date
    int64_t will_retry_until = 0; // unix seconds; only written for kDelayed
    std::string bounce_class;     // why it failed or is delayed ("mailbox-full", see
                                  // bounce_class.hpp); empty = not classified
};

// Postfix's bounce_size_limit default.
inline constexpr size_t kDefaultMaxReturnedSize = 50000;

struct DsnInput {
    std::string reporting_mta;        // our host name (config hostname)
    mail::Envelope envelope;          // the original message's envelope
    std::vector<DsnRecipient> recipients;   // the recipients this notification reports on
    std::string_view original;        // the stored message bytes (must outlive the call)
    int64_t now = 0;                  // unix seconds: Date: and Message-ID
    // A full original larger than this is returned as its header block only
    // (the header block itself is cut at a field boundary to fit).
    size_t max_returned_size = kDefaultMaxReturnedSize;
};

// The whole notification: an RFC 5322 message with CRLF line endings, no line
// longer than 998 bytes, to be sent from dsn_sender() to envelope.sender.
// Callers filter recipients with should_send_dsn first; the input should
// hold at least one recipient.
std::string build_dsn(const DsnInput& input);

// Whether the recipient's NOTIFY (RFC 3461 4.1) asks for a notification of
// this action: never for a null sender (that would be a bounce of a
// bounce); never with NOTIFY=NEVER; with NOTIFY unset, failures and delays
// (delay warnings are at the MTA's discretion; we send them, like Postfix);
// otherwise FAILURE -> failed, DELAY -> delayed, SUCCESS -> delivered,
// relayed and expanded.
bool should_send_dsn(const mail::Envelope& envelope, const mail::Recipient& recipient, DsnAction action);

// The reverse-path of a notification's own envelope: the null sender "<>".
inline std::string dsn_sender() { return {}; }

// The SMTP body type the notification needs when it is sent on: 8BITMIME
// if it contains any byte >= 0x80 (an 8-bit original or UTF-8 text), else 7BIT.
// A notification built for an SMTPUTF8 original also needs SMTPUTF8
// (envelope.smtputf8).
mail::BodyType dsn_body_type(std::string_view dsn);

}  // namespace ringpost::delivery
