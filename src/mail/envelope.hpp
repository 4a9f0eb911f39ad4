// The envelope of one accepted message: what SMTP learned in MAIL/RCPT and
// what delivery, bounces (DSN, RFC 3461) and the spool need later.
// Plain data; no dependencies, so smtp, store and delivery can all share it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringpost::mail {

// RFC 3461 NOTIFY bits; 0 means "not given" (the default behaviour applies).
enum NotifyFlags : uint8_t {
    kNotifyNever = 1,
    kNotifySuccess = 2,
    kNotifyFailure = 4,
    kNotifyDelay = 8,
};

enum class DsnRet : uint8_t { kUnset = 0, kFull = 1, kHeaders = 2 };
enum class BodyType : uint8_t { k7Bit = 0, k8BitMime = 1, kBinaryMime = 2 };

// Per-recipient delivery state, kept in the envelope record.
enum class RcptState : uint8_t {
    kQueued = 0,      // waiting for (remote) delivery
    kDelivered = 1,   // done (local mailbox or remote 250)
    kFailed = 2,      // permanent failure (bounce due / sent)
    kDeferred = 3,    // temporary failure, will retry
};

// Still to be delivered: queued or deferred.
constexpr bool is_pending(RcptState state) { return state == RcptState::kQueued || state == RcptState::kDeferred; }

// Where local delivery files the message for each local recipient.
enum class LocalFolder : uint8_t {
    kInbox = 0,
    // The user's junk mailbox (RFC 6154 \Junk): a DMARC failure whose
    // policy asks for quarantine, with [inbound] dmarc_quarantine = "junk"
    // (docs/INBOUND.md). Relayed recipients are not affected.
    kJunk = 1,
};

struct Recipient {
    std::string address;        // as given in RCPT TO, without angle brackets
    std::string orcpt;          // DSN ORCPT parameter (decoded "type;addr"), may be empty
    uint8_t notify = 0;         // NotifyFlags
    bool local = false;         // address is in local_domains (mailbox delivery)
    RcptState state = RcptState::kQueued;
    uint32_t attempts = 0;
    std::string last_reply;     // last remote reply / failure reason
};

struct Envelope {
    std::string queue_id;       // 16 upper-case hex digits, sortable by time
    std::string sender;         // reverse-path without brackets; empty = null sender "<>"
    std::vector<Recipient> recipients;
    std::string envid;          // DSN ENVID (xtext-decoded)
    DsnRet ret = DsnRet::kUnset;
    BodyType body_type = BodyType::k7Bit;
    bool smtputf8 = false;
    std::string helo;           // client's EHLO/HELO argument
    std::string client_ip;      // textual IP of the client
    std::string protocol;       // SMTP, ESMTP, ESMTPS, ESMTPA, UTF8SMTP, ...
    int64_t received_at = 0;    // unix seconds
    int64_t next_attempt = 0;   // unix seconds; scheduler due time
    uint64_t body_size = 0;     // bytes of the stored message (with Received:)
    bool delay_warned = false;  // a "delayed" DSN has been sent for this message
    int64_t last_attempt = 0;   // unix seconds of the last delivery attempt; 0 = none yet
    // The egress pool ([egress.pools], docs/BULK.md) chosen when the message
    // was accepted; "" = the default pool.
    std::string pool;
    // Decided at the end of DATA (the inbound checks) and kept in the spool
    // record, so that a restart before local delivery still honours it; it
    // is not a header field a sender could write.
    LocalFolder local_folder = LocalFolder::kInbox;
    // On hold (Postfix's hold queue): kept in the spool with no schedule
    // entry, so nothing is delivered -- local recipients neither -- and
    // nothing expires until an operator releases it (`queue release`).
    // Set by a milter's quarantine at acceptance, in the accept's own
    // commit, or by `queue hold`.
    bool held = false;
    std::string hold_reason;    // the milter's reason, or the operator's ("" = none given)
    std::string hold_milter;    // the milter that quarantined it; "" = an operator held it
};

// True if any recipient still needs a delivery attempt.
inline bool has_pending_recipients(const Envelope& envelope) {
    for (const auto& r : envelope.recipients)
        if (is_pending(r.state)) return true;
    return false;
}

}  // namespace ringpost::mail
