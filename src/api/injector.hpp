// Accepts messages handed over by the HTTP injection API exactly as SMTP
// accepts them: each message runs through an smtp::Session (EHLO, MAIL,
// RCPT per recipient, BDAT LAST), so the same address checks, size and
// recipient limits, local/relay decisions, Received: header and missing
// Date/Message-ID apply; then the same filter chain (egress pool, DKIM
// signing) and the same group commit. The messages of one request are
// committed together (one fsync for the lot) and the caller hears back only
// once they are durable, as an SMTP client hears 250 only then.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/task.hpp"
#include "api/injection_request.hpp"
#include "smtp/connection.hpp"
#include "smtp/message_filter.hpp"
#include "smtp/session.hpp"

namespace ringpost::api {

// Who injects: the HTTP layer has already decided they may.
struct InjectionCaller {
    std::string client_ip;
    std::string user;            // the API token's name ("" = admitted by relay_networks)
    bool relay_allowed = false;  // in relay_networks
    bool tls = false;
    std::string tls_version = {};
    std::string tls_cipher = {};
};

// An SMTP reply that refused something.
struct Refusal {
    uint16_t code = 0;
    std::string enhanced;   // "5.1.1"
    std::string text;
};

struct RecipientRefusal {
    std::string address;
    Refusal reply;
};

struct InjectionResult {
    std::string queue_id;                  // set when the message was accepted (durably)
    std::vector<std::string> accepted;     // recipients it was accepted for
    std::vector<RecipientRefusal> refused;
    Refusal refusal;                       // code != 0: the message was not accepted, and why
};

class Injector {
public:
    // `config`: the SMTP listeners' session settings (limits, hostname);
    // the injector runs its sessions as logged-in submission sessions.
    Injector(const smtp::SessionConfig& config, smtp::Policy& policy, smtp::Spool& spool, smtp::MessageFilter* filter);

    // One result per message, in order. Ring thread.
    io::Task<std::vector<InjectionResult>> inject(std::vector<InjectionMessage> messages, InjectionCaller caller);

private:
    // The session's part: the message ready to commit, or `result` says why not.
    struct Prepared {
        smtp::AcceptedMessage message;
        bool ready = false;
    };
    Prepared prepare(InjectionMessage& m, const InjectionCaller& caller, InjectionResult& result);

    smtp::SessionConfig config_;
    smtp::Policy& policy_;
    smtp::Spool& spool_;
    smtp::MessageFilter* filter_;
};

// The last reply in `replies` (one or more SMTP reply lines) as a Refusal:
// code, enhanced status code when there is one, text.
Refusal parse_last_reply(std::string_view replies);

}  // namespace ringpost::api
