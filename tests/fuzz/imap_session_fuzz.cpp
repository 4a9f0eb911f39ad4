// Fuzz target: the IMAP session (src/imap/session.hpp) over the in-memory
// FakeBackend of the unit tests, fed a client's bytes in random chunks: the
// command reader and parser as in imap_command, then every command run
// against a mailbox of real-shaped messages (LOGIN/AUTHENTICATE, SELECT,
// FETCH of ENVELOPE, BODYSTRUCTURE and sections, SEARCH, STORE, COPY/MOVE,
// EXPUNGE, APPEND of the client's own messages, IDLE, mailbox operations).
// Without a ring the fake backend answers at once, so each command runs to
// completion synchronously. Checks: every command completes, and what the
// session writes ends with CRLF.
#include <optional>
#include <string>

#include "fake_backend.hpp"
#include "fuzz_input.hpp"
#include "imap/command_reader.hpp"
#include "imap/parser.hpp"
#include "imap/session.hpp"
#include "io/task.hpp"

using namespace ringpost;
using namespace ringpost::imap;

namespace {

const char* const kMessages[] = {
    "Date: Wed, 10 Jan 2024 09:00:00 +0000\r\nFrom: Alice Example <alice@example.org>\r\n"
    "To: Bob <bob@example.org>\r\nSubject: Hello world\r\nMessage-ID: <m1@example.org>\r\n\r\n"
    "Hello Bob,\r\nthis is the first message.\r\n",
    "From: carol@example.net\r\nTo: alice@example.org\r\nSubject: =?utf-8?q?Quarterly_r=C3=A9port?=\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n\r\nSee the attached budget.\r\n--XYZ\r\n"
    "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--XYZ--\r\n",
    "Subject: bare\n\nLF only\n",
};

// Runs a session call to its end; without a ring nothing may suspend.
template <class T>
T run(io::Task<T> task) {
    std::optional<T> result;
    auto driver = [](io::Task<T> t, std::optional<T>& r) -> io::Task<void> { r = co_await std::move(t); };
    io::Task<void> d = driver(std::move(task), result);
    io::spawn(std::move(d));
    FUZZ_CHECK(result.has_value());
    return std::move(*result);
}

void check_output(const std::string& out) {
    if (!out.empty()) FUZZ_CHECK(out.size() >= 2 && out.compare(out.size() - 2, 2, "\r\n") == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    test::FakeBackend backend;
    backend.add_user("alice", "secret");
    uint32_t flags = 0;
    for (const char* m : kMessages) backend.add_message("alice", "INBOX", m, flags++ * kSeen);
    backend.add_message("alice", "Sent", kMessages[1], kSeen | kAnswered);

    SessionConfig config;
    config.plaintext_allowed = !in.option(0);
    config.starttls = in.option(1);
    config.max_bad_commands = 8;
    config.flush_threshold = 512;
    ClientInfo client;
    client.ip = "192.0.2.1";
    Session session(config, backend, client);
    ReaderLimits limits;
    limits.max_line = 512;
    limits.max_literal = 4096;
    limits.max_command = 8192;
    CommandReader reader(limits);
    ParseOptions options;

    std::string out;
    session.greet(out);
    check_output(out);
    std::string pending;
    bool closed = false;
    fuzz::for_each_chunk(in, [&](std::string_view chunk) {
        if (closed) return;
        pending.append(chunk);
        for (int rounds = 0; rounds < 100000 && !closed; ++rounds) {
            size_t used = 0;
            ReadEvent ev = reader.feed(pending, used);
            FUZZ_CHECK(used <= pending.size());
            pending.erase(0, used);
            out.clear();
            Next next = Next::kCommand;
            switch (ev) {
                case ReadEvent::kNeedInput: return;
                case ReadEvent::kContinue: continue;
                case ReadEvent::kCommand: {
                    ParseResult r = parse_command(reader.command(), options);
                    if (!r.ok()) {
                        next = session.bad(r.command.tag, r.error, out);
                        break;
                    }
                    const Command command = std::move(r.command);
                    next = run(session.execute(command, out));
                    break;
                }
                case ReadEvent::kLine: {
                    std::string line(reader.line());
                    next = run(session.line(std::move(line), out));
                    break;
                }
                case ReadEvent::kError:
                    next = session.bad(reader.error().tag, reader.error().text, out);
                    break;
                case ReadEvent::kFatal:
                    closed = true;
                    continue;
            }
            check_output(out);
            if (next == Next::kLine) reader.expect_line();
            if (next == Next::kStartTls) {
                pending.clear();   // the driver's duty: unread plaintext is dropped
                session.tls_started();
            }
            if (next == Next::kClose || session.lost()) closed = true;
        }
    });
    out.clear();
    session.shutdown(out);
    check_output(out);
    return 0;
}
