// Fuzz target: the SMTP server session (src/smtp/session.hpp) fed a client's
// bytes in random chunks, driven as src/smtp/connection drives it: keep the
// unconsumed rest, commit on kCommit, answer kAuth, drop pipelined input on
// kStartTls, wait on kDelay, stop on kClose. Covers command parsing, MAIL /
// RCPT parameters (SIZE, BODY, SMTPUTF8, DSN's NOTIFY/ORCPT/ENVID/RET),
// AUTH PLAIN/LOGIN, DATA through the dot decoder and BDAT chunks.
// Checks: every reply line is "ddd[ -]text CRLF", consumed never exceeds
// the input, an accepted message has recipients and stays within SIZE.
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "quiet_log.hpp"
#include "smtp/session.hpp"

using namespace ringpost;
using namespace ringpost::smtp;

namespace {

class FixedPolicy : public Policy {
public:
    RcptVerdict check_recipient(std::string_view address, const ClientInfo&) override {
        // A verdict of each kind, chosen by the address, so every branch runs.
        switch (address.size() % 5) {
            case 0: return RcptVerdict::kAcceptLocal;
            case 1: return RcptVerdict::kAcceptRelay;
            case 2: return RcptVerdict::kUnknownUser;
            case 3: return RcptVerdict::kRelayDenied;
            default: return RcptVerdict::kTempFail;
        }
    }
    std::string new_queue_id() override {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016X", ++ids_);
        return buf;
    }
    int64_t now() override { return 1700000000; }

private:
    unsigned ids_ = 0;
};

// Every reply: lines of three digits (class 2-5), '-' or ' ' (or nothing)
// and text, each ended by CRLF, the last with ' '.
void check_replies(std::string_view out) {
    while (!out.empty()) {
        size_t end = out.find("\r\n");
        FUZZ_CHECK(end != std::string_view::npos);
        std::string_view line = out.substr(0, end);
        FUZZ_CHECK(line.size() >= 3);
        FUZZ_CHECK(line[0] >= '2' && line[0] <= '5');
        FUZZ_CHECK(line[1] >= '0' && line[1] <= '9' && line[2] >= '0' && line[2] <= '9');
        FUZZ_CHECK(line.size() == 3 || line[3] == ' ' || line[3] == '-');
        FUZZ_CHECK(line.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
        out.remove_prefix(end + 2);
    }
}

void check_message(const AcceptedMessage& m, const Limits& limits) {
    FUZZ_CHECK(!m.envelope.recipients.empty());
    // The header the session adds ends in CRLF, and unless the content is
    // BINARYMIME, so does every line: DATA and BDAT both store a bare LF as
    // CRLF.
    FUZZ_CHECK(m.data.find("\r\n") != std::string::npos);
    if (m.envelope.body_type != mail::BodyType::kBinaryMime)
        for (size_t i = m.data.find('\n'); i != std::string::npos; i = m.data.find('\n', i + 1))
            FUZZ_CHECK(i > 0 && m.data[i - 1] == '\r');
    // The Received: header is added on top; the message itself obeys SIZE.
    FUZZ_CHECK(m.data.size() <= limits.max_message_size + 4096);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    SessionConfig config;
    config.hostname = "mx.example";
    config.limits.max_message_size = 4096;
    config.limits.max_recipients = 5;
    config.limits.max_command_line = 512;
    config.limits.max_data_line = 1000;
    config.limits.max_messages_per_session = in.option(0) ? 3 : 0;
    config.limits.soft_error_limit = 3;
    config.limits.hard_error_limit = 12;
    config.limits.junk_command_limit = 5;
    config.advertise_starttls = in.option(1);
    config.auth_available = in.option(2);
    config.allow_plaintext_auth = in.option(3);
    config.submission = in.option(4);
    config.require_sender_match = in.option(5);
    config.advertise_chunking = !in.option(6);
    config.advertise_dsn = !in.option(7);
    ClientInfo client;
    client.ip = "192.0.2.1";
    client.port = 40000;
    client.relay_allowed = in.option(0);
    FixedPolicy policy;
    Session session(config, policy, client);

    std::string out;
    session.greet(out);
    check_replies(out);
    std::string pending;
    bool closed = false;
    bool commit_ok = false;
    fuzz::for_each_chunk(in, [&](std::string_view chunk) {
        if (closed) return;
        pending.append(chunk);
        // Bounded: each round consumes input or answers a delayed command.
        bool delayed = false;
        for (int rounds = 0; rounds < 100000; ++rounds) {
            size_t consumed = 0;
            Event e = session.feed(pending, consumed, out);
            FUZZ_CHECK(consumed <= pending.size());
            check_replies(out);   // also what the last event's handler wrote
            out.clear();
            pending.erase(0, consumed);
            if (e == Event::kDelay) {
                // The driver waits, then feeds again: that command is answered.
                FUZZ_CHECK(!(delayed && consumed == 0));
                delayed = true;
                continue;
            }
            delayed = false;
            if (e == Event::kCommit) {
                AcceptedMessage m = session.take_message();
                check_message(m, config.limits);
                commit_ok = !commit_ok;   // every other commit fails, as on a full disk
                const Result<void> result = commit_ok ? Result<void>() : Result<void>(make_error("write failed"));
                session.committed(result, out);
            } else if (e == Event::kAuth) {
                AuthRequest r = session.take_auth();
                auth::Status status = r.password == "secret" ? auth::Status::kOk
                                    : r.password == "temp" ? auth::Status::kTempFail
                                                           : auth::Status::kBadCredentials;
                session.auth_done(status, r.user, out);
            } else if (e == Event::kStartTls) {
                pending.clear();   // the driver's duty: pipelined plaintext is dropped
                session.tls_started("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256);
            } else if (e == Event::kClose) {
                closed = true;
            }
            if (e == Event::kNeedInput || e == Event::kClose) break;
        }
    });
    if (!closed) {
        out.clear();
        session.timeout(out);
        check_replies(out);
    }
    return 0;
}
