// Fuzz target: the POP3 server session (src/pop3/session.hpp) fed a client's
// bytes in random chunks, driven as src/pop3/connection drives it, with an
// in-memory maildrop answering every backend event at once: USER/PASS and
// AUTH PLAIN (base64, SASL PLAIN), STAT/LIST/UIDL/RETR/TOP/DELE/RSET/QUIT,
// STLS and pipelining. Checks: consumed never exceeds the input, every
// single-line response starts "+OK", "-ERR" or "+ " and ends with CRLF.
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "quiet_log.hpp"
#include "pop3/session.hpp"

using namespace ringpost;
using namespace ringpost::pop3;

namespace {

const std::vector<std::pair<std::string, std::string>> kMessages = {
    {"uid-1", "Subject: one\r\nFrom: a@example.org\r\n\r\nHello\r\n.hidden dot\r\n.\r\nlast\r\n"},
    {"uid-2", "Subject: two\r\n\r\nl1\r\nl2\r\nl3\r\nl4\r\n"},
    {"uid-3", "Subject: headers only\r\nX-Empty: yes\r\n"},
    {"uid-4", "Subject: bare lf\n\nno CR\nat all"},
};

// A single-line response, or the first line of a multi-line one.
void check_status_line(std::string_view out) {
    FUZZ_CHECK(out.substr(0, 3) == "+OK" || out.substr(0, 4) == "-ERR" || out.substr(0, 2) == "+ ");
    size_t end = out.find("\r\n");
    FUZZ_CHECK(end != std::string_view::npos);
    FUZZ_CHECK(out.substr(0, end).find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    SessionConfig config;
    config.limits.max_command_line = 128;
    config.limits.max_auth_line = 256;
    config.limits.max_bad_commands = 5;
    config.limits.output_chunk = in.option(0) ? 16 : 1024;
    config.tls_available = in.option(1);
    config.plaintext_allowed = !in.option(2);
    ClientInfo client;
    client.ip = "192.0.2.1";
    client.tls = in.option(3);
    Session session(config, client);

    std::string out;
    session.greet(out);
    check_status_line(out);
    std::string pending;
    bool closed = false;
    bool multi_line = false;   // inside a multi-line response being streamed
    fuzz::for_each_chunk(in, [&](std::string_view chunk) {
        if (closed) return;
        pending.append(chunk);
        for (int rounds = 0; rounds < 100000; ++rounds) {
            size_t consumed = 0;
            Event e = session.feed(pending, consumed, out);
            FUZZ_CHECK(consumed <= pending.size());
            pending.erase(0, consumed);
            // `out` also holds what the last event's handler wrote.
            if (!out.empty() && !multi_line && e != Event::kFlush) check_status_line(out);
            multi_line = e == Event::kFlush;
            if (!out.empty() && e != Event::kFlush) FUZZ_CHECK(out.size() >= 2 && out.substr(out.size() - 2) == "\r\n");
            out.clear();
            switch (e) {
                case Event::kFlush: continue;
                case Event::kAuthenticate: {
                    Session::Credentials c = session.credentials();
                    auth::Outcome r;
                    if (c.password == "secret") {
                        r.status = auth::Status::kOk;
                        r.user = c.user + "@example.org";
                    } else if (c.password == "temp") {
                        r.status = auth::Status::kTempFail;
                    }
                    session.auth_done(r, out);
                    continue;
                }
                case Event::kOpenMaildrop: {
                    FUZZ_CHECK(!session.user().empty());
                    std::vector<MaildropEntry> entries;
                    for (const auto& [uid, body] : kMessages) entries.push_back(MaildropEntry{uid, body.size()});
                    session.maildrop_opened(std::move(entries), out);
                    continue;
                }
                case Event::kFetch: {
                    std::string body;
                    for (const auto& [uid, text] : kMessages)
                        if (uid == session.fetch_uid()) body = text;
                    FUZZ_CHECK(!body.empty());
                    session.fetched(std::move(body), out);
                    continue;
                }
                case Event::kUpdate:
                    FUZZ_CHECK(session.deletions().size() <= kMessages.size());
                    session.updated(Result<void>(), out);
                    continue;
                case Event::kStartTls:
                    pending.clear();   // the driver's duty: unread plaintext is dropped
                    session.tls_started();
                    continue;
                case Event::kClose: closed = true; break;
                case Event::kNeedInput: break;
            }
            break;
        }
    });
    if (!closed) {
        out.clear();
        session.shutdown(out);
        check_status_line(out);
    }
    return 0;
}
