// One message's conversation with one milter, sans I/O: the commands of an
// SMTP transaction replayed at the end of its data (connect, helo, mail,
// rcpt, data, headers, end of headers, body, end of body, each with its
// macros), minus the steps the milter left out in the option negotiation,
// and the replies read only where the milter answers. What it decides is
// the Outcome: a verdict and, at the end of the body, the edits it asked
// for in order.
//
// Why a replay and not a milter per SMTP phase: docs/INBOUND.md "Milter".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/envelope.hpp"
#include "milter/codec.hpp"
#include "util/result.hpp"

namespace ringpost::milter {

// What the milter is told about a message.
struct Transaction {
    const mail::Envelope* envelope = nullptr;   // queue id, client ip, helo, sender, recipients
    std::string_view data;                      // the message as stored (Received: first), CRLF
    std::string hostname;                       // ours: macro j
    std::string auth_user;                      // {auth_authen}; "" = not authenticated
    uint16_t client_port = 0;                   // in SMFIC_CONNECT and {client_port}
    std::string tls_version;                    // {tls_version}; "" = not encrypted
    std::string tls_cipher;                     // {cipher}
    int tls_cipher_bits = 0;                    // {cipher_bits}
};

enum class Verdict { kAccept, kReject, kTempfail, kDiscard };

struct Outcome {
    Verdict verdict = Verdict::kAccept;
    SmtpReply reply;                // the milter's own reply (SMFIR_REPLYCODE); code 0 = none
    std::vector<Reply> edits;       // header, body, recipient and sender changes, in order
    bool quarantined = false;
    std::string quarantine_reason;
};

class Exchange {
public:
    // `protocol`: the negotiated SMFIP_* bits; `connect`: the connection is
    // fresh from a negotiation or a QUIT_NC (false: it has seen this
    // client's connect already; never the case with replays, kept for tests).
    Exchange(const Transaction& t, uint32_t protocol, bool connect = true);

    // Appends the commands up to and including the next one the milter
    // answers (or to the end). Then awaiting() says whether to read.
    void write(std::string& out);
    bool awaiting() const { return awaiting_; }
    // A reply read while awaiting: an error is a protocol violation.
    Result<void> on_reply(const Reply& reply);
    // A verdict was reached (at the end of the body, or earlier).
    bool finished() const { return finished_; }
    // The milter ended its message state itself (a verdict at the end of
    // the body): no SMFIC_ABORT is needed before the connection is reused.
    bool message_closed() const { return finished_ && stage_ == Stage::kDone; }
    const Outcome& outcome() const { return outcome_; }
    Outcome take_outcome() { return std::move(outcome_); }

private:
    enum class Stage { kConnect, kHelo, kMail, kRcpt, kData, kHeaders, kEndOfHeaders, kBody, kEndOfBody, kDone };

    // Writes the current stage's commands; false when the stage sends none.
    bool write_stage(std::string& out);
    bool answered(uint32_t no_reply_bit) const { return (protocol_ & no_reply_bit) == 0; }
    void advance();
    Result<void> on_end_of_body_reply(const Reply& reply);
    void finish(Verdict v);

    const Transaction& t_;
    uint32_t protocol_;
    Stage stage_;
    size_t item_ = 0;              // recipient, header or body offset within the stage
    std::vector<std::pair<std::string, std::string>> headers_;   // name, value as sent
    std::string_view body_;
    bool awaiting_ = false;
    bool finished_ = false;
    Outcome outcome_;
};

}  // namespace ringpost::milter
