// Tests for the IMAP session (src/imap/session.hpp) over the in-memory
// FakeBackend. Each command is written as the client sends it, read by a
// CommandReader, parsed by parse_command and run by Session::execute to
// completion on a real io::Ring; the backend suspends on ring timers like
// the real one on its blocking pool.
//
// The ring runs on its own thread for the whole test (a Ring runs once,
// and must run on the thread that created it); the test thread posts each
// command to it and waits, so backend and session are only ever touched by
// one thread at a time.
//
// Covers: greeting and CAPABILITY, LOGIN, AUTHENTICATE PLAIN, state checks,
// SELECT/EXAMINE, FETCH items, sections and partials, streamed FETCH of a
// large message through the flush function, \Seen, STORE, SEARCH, COPY/MOVE,
// EXPUNGE, APPEND, CLOSE/UNSELECT, LIST/LSUB, STATUS, CREATE/DELETE/RENAME,
// IDLE, changes made by other sessions, and the bad-command limit.
#include "imap/session.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fake_backend.hpp"
#include "imap/command_reader.hpp"
#include "imap/parser.hpp"
#include "io/blocking_pool.hpp"
#include "io/ops.hpp"
#include "io/ring.hpp"
#include "mail/mime.hpp"
#include "util/base64.hpp"

using namespace ringpost;
using namespace ringpost::imap;
using namespace std::chrono_literals;
using imap::test::FakeBackend;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace ringpost::imap {
// Readable gtest messages for the session's enums.
void PrintTo(Next n, std::ostream* os) {
    *os << (n == Next::kCommand ? "kCommand" : n == Next::kLine ? "kLine" : "kClose");
}
void PrintTo(State s, std::ostream* os) {
    const char* names[] = {"kNotAuthenticated", "kAuthenticated", "kSelected", "kLogout"};
    *os << names[static_cast<int>(s)];
}
}  // namespace ringpost::imap

namespace {

// --- the test messages (alice's INBOX) ---

const std::string kMsg1 =
    "Date: Wed, 10 Jan 2024 09:00:00 +0000\r\n"
    "From: Alice Example <alice@example.org>\r\n"
    "To: Bob <bob@example.org>\r\n"
    "Subject: Hello world\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "this is the first message.\r\n";
const std::string kMsg1Header =
    "Date: Wed, 10 Jan 2024 09:00:00 +0000\r\n"
    "From: Alice Example <alice@example.org>\r\n"
    "To: Bob <bob@example.org>\r\n"
    "Subject: Hello world\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "\r\n";
const std::string kMsg1Text = "Hello Bob,\r\nthis is the first message.\r\n";
constexpr int64_t kDate1 = 1705060800;   // 12-Jan-2024 12:00:00 UTC (the Date: header says 10 Jan)

const std::string kMsg2 =
    "From: carol@example.net\r\n"
    "To: alice@example.org\r\n"
    "Subject: Quarterly report\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
    "\r\n"
    "--XYZ\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "See the attached budget.\r\n"
    "--XYZ\r\n"
    "Content-Type: application/octet-stream; name=\"r.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AAECAw==\r\n"
    "--XYZ--\r\n";
constexpr int64_t kDate2 = 1707985800;   // 15-Feb-2024 08:30:00 UTC

const std::string kMsg3 =
    "Date: Fri, 01 Mar 2024 10:00:00 +0000\r\n"
    "From: Dave <dave@example.net>\r\n"
    "Subject: Meeting\r\n"
    "Cc: carol@example.net\r\n"
    "\r\n"
    "Let's meet tomorrow.\r\n";
constexpr int64_t kDate3 = 1709337599;   // 01-Mar-2024 23:59:59 UTC

// UIDVALIDITY of alice's mailboxes: the fake counts from 1000 in creation order.
constexpr uint32_t kInboxValidity = 1000, kSentValidity = 1001, kDraftsValidity = 1002, kTrashValidity = 1003,
                   kJunkValidity = 1004;

const std::string kCapsBeforeLogin =
    "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE "
    "LIST-EXTENDED AUTH=PLAIN";
const std::string kCapsAfterLogin =
    "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE "
    "LIST-EXTENDED";

std::string lit(const std::string& s) { return "{" + std::to_string(s.size()) + "}\r\n" + s; }

std::string plain(std::string_view authzid, std::string_view user, std::string_view password) {
    std::string raw(authzid);
    raw += '\0';
    raw += user;
    raw += '\0';
    raw += password;
    std::string out;
    base64::encode(raw, out);
    return out;
}

// A message of at least `size` bytes with numbered lines.
std::string big_message(size_t size) {
    std::string m = "From: big@example.org\r\nSubject: Big one\r\n\r\n";
    for (int i = 0; m.size() < size; ++i) m += "line " + std::to_string(i) + " of the big message body\r\n";
    return m;
}

// COPYUID's UID sets in one canonical form ("2,3" becomes "2:3"), so that
// tests compare the sets rather than one of their valid spellings.
std::string canon(std::string s) {
    size_t at = 0;
    while ((at = s.find("[COPYUID ", at)) != std::string::npos) {
        size_t end = s.find(']', at);
        if (end == std::string::npos) break;
        std::istringstream parts(s.substr(at + 9, end - at - 9));
        std::string validity, src, dst;
        parts >> validity >> src >> dst;
        auto norm = [](const std::string& set) {
            auto parsed = SequenceSet::parse(set);
            return parsed ? parsed->resolve(UINT32_MAX - 1).to_string() : "invalid:" + set;
        };
        std::string code = "[COPYUID " + validity + " " + norm(src) + " " + norm(dst) + "]";
        s.replace(at, end + 1 - at, code);
        at += code.size();
    }
    return s;
}

// --- running sessions on a ring thread ---

class RingThread {
public:
    RingThread() {
        std::promise<io::Ring*> ready;
        auto f = ready.get_future();
        thread_ = std::thread([&ready] {
            io::Ring ring(256);
            ready.set_value(&ring);
            ring.run();
        });
        ring_ = f.get();
    }
    ~RingThread() {
        io::Ring* r = ring_;
        r->post([r] { r->stop(); });
        thread_.join();
    }
    RingThread(const RingThread&) = delete;
    RingThread& operator=(const RingThread&) = delete;

    // Runs fn on the ring thread and waits for it (and, before it, for
    // everything posted earlier, such as change notices).
    void call(const std::function<void()>& fn) {
        std::promise<void> done;
        auto f = done.get_future();
        ring_->post([&] {
            fn();
            done.set_value();
        });
        wait(f);
    }

    // Starts the task on the ring and waits until it finished.
    Next run(const std::function<io::Task<Next>()>& make) {
        Next result = Next::kCommand;
        std::promise<void> done;
        auto f = done.get_future();
        ring_->post([&] { io::spawn(drive(make(), result, done)); });
        wait(f);
        return result;
    }
    void run_void(const std::function<io::Task<void>()>& make) {
        std::promise<void> done;
        auto f = done.get_future();
        ring_->post([&] { io::spawn(drive_void(make(), done)); });
        wait(f);
    }

private:
    static io::Task<void> drive(io::Task<Next> task, Next& result, std::promise<void>& done) {
        result = co_await std::move(task);
        done.set_value();
    }
    static io::Task<void> drive_void(io::Task<void> task, std::promise<void>& done) {
        co_await std::move(task);
        done.set_value();
    }
    static void wait(std::future<void>& f) {
        if (f.wait_for(10s) != std::future_status::ready) {
            // Whatever is stuck refers to this stack frame: no way to go on.
            std::fprintf(stderr, "session_test: the ring did not finish within 10 s\n");
            std::abort();
        }
    }

    std::thread thread_;
    io::Ring* ring_ = nullptr;
};

// One client connection: a Session, the CommandReader its commands go
// through, and a capturing flush function.
class Conn {
public:
    Conn(RingThread& rt, FakeBackend& backend, SessionConfig config = {}, std::string ip = "192.0.2.1",
         bool tls = false)
        : rt_(rt) {
        rt_.call([&] { session_ = std::make_unique<Session>(config, backend, ClientInfo{ip, 50143, tls}); });
    }
    ~Conn() {
        rt_.call([this] { session_.reset(); });
    }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    Session& session() { return *session_; }

    std::string greet() {
        std::string out;
        rt_.call([&] { session_->greet(out); });
        return out;
    }

    // Sends one command as written on the wire (without the final CRLF;
    // literals as "{n}\r\ndata" or "{n+}\r\ndata") and returns the session's
    // whole answer. Parse errors are answered through Session::bad, like the
    // driver does.
    std::string cmd(std::string_view text) {
        std::string wire(text);
        wire += "\r\n";
        size_t pos = 0;
        for (;;) {
            size_t used = 0;
            ReadEvent ev = reader_.feed(std::string_view(wire).substr(pos), used);
            pos += used;
            if (ev == ReadEvent::kContinue) {
                ++continuations;
                continue;
            }
            if (ev == ReadEvent::kError) {
                std::string out;
                const ReadError& e = reader_.error();
                rt_.call([&] { next = session_->bad(e.tag, e.text, out); });
                return out;
            }
            if (ev != ReadEvent::kCommand) {
                ADD_FAILURE() << "the reader made no command of: " << text;
                return {};
            }
            break;
        }
        EXPECT_EQ(pos, wire.size()) << "bytes left after: " << text;
        ParseResult parsed = parse_command(reader_.command());
        std::string out;
        if (!parsed.ok()) {
            rt_.call([&] { next = session_->bad(parsed.command.tag, parsed.error, out); });
            return out;
        }
        const Command command = std::move(parsed.command);
        next = rt_.run([&] { return session_->execute(command, out); });
        if (next == Next::kLine) reader_.expect_line();
        return out;
    }

    // What the driver does after Next::kStartTls and a good handshake.
    void tls_started() {
        rt_.call([this] { session_->tls_started(); });
    }

    // The plain line after Next::kLine (an AUTHENTICATE response, IDLE's DONE).
    std::string line(std::string_view text) {
        std::string wire(text);
        wire += "\r\n";
        size_t used = 0;
        ReadEvent ev = reader_.feed(wire, used);
        EXPECT_EQ(ev, ReadEvent::kLine);
        std::string l(reader_.line());
        std::string out;
        next = rt_.run([&] { return session_->line(l, out); });
        if (next == Next::kLine) reader_.expect_line();
        return out;
    }

    // What the driver does during IDLE when the watch fired.
    std::string refresh() {
        std::string out;
        rt_.run_void([&] { return session_->refresh(out); });
        return out;
    }

    bool changed() {
        bool c = false;
        rt_.call([&] { c = session_->changed(); });
        return c;
    }

    // Long replies go to `flushed`; each flush answers `flush_ok`.
    void capture_flushes() {
        rt_.call([this] { session_->set_flush([this](std::string& o) { return flush_into(this, o); }); });
    }

    Next next = Next::kCommand;
    int continuations = 0;
    std::string flushed;
    std::vector<size_t> flush_sizes;
    bool flush_ok = true;

private:
    static io::Task<bool> flush_into(Conn* c, std::string& out) {
        co_await io::sleep_for(0ms);   // a send takes a loop turn
        c->flushed += out;
        c->flush_sizes.push_back(out.size());
        out.clear();
        co_return c->flush_ok;
    }

    RingThread& rt_;
    CommandReader reader_;
    std::unique_ptr<Session> session_;
};

class ImapSessionTest : public ::testing::Test {
protected:
    ImapSessionTest() {
        backend.add_user("alice", "secret");
        backend.add_user("bob", "pass word");
        backend.add_message("alice", "INBOX", kMsg1, kSeen, kDate1);
        backend.add_message("alice", "INBOX", kMsg2, 0, kDate2);
        backend.add_message("alice", "INBOX", kMsg3, kFlagged, kDate3);
        backend.settle("alice", "INBOX");   // old mail: \Recent has its own tests
    }

    static SessionConfig config() {
        SessionConfig c;
        c.max_bad_commands = 0;   // unlimited unless a test says otherwise
        return c;
    }

    void login(Conn& c, const char* user = "alice", const char* password = "secret") {
        std::string r = c.cmd(std::string("L1 LOGIN ") + user + " \"" + password + "\"");
        ASSERT_THAT(r, StartsWith("L1 OK ")) << r;
        ASSERT_EQ(c.session().state(), State::kAuthenticated);
    }
    void select(Conn& c, const char* mailbox = "INBOX") {
        login(c);
        std::string r = c.cmd(std::string("S1 SELECT ") + mailbox);
        ASSERT_THAT(r, HasSubstr("S1 OK [READ-WRITE] SELECT completed\r\n")) << r;
    }

    FakeBackend backend;   // declared first: outlives the ring thread's last work
    RingThread rt;
};

}  // namespace

// --- greeting, capabilities, login ---

TEST_F(ImapSessionTest, GreetingAndCapability) {
    Conn c(rt, backend, config());
    EXPECT_EQ(c.greet(), "* OK [CAPABILITY " + kCapsBeforeLogin + "] localhost IMAP4rev1 ringpost ready\r\n");
    EXPECT_EQ(c.cmd("a CAPABILITY"), "* CAPABILITY " + kCapsBeforeLogin + "\r\na OK CAPABILITY completed\r\n");
    EXPECT_EQ(c.next, Next::kCommand);
    login(c);
    EXPECT_EQ(c.cmd("b capability"), "* CAPABILITY " + kCapsAfterLogin + "\r\nb OK CAPABILITY completed\r\n");
    EXPECT_EQ(c.session().commands(), 3u);
}

TEST_F(ImapSessionTest, GreetingUsesTheConfiguredHostname) {
    SessionConfig cfg = config();
    cfg.hostname = "imap.example.org";
    Conn c(rt, backend, cfg);
    EXPECT_THAT(c.greet(), EndsWith("] imap.example.org IMAP4rev1 ringpost ready\r\n"));
}

TEST_F(ImapSessionTest, LoginDisabledWithoutPlaintext) {
    SessionConfig cfg = config();
    cfg.plaintext_allowed = false;
    Conn c(rt, backend, cfg);
    std::string caps = kCapsAfterLogin + " LOGINDISABLED";
    EXPECT_EQ(c.greet(), "* OK [CAPABILITY " + caps + "] localhost IMAP4rev1 ringpost ready\r\n");
    EXPECT_EQ(c.cmd("a CAPABILITY"), "* CAPABILITY " + caps + "\r\na OK CAPABILITY completed\r\n");
    EXPECT_EQ(c.cmd("b LOGIN alice secret"), "b NO [PRIVACYREQUIRED] LOGIN disabled without TLS\r\n");
    EXPECT_EQ(c.cmd("c AUTHENTICATE PLAIN " + plain("", "alice", "secret")),
              "c NO [CANNOT] Unsupported authentication mechanism\r\n");
    EXPECT_TRUE(backend.login_ips.empty());   // the password never reached the backend
    EXPECT_EQ(c.session().state(), State::kNotAuthenticated);
}

TEST_F(ImapSessionTest, StarttlsIsAnnouncedAndAnsweredWithoutCapabilities) {
    SessionConfig cfg = config();
    cfg.plaintext_allowed = false;   // a client that is not on loopback
    cfg.starttls = true;
    Conn c(rt, backend, cfg);
    const std::string before = kCapsAfterLogin + " STARTTLS LOGINDISABLED";
    EXPECT_EQ(c.greet(), "* OK [CAPABILITY " + before + "] localhost IMAP4rev1 ringpost ready\r\n");
    EXPECT_EQ(c.cmd("a CAPABILITY"), "* CAPABILITY " + before + "\r\na OK CAPABILITY completed\r\n");
    EXPECT_EQ(c.cmd("b LOGIN alice secret"), "b NO [PRIVACYREQUIRED] LOGIN disabled without TLS\r\n");
    // RFC 3501 6.2.1: no CAPABILITY response code; the client asks again.
    EXPECT_EQ(c.cmd("c STARTTLS"), "c OK Begin TLS negotiation now\r\n");
    EXPECT_EQ(c.next, Next::kStartTls);
    c.tls_started();
    const std::string after = kCapsAfterLogin + " AUTH=PLAIN";
    EXPECT_EQ(c.cmd("d CAPABILITY"), "* CAPABILITY " + after + "\r\nd OK CAPABILITY completed\r\n");
    EXPECT_EQ(c.cmd("e STARTTLS"), "e BAD TLS already active\r\n");
    EXPECT_EQ(c.next, Next::kCommand);
    // Over TLS the non-loopback client may log in.
    EXPECT_EQ(c.cmd("f LOGIN alice secret"), "f OK [CAPABILITY " + kCapsAfterLogin + "] Logged in\r\n");
    EXPECT_EQ(backend.login_ips.size(), 1u);
}

TEST_F(ImapSessionTest, AuthenticatePlainOverTls) {
    SessionConfig cfg = config();
    cfg.plaintext_allowed = false;
    cfg.starttls = true;
    Conn c(rt, backend, cfg);
    EXPECT_EQ(c.cmd("a AUTHENTICATE PLAIN " + plain("", "alice", "secret")),
              "a NO [CANNOT] Unsupported authentication mechanism\r\n");
    EXPECT_EQ(c.cmd("b STARTTLS"), "b OK Begin TLS negotiation now\r\n");
    c.tls_started();
    EXPECT_THAT(c.cmd("c AUTHENTICATE PLAIN " + plain("", "alice", "secret")), StartsWith("c OK [CAPABILITY "));
}

TEST_F(ImapSessionTest, StarttlsAfterLoginIsRefused) {
    SessionConfig cfg = config();
    cfg.starttls = true;
    Conn c(rt, backend, cfg);
    login(c);
    EXPECT_EQ(c.cmd("a CAPABILITY"), "* CAPABILITY " + kCapsAfterLogin + "\r\na OK CAPABILITY completed\r\n");
    EXPECT_EQ(c.cmd("b STARTTLS"), "b BAD STARTTLS not allowed now\r\n");
    EXPECT_EQ(c.next, Next::kCommand);
    EXPECT_EQ(c.session().state(), State::kAuthenticated);
}

TEST_F(ImapSessionTest, ImplicitTlsAnnouncesNoStarttls) {
    SessionConfig cfg = config();
    cfg.plaintext_allowed = false;
    cfg.starttls = true;
    Conn c(rt, backend, cfg, "192.0.2.1", true);
    EXPECT_EQ(c.greet(), "* OK [CAPABILITY " + kCapsAfterLogin + " AUTH=PLAIN] localhost IMAP4rev1 ringpost ready\r\n");
    EXPECT_EQ(c.cmd("a STARTTLS"), "a BAD TLS already active\r\n");
    login(c);
}

TEST_F(ImapSessionTest, LoginSucceedsWithTheCanonicalName) {
    Conn c(rt, backend, config());
    EXPECT_EQ(c.cmd("a LOGIN ALICE secret"), "a OK [CAPABILITY " + kCapsAfterLogin + "] Logged in\r\n");
    EXPECT_EQ(c.session().state(), State::kAuthenticated);
    EXPECT_EQ(c.session().user(), "alice");
    EXPECT_EQ(backend.login_ips, std::vector<std::string>{"192.0.2.1"});
}

TEST_F(ImapSessionTest, LoginWithQuotedAndLiteralPasswords) {
    Conn c(rt, backend, config());
    EXPECT_THAT(c.cmd("a LOGIN bob \"pass word\""), StartsWith("a OK [CAPABILITY"));
    EXPECT_EQ(c.session().user(), "bob");
    Conn d(rt, backend, config());
    EXPECT_THAT(d.cmd("b LOGIN {5}\r\nalice {6}\r\nsecret"), StartsWith("b OK [CAPABILITY"));
    EXPECT_EQ(d.continuations, 2);
}

TEST_F(ImapSessionTest, LoginFailures) {
    Conn c(rt, backend, config());
    EXPECT_EQ(c.cmd("a LOGIN alice wrong"), "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
    EXPECT_EQ(c.cmd("b LOGIN nobody secret"), "b NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
    backend.logins_unavailable = true;
    EXPECT_EQ(c.cmd("c LOGIN alice secret"), "c NO [UNAVAILABLE] Temporary authentication failure\r\n");
    EXPECT_EQ(c.session().state(), State::kNotAuthenticated);
    EXPECT_EQ(c.session().user(), "");
    EXPECT_EQ(backend.login_ips.size(), 3u);
    EXPECT_EQ(c.session().bad_commands(), 0u);   // a failed login is NO, not BAD
}

TEST_F(ImapSessionTest, AuthenticatePlainWithInitialResponse) {
    Conn c(rt, backend, config());
    EXPECT_EQ(c.cmd("a AUTHENTICATE PLAIN " + plain("", "alice", "secret")),
              "a OK [CAPABILITY " + kCapsAfterLogin + "] Logged in\r\n");
    EXPECT_EQ(c.next, Next::kCommand);
    EXPECT_EQ(c.session().user(), "alice");
    // authzid equal to the user is fine.
    Conn d(rt, backend, config());
    EXPECT_THAT(d.cmd("b authenticate plain " + plain("bob", "bob", "pass word")), StartsWith("b OK [CAPABILITY"));
    EXPECT_EQ(d.session().user(), "bob");
}

TEST_F(ImapSessionTest, AuthenticatePlainWithContinuation) {
    Conn c(rt, backend, config());
    EXPECT_EQ(c.cmd("a AUTHENTICATE PLAIN"), "+ \r\n");
    EXPECT_EQ(c.next, Next::kLine);
    EXPECT_EQ(c.session().state(), State::kNotAuthenticated);
    EXPECT_EQ(c.line(plain("", "alice", "secret")), "a OK [CAPABILITY " + kCapsAfterLogin + "] Logged in\r\n");
    EXPECT_EQ(c.next, Next::kCommand);
    EXPECT_EQ(c.session().state(), State::kAuthenticated);
}

TEST_F(ImapSessionTest, AuthenticateFailuresAndCancel) {
    Conn c(rt, backend, config());
    EXPECT_EQ(c.cmd("a AUTHENTICATE PLAIN"), "+ \r\n");
    EXPECT_EQ(c.line("*"), "a BAD AUTHENTICATE cancelled\r\n");
    EXPECT_EQ(c.cmd("b AUTHENTICATE PLAIN"), "+ \r\n");
    EXPECT_EQ(c.line("not*base64"), "b BAD Invalid base64\r\n");
    EXPECT_EQ(c.cmd("c AUTHENTICATE PLAIN " + plain("", "alice", "wrong")),
              "c NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
    EXPECT_EQ(c.cmd("d AUTHENTICATE PLAIN " + plain("bob", "alice", "secret")),
              "d NO [AUTHORIZATIONFAILED] Proxy authorization not supported\r\n");
    std::string no_nul;
    base64::encode("alice", no_nul);
    EXPECT_EQ(c.cmd("e AUTHENTICATE PLAIN " + no_nul), "e NO [AUTHENTICATIONFAILED] Malformed PLAIN response\r\n");
    EXPECT_EQ(c.cmd("f AUTHENTICATE CRAM-MD5"), "f NO [CANNOT] Unsupported authentication mechanism\r\n");
    EXPECT_EQ(c.session().state(), State::kNotAuthenticated);
    EXPECT_EQ(backend.login_ips.size(), 1u);   // only the well-formed wrong password was checked
}

// --- states ---

TEST_F(ImapSessionTest, CommandsInTheWrongStateAreBad) {
    Conn c(rt, backend, config());
    EXPECT_EQ(c.cmd("a SELECT INBOX"), "a BAD SELECT not allowed before login\r\n");
    EXPECT_EQ(c.cmd("b LIST \"\" *"), "b BAD LIST not allowed before login\r\n");
    EXPECT_EQ(c.cmd("c FETCH 1 FLAGS"), "c BAD FETCH not allowed before login\r\n");
    EXPECT_EQ(c.cmd("d NOOP"), "d OK NOOP completed\r\n");
    login(c);
    EXPECT_EQ(c.cmd("e FETCH 1 FLAGS"), "e BAD FETCH not allowed now\r\n");
    EXPECT_EQ(c.cmd("f UID STORE 1 +FLAGS (\\Seen)"), "f BAD STORE not allowed now\r\n");
    EXPECT_EQ(c.cmd("g CLOSE"), "g BAD CLOSE not allowed now\r\n");
    EXPECT_EQ(c.cmd("h EXPUNGE"), "h BAD EXPUNGE not allowed now\r\n");
    EXPECT_EQ(c.cmd("i LOGIN alice secret"), "i BAD LOGIN not allowed now\r\n");
    EXPECT_EQ(c.cmd("j AUTHENTICATE PLAIN"), "j BAD AUTHENTICATE not allowed now\r\n");
    EXPECT_EQ(c.session().bad_commands(), 9u);
    EXPECT_EQ(backend.list_messages_calls, 0);
    EXPECT_EQ(backend.login_ips.size(), 1u);
}

TEST_F(ImapSessionTest, StatelessCommands) {
    Conn c(rt, backend, config());
    EXPECT_EQ(c.cmd("a ID NIL"), "* ID (\"name\" \"ringpost\")\r\na OK ID completed\r\n");
    EXPECT_EQ(c.cmd("b STARTTLS"), "b NO STARTTLS not available\r\n");
    login(c);
    EXPECT_EQ(c.cmd("c NAMESPACE"), "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\nc OK NAMESPACE completed\r\n");
    EXPECT_EQ(c.cmd("d ENABLE CONDSTORE"), "* ENABLED\r\nd OK ENABLE completed\r\n");
    EXPECT_EQ(c.cmd("e NOOP"), "e OK NOOP completed\r\n");
    EXPECT_EQ(c.cmd("f LOGOUT"), "* BYE Logging out\r\nf OK LOGOUT completed\r\n");
    EXPECT_EQ(c.next, Next::kClose);
    EXPECT_EQ(c.session().state(), State::kLogout);
}

TEST_F(ImapSessionTest, ShutdownAndTimeoutSayBye) {
    Conn c(rt, backend, config());
    std::string out;
    rt.call([&] { c.session().shutdown(out); });
    EXPECT_EQ(out, "* BYE Server shutting down\r\n");
    EXPECT_EQ(c.session().state(), State::kLogout);
    Conn d(rt, backend, config());
    out.clear();
    rt.call([&] { d.session().timeout(out); });
    EXPECT_EQ(out, "* BYE Autologout; idle for too long\r\n");
}

TEST_F(ImapSessionTest, TooManyBadCommandsSayBye) {
    SessionConfig cfg = config();
    cfg.max_bad_commands = 3;
    Conn c(rt, backend, cfg);
    EXPECT_THAT(c.cmd("a BOGUS"), StartsWith("a BAD "));
    EXPECT_EQ(c.next, Next::kCommand);
    EXPECT_EQ(c.cmd("b SELECT INBOX"), "b BAD SELECT not allowed before login\r\n");
    EXPECT_EQ(c.next, Next::kCommand);
    EXPECT_EQ(c.cmd("c LOGIN alice secret"), "c OK [CAPABILITY " + kCapsAfterLogin + "] Logged in\r\n");
    std::string r = c.cmd("d FETCH x");
    EXPECT_THAT(r, StartsWith("d BAD "));
    EXPECT_THAT(r, EndsWith("\r\n* BYE Too many invalid commands\r\n"));
    EXPECT_EQ(c.next, Next::kClose);
    EXPECT_EQ(c.session().state(), State::kLogout);
    EXPECT_EQ(c.session().bad_commands(), 3u);
}

// --- SELECT / EXAMINE ---

TEST_F(ImapSessionTest, SelectResponses) {
    Conn c(rt, backend, config());
    login(c);
    EXPECT_EQ(c.cmd("a SELECT INBOX"),
              "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
              "* 3 EXISTS\r\n"
              "* 0 RECENT\r\n"
              "* OK [UNSEEN 2] First unseen\r\n"
              "* OK [UIDVALIDITY 1000] UIDs valid\r\n"
              "* OK [UIDNEXT 4] Predicted next UID\r\n"
              "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags and keywords are stored\r\n"
              "a OK [READ-WRITE] SELECT completed\r\n");
    EXPECT_EQ(c.session().state(), State::kSelected);
    EXPECT_EQ(c.session().selected_mailbox(), "INBOX");
    EXPECT_EQ(backend.watchers("alice", "INBOX"), 1u);
}

TEST_F(ImapSessionTest, ExamineIsReadOnlyAndASecondSelectClosesTheFirst) {
    Conn c(rt, backend, config());
    login(c);
    EXPECT_EQ(c.cmd("a EXAMINE inbox"),
              "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
              "* 3 EXISTS\r\n"
              "* 0 RECENT\r\n"
              "* OK [UNSEEN 2] First unseen\r\n"
              "* OK [UIDVALIDITY 1000] UIDs valid\r\n"
              "* OK [UIDNEXT 4] Predicted next UID\r\n"
              "* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n"
              "a OK [READ-ONLY] EXAMINE completed\r\n");
    EXPECT_EQ(c.cmd("b SELECT Sent"),
              "* OK [CLOSED] Previous mailbox closed\r\n"
              "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
              "* 0 EXISTS\r\n"
              "* 0 RECENT\r\n"
              "* OK [UIDVALIDITY 1001] UIDs valid\r\n"
              "* OK [UIDNEXT 1] Predicted next UID\r\n"
              "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags and keywords are stored\r\n"
              "b OK [READ-WRITE] SELECT completed\r\n");
    EXPECT_EQ(c.session().selected_mailbox(), "Sent");
    EXPECT_EQ(backend.watchers("alice", "INBOX"), 0u);
    EXPECT_EQ(backend.watchers("alice", "Sent"), 1u);
}

// \Recent (RFC 3501 2.3.2): a message is recent in exactly one session,
// the first to SELECT the mailbox after it arrived or to report it as new.
TEST_F(ImapSessionTest, RecentGoesToTheFirstSessionThatSelects) {
    backend.add_message("alice", "INBOX", "Subject: four\r\n\r\n4\r\n", 0, kDate3);
    backend.add_message("alice", "INBOX", "Subject: five\r\n\r\n5\r\n", kSeen, kDate3);
    Conn a(rt, backend, config());
    Conn b(rt, backend, config());
    Conn e(rt, backend, config());
    login(a);
    login(b);
    login(e);
    EXPECT_EQ(a.cmd("s STATUS INBOX (RECENT)"), "* STATUS INBOX (RECENT 2)\r\ns OK STATUS completed\r\n");
    // EXAMINE sees them as recent but leaves them to the next SELECT.
    EXPECT_THAT(e.cmd("x EXAMINE INBOX"), HasSubstr("* 5 EXISTS\r\n* 2 RECENT\r\n"));
    EXPECT_THAT(a.cmd("a1 SELECT INBOX"), HasSubstr("* 5 EXISTS\r\n* 2 RECENT\r\n"));
    EXPECT_EQ(backend.mailbox("alice", "INBOX")->recent_floor, 5u);
    EXPECT_THAT(b.cmd("b1 SELECT INBOX"), HasSubstr("* 5 EXISTS\r\n* 0 RECENT\r\n"));
    EXPECT_EQ(a.cmd("a2 FETCH 3:5 FLAGS"),
              "* 3 FETCH (FLAGS (\\Flagged))\r\n* 4 FETCH (FLAGS (\\Recent))\r\n"
              "* 5 FETCH (FLAGS (\\Recent \\Seen))\r\na2 OK FETCH completed\r\n");
    EXPECT_EQ(a.cmd("a3 SEARCH RECENT"), "* SEARCH 4 5\r\na3 OK SEARCH completed\r\n");
    EXPECT_EQ(a.cmd("a7 STATUS INBOX (RECENT)"), "* STATUS INBOX (RECENT 2)\r\na7 OK STATUS completed\r\n");
    EXPECT_EQ(b.cmd("b5 STATUS INBOX (RECENT)"), "* STATUS INBOX (RECENT 0)\r\nb5 OK STATUS completed\r\n");
    EXPECT_EQ(a.cmd("a4 SEARCH NEW"), "* SEARCH 4\r\na4 OK SEARCH completed\r\n");
    EXPECT_EQ(a.cmd("a5 SEARCH OLD"), "* SEARCH 1 2 3\r\na5 OK SEARCH completed\r\n");
    EXPECT_EQ(b.cmd("b2 SEARCH RECENT"), "* SEARCH\r\nb2 OK SEARCH completed\r\n");
    EXPECT_EQ(b.cmd("b3 FETCH 4 FLAGS"), "* 4 FETCH (FLAGS ())\r\nb3 OK FETCH completed\r\n");
    EXPECT_EQ(e.cmd("x2 SEARCH RECENT"), "* SEARCH 4 5\r\nx2 OK SEARCH completed\r\n");
    // STORE can neither set nor clear it.
    EXPECT_EQ(a.cmd("a6 STORE 4 FLAGS (\\Draft)"), "* 4 FETCH (FLAGS (\\Recent \\Draft))\r\na6 OK STORE completed\r\n");
    EXPECT_EQ(b.cmd("b4 STORE 3 +FLAGS (\\Recent)"), "* 3 FETCH (FLAGS (\\Flagged))\r\nb4 OK STORE completed\r\n");
}

TEST_F(ImapSessionTest, NewMailIsRecentOnlyInTheSessionThatReportsItFirst) {
    Conn a(rt, backend, config());
    Conn b(rt, backend, config());
    select(a);
    select(b);
    backend.add_message("alice", "INBOX", "Subject: new\r\n\r\nhi\r\n", 0, kDate3);
    EXPECT_EQ(b.cmd("b1 NOOP"), "* 4 EXISTS\r\n* 1 RECENT\r\nb1 OK NOOP completed\r\n");
    EXPECT_EQ(a.cmd("a1 NOOP"), "* 4 EXISTS\r\na1 OK NOOP completed\r\n");
    EXPECT_EQ(b.cmd("b2 FETCH 4 FLAGS"), "* 4 FETCH (FLAGS (\\Recent))\r\nb2 OK FETCH completed\r\n");
    EXPECT_EQ(a.cmd("a2 FETCH 4 FLAGS"), "* 4 FETCH (FLAGS ())\r\na2 OK FETCH completed\r\n");
    // Re-selecting does not make old mail recent again.
    EXPECT_THAT(b.cmd("b3 SELECT INBOX"), HasSubstr("* 4 EXISTS\r\n* 0 RECENT\r\n"));
}

// A name that is not modified UTF-7 can name no mailbox: NO, not BAD, so
// it does not count towards the limit of invalid commands.
TEST_F(ImapSessionTest, InvalidModifiedUtf7NamesAreAnsweredNo) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a SELECT \"&Jjo\""),
              "* OK [CLOSED] Previous mailbox closed\r\n"
              "a NO [CANNOT] Mailbox name is not modified UTF-7: unterminated '&'\r\n");
    EXPECT_EQ(c.session().state(), State::kAuthenticated);
    for (int i = 0; i < 30; ++i) {
        std::string r = c.cmd("b CREATE \"a&b\"");
        ASSERT_THAT(r, StartsWith("b NO [CANNOT] ")) << r;
    }
    EXPECT_THAT(c.cmd("c STATUS \"&AGE-\" (MESSAGES)"), StartsWith("c NO [CANNOT] "));
    EXPECT_THAT(c.cmd("d LIST \"\" \"&\""), StartsWith("d NO [CANNOT] "));
    EXPECT_EQ(c.session().bad_commands(), 0u);
    EXPECT_EQ(c.cmd("e NOOP"), "e OK NOOP completed\r\n");
}

TEST_F(ImapSessionTest, FailedSelectLeavesNoMailboxSelected) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a SELECT Nope"),
              "* OK [CLOSED] Previous mailbox closed\r\na NO [NONEXISTENT] no such mailbox 'Nope'\r\n");
    EXPECT_EQ(c.session().state(), State::kAuthenticated);
    EXPECT_EQ(c.session().selected_mailbox(), "");
    EXPECT_EQ(c.cmd("b FETCH 1 FLAGS"), "b BAD FETCH not allowed now\r\n");
    EXPECT_EQ(backend.watchers("alice", "INBOX"), 0u);
}

TEST_F(ImapSessionTest, SelectWithoutUnseenMessages) {
    backend.set_flags("alice", "INBOX", 2, kSeen);
    backend.set_flags("alice", "INBOX", 3, kSeen);
    Conn c(rt, backend, config());
    login(c);
    std::string r = c.cmd("a SELECT INBOX");
    EXPECT_THAT(r, Not(HasSubstr("UNSEEN")));
    EXPECT_THAT(r, HasSubstr("* 3 EXISTS\r\n"));
}

// --- FETCH ---

TEST_F(ImapSessionTest, FetchSimpleItems) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a FETCH 1 (FLAGS UID INTERNALDATE RFC822.SIZE)"),
              "* 1 FETCH (FLAGS (\\Seen) UID 1 INTERNALDATE \"12-Jan-2024 12:00:00 +0000\" RFC822.SIZE " +
                  std::to_string(kMsg1.size()) + ")\r\na OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("b FETCH 2:3 FAST"),
              "* 2 FETCH (FLAGS () INTERNALDATE \"15-Feb-2024 08:30:00 +0000\" RFC822.SIZE " +
                  std::to_string(kMsg2.size()) +
                  ")\r\n"
                  "* 3 FETCH (FLAGS (\\Flagged) INTERNALDATE \"01-Mar-2024 23:59:59 +0000\" RFC822.SIZE " +
                  std::to_string(kMsg3.size()) + ")\r\nb OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("c UID FETCH 2:* FLAGS"),
              "* 2 FETCH (UID 2 FLAGS ())\r\n* 3 FETCH (UID 3 FLAGS (\\Flagged))\r\nc OK UID FETCH completed\r\n");
    // "7:*" always includes the last UID (RFC 3501 6.4.8); "7:9" names no message.
    EXPECT_EQ(c.cmd("d UID FETCH 7:* FLAGS"), "* 3 FETCH (UID 3 FLAGS (\\Flagged))\r\nd OK UID FETCH completed\r\n");
    EXPECT_EQ(c.cmd("e UID FETCH 7:9 FLAGS"), "e OK UID FETCH completed\r\n");
    EXPECT_EQ(c.cmd("f FETCH 4 FLAGS"), "f BAD Message sequence number out of range\r\n");
    EXPECT_EQ(backend.read_message_calls, 0);   // all from the listing
}

TEST_F(ImapSessionTest, FetchEnvelopeAndBodyStructure) {
    Conn c(rt, backend, config());
    select(c);
    mail::MessageSummary s1 = mail::summarize_message(kMsg1), s2 = mail::summarize_message(kMsg2);
    std::string r = c.cmd("a FETCH 1 ENVELOPE");
    EXPECT_EQ(r, "* 1 FETCH (ENVELOPE " + s1.envelope + ")\r\na OK FETCH completed\r\n");
    EXPECT_THAT(r, HasSubstr("\"Hello world\""));
    EXPECT_THAT(r, HasSubstr("\"<m1@example.org>\""));
    r = c.cmd("b FETCH 2 (BODYSTRUCTURE BODY)");
    EXPECT_EQ(r, "* 2 FETCH (BODYSTRUCTURE " + s2.bodystructure + " BODY " + s2.body + ")\r\nb OK FETCH completed\r\n");
    EXPECT_THAT(s2.bodystructure, StartsWith("((\"TEXT\" \"PLAIN\""));
    EXPECT_THAT(s2.bodystructure, HasSubstr("\"MIXED\""));
    EXPECT_EQ(backend.read_message_calls, 2);
    EXPECT_EQ(c.cmd("c FETCH 1 FLAGS"), "* 1 FETCH (FLAGS (\\Seen))\r\nc OK FETCH completed\r\n");   // nothing set
}

TEST_F(ImapSessionTest, FetchWholeMessageAndSections) {
    Conn c(rt, backend, config());
    select(c);
    // BODY[] of a message already \Seen: nothing to set, the flags come along.
    EXPECT_EQ(c.cmd("a FETCH 1 BODY[]"),
              "* 1 FETCH (BODY[] " + lit(kMsg1) + " FLAGS (\\Seen))\r\na OK FETCH completed\r\n");
    EXPECT_EQ(backend.change_flags_calls, 0);
    EXPECT_EQ(c.cmd("b FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]"),
              "* 1 FETCH (BODY[HEADER.FIELDS (Subject)] " + lit("Subject: Hello world\r\n\r\n") +
                  ")\r\nb OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("c FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Date Message-ID To)]"),
              "* 1 FETCH (BODY[HEADER.FIELDS.NOT (Date Message-ID To)] " +
                  lit("From: Alice Example <alice@example.org>\r\nSubject: Hello world\r\n\r\n") +
                  ")\r\nc OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("d FETCH 1 (BODY.PEEK[HEADER] BODY.PEEK[TEXT])"),
              "* 1 FETCH (BODY[HEADER] " + lit(kMsg1Header) + " BODY[TEXT] " + lit(kMsg1Text) +
                  ")\r\nd OK FETCH completed\r\n");
    // Part 1 of a single-part message is its body.
    EXPECT_EQ(c.cmd("e FETCH 1 BODY.PEEK[1]"), "* 1 FETCH (BODY[1] " + lit(kMsg1Text) + ")\r\ne OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("f FETCH 1 (RFC822.HEADER)"),
              "* 1 FETCH (RFC822.HEADER " + lit(kMsg1Header) + ")\r\nf OK FETCH completed\r\n");
}

TEST_F(ImapSessionTest, FetchMultipartSections) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a FETCH 2 BODY.PEEK[1]"),
              "* 2 FETCH (BODY[1] " + lit("See the attached budget.") + ")\r\na OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("b FETCH 2 BODY.PEEK[2]"), "* 2 FETCH (BODY[2] " + lit("AAECAw==") + ")\r\nb OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("c FETCH 2 BODY.PEEK[2.MIME]"),
              "* 2 FETCH (BODY[2.MIME] " +
                  lit("Content-Type: application/octet-stream; name=\"r.bin\"\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n") +
                  ")\r\nc OK FETCH completed\r\n");
    // A part that does not exist is an empty string.
    EXPECT_EQ(c.cmd("d FETCH 2 BODY.PEEK[7]"), "* 2 FETCH (BODY[7] {0}\r\n)\r\nd OK FETCH completed\r\n");
}

TEST_F(ImapSessionTest, FetchSectionsOfAnAttachedMessage) {
    const std::string inner = "From: orig@example.org\r\nSubject: Original\r\n\r\nOriginal body.";
    const std::string msg =
        "From: eve@example.org\r\n"
        "Subject: Fwd: original\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"B\"\r\n"
        "\r\n"
        "--B\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "Forwarded below.\r\n"
        "--B\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n" +
        inner +
        "\r\n"
        "--B--\r\n";
    backend.add_message("alice", "INBOX", msg, kSeen, kDate3);
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a FETCH 4 BODY.PEEK[2]"), "* 4 FETCH (BODY[2] " + lit(inner) + ")\r\na OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("b FETCH 4 BODY.PEEK[2.HEADER]"),
              "* 4 FETCH (BODY[2.HEADER] " + lit("From: orig@example.org\r\nSubject: Original\r\n\r\n") +
                  ")\r\nb OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("c FETCH 4 BODY.PEEK[2.TEXT]"),
              "* 4 FETCH (BODY[2.TEXT] " + lit("Original body.") + ")\r\nc OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("d FETCH 4 BODY.PEEK[2.HEADER.FIELDS (SUBJECT)]"),
              "* 4 FETCH (BODY[2.HEADER.FIELDS (SUBJECT)] " + lit("Subject: Original\r\n\r\n") +
                  ")\r\nd OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("e FETCH 4 BODY.PEEK[2.MIME]"),
              "* 4 FETCH (BODY[2.MIME] " + lit("Content-Type: message/rfc822\r\n\r\n") + ")\r\ne OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("f FETCH 4 BODY.PEEK[1]"),
              "* 4 FETCH (BODY[1] " + lit("Forwarded below.") + ")\r\nf OK FETCH completed\r\n");
    std::string r = c.cmd("g FETCH 4 BODYSTRUCTURE");
    EXPECT_THAT(r, HasSubstr("\"MESSAGE\" \"RFC822\""));
    EXPECT_THAT(r, HasSubstr("\"Original\""));   // the attached message's ENVELOPE is in there
}

TEST_F(ImapSessionTest, FetchPartials) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a FETCH 1 BODY.PEEK[]<0.10>"),
              "* 1 FETCH (BODY[]<0> " + lit(kMsg1.substr(0, 10)) + ")\r\na OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("b FETCH 1 BODY.PEEK[TEXT]<6.3>"), "* 1 FETCH (BODY[TEXT]<6> {3}\r\nBob)\r\nb OK FETCH completed\r\n");
    // A length past the end is cut; an origin past the end is an empty string (RFC 3501 6.4.5).
    EXPECT_EQ(c.cmd("c FETCH 1 BODY.PEEK[TEXT]<30.1000>"),
              "* 1 FETCH (BODY[TEXT]<30> " + lit(kMsg1Text.substr(30)) + ")\r\nc OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("d FETCH 1 BODY.PEEK[]<5000.10>"), "* 1 FETCH (BODY[]<5000> {0}\r\n)\r\nd OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("e FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]<0.7>"),
              "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)]<0> {7}\r\nSubject)\r\ne OK FETCH completed\r\n");
}

// NUL cannot be sent in a literal. It goes out as 0x80 (as Dovecot sends
// it), so RFC822.SIZE, the literal sizes and partial offsets all count the
// stored bytes and agree with each other.
std::string nul_to_0x80(std::string s) {
    for (char& c : s)
        if (c == '\0') c = '\x80';
    return s;
}

TEST_F(ImapSessionTest, NulBytesGoOutAs0x80AndSizesAgree) {
    const std::string nul(1, '\0');
    const std::string msg = "From: nul@example.org\r\nSubject: nul\r\n\r\nab" + nul + "cd\r\nef" + nul + nul + "\r\n";
    ASSERT_EQ(msg.size(), 52u);
    const size_t body_at = msg.find("\r\n\r\n") + 4;
    backend.add_message("alice", "INBOX", msg, kSeen, kDate3);
    backend.settle("alice", "INBOX");   // old mail: \Recent has its own tests
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a FETCH 4 (RFC822.SIZE BODY.PEEK[])"),
              "* 4 FETCH (RFC822.SIZE 52 BODY[] " + lit(nul_to_0x80(msg)) + ")\r\na OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("b FETCH 4 BODY.PEEK[TEXT]"),
              "* 4 FETCH (BODY[TEXT] " + lit(nul_to_0x80(msg.substr(body_at))) + ")\r\nb OK FETCH completed\r\n");
    // A partial counts the NUL: offset 2 of the text is the NUL itself.
    EXPECT_EQ(c.cmd("c FETCH 4 BODY.PEEK[TEXT]<2.3>"), "* 4 FETCH (BODY[TEXT]<2> {3}\r\n\x80" "cd)\r\nc OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("d FETCH 4 BODY.PEEK[]<" + std::to_string(body_at + 9) + ".100>"),
              "* 4 FETCH (BODY[]<" + std::to_string(body_at + 9) + "> {4}\r\n\x80\x80\r\n)\r\nd OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("e FETCH 4 RFC822"),
              "* 4 FETCH (RFC822 " + lit(nul_to_0x80(msg)) + " FLAGS (\\Seen))\r\ne OK FETCH completed\r\n");
}

TEST_F(ImapSessionTest, StreamedNulBytesGoOutAs0x80) {
    SessionConfig cfg = config();
    cfg.stream_threshold = 1024;
    cfg.flush_threshold = 512;
    std::string big = big_message(5000);
    for (size_t at = 100; at < big.size(); at += 700) big[at] = '\0';
    backend.add_message("alice", "INBOX", big, kSeen, kDate3);
    Conn c(rt, backend, cfg);
    c.capture_flushes();
    select(c);
    c.flushed.clear();
    std::string rest = c.cmd("a FETCH 4 (RFC822.SIZE BODY.PEEK[] BODY.PEEK[]<800.2000>)");
    EXPECT_EQ(c.flushed + rest, "* 4 FETCH (RFC822.SIZE " + std::to_string(big.size()) + " BODY[] " +
                                    lit(nul_to_0x80(big)) + " BODY[]<800> " + lit(nul_to_0x80(big.substr(800, 2000))) +
                                    ")\r\na OK FETCH completed\r\n");
}

// RFC 3501 6.4.5: no empty line is added to a message that has neither a
// body nor one; HEADER.FIELDS ends in it all the same (as Dovecot does).
TEST_F(ImapSessionTest, HeaderFieldsNotOfAMessageWithoutEmptyLine) {
    const std::string msg = "From: short@example.org\r\nSubject: header only\r\n";
    backend.add_message("alice", "INBOX", msg, kSeen, kDate3);
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a FETCH 4 BODY.PEEK[HEADER.FIELDS.NOT (From)]"),
              "* 4 FETCH (BODY[HEADER.FIELDS.NOT (From)] " + lit("Subject: header only\r\n") +
                  ")\r\na OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("b FETCH 4 (BODY.PEEK[HEADER] BODY.PEEK[HEADER.FIELDS (From)])"),
              "* 4 FETCH (BODY[HEADER] " + lit(msg) + " BODY[HEADER.FIELDS (From)] " +
                  lit("From: short@example.org\r\n\r\n") + ")\r\nb OK FETCH completed\r\n");
    // With the empty line it stays.
    EXPECT_EQ(c.cmd("c FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Date From To Subject)]"),
              "* 1 FETCH (BODY[HEADER.FIELDS.NOT (Date From To Subject)] " + lit("Message-ID: <m1@example.org>\r\n\r\n") +
                  ")\r\nc OK FETCH completed\r\n");
}

// IMAP4rev1 (all ringpost speaks) has no envelope form for message/global.
TEST_F(ImapSessionTest, MessageGlobalIsABasicPartInBodyStructure) {
    const std::string msg =
        "From: g@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: message/global\r\n\r\nSubject: s\r\n\r\nbody\r\n--b--\r\n";
    backend.add_message("alice", "INBOX", msg, kSeen, kDate3);
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a FETCH 4 (BODY BODYSTRUCTURE)"),
              "* 4 FETCH (BODY ((\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 18) \"MIXED\") BODYSTRUCTURE "
              "((\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 18 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL))"
              "\r\na OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("b FETCH 4 BODY.PEEK[1.HEADER]"),
              "* 4 FETCH (BODY[1.HEADER] " + lit("Subject: s\r\n\r\n") + ")\r\nb OK FETCH completed\r\n");
}

TEST_F(ImapSessionTest, BodySetsSeenPeekDoesNot) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a FETCH 2 BODY.PEEK[]"), "* 2 FETCH (BODY[] " + lit(kMsg2) + ")\r\na OK FETCH completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 2)->flags, 0u);
    EXPECT_EQ(c.cmd("b FETCH 2 RFC822.HEADER"), "* 2 FETCH (RFC822.HEADER " +
                                                   lit(kMsg2.substr(0, kMsg2.find("\r\n\r\n") + 4)) +
                                                   ")\r\nb OK FETCH completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 2)->flags, 0u);
    // BODY[...] sets \Seen and reports the new flags.
    EXPECT_EQ(c.cmd("c FETCH 2 BODY[1]"),
              "* 2 FETCH (BODY[1] " + lit("See the attached budget.") + " FLAGS (\\Seen))\r\nc OK FETCH completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 2)->flags, uint32_t(kSeen));
    // RFC822.TEXT too; with FLAGS asked for, they come once.
    EXPECT_EQ(c.cmd("d FETCH 3 (FLAGS RFC822.TEXT)"),
              "* 3 FETCH (FLAGS (\\Seen \\Flagged) RFC822.TEXT " + lit("Let's meet tomorrow.\r\n") +
                  ")\r\nd OK FETCH completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 3)->flags, uint32_t(kSeen | kFlagged));
    EXPECT_FALSE(c.changed());   // its own change
}

TEST_F(ImapSessionTest, Rfc822SetsSeen) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a UID FETCH 2 RFC822"),
              "* 2 FETCH (UID 2 RFC822 " + lit(kMsg2) + " FLAGS (\\Seen))\r\na OK UID FETCH completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 2)->flags, uint32_t(kSeen));
}

TEST_F(ImapSessionTest, ExamineNeverSetsSeen) {
    Conn c(rt, backend, config());
    login(c);
    c.cmd("a EXAMINE INBOX");
    EXPECT_EQ(c.cmd("b FETCH 2 BODY[]"), "* 2 FETCH (BODY[] " + lit(kMsg2) + ")\r\nb OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("c FETCH 2 RFC822.TEXT"), "* 2 FETCH (RFC822.TEXT " + lit(kMsg2.substr(kMsg2.find("\r\n\r\n") + 4)) +
                                                  ")\r\nc OK FETCH completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 2)->flags, 0u);
    EXPECT_EQ(backend.change_flags_calls, 0);
}

TEST_F(ImapSessionTest, FetchOfALargeMessageIsStreamedInChunks) {
    SessionConfig cfg = config();
    cfg.stream_threshold = 1024;
    cfg.flush_threshold = 512;
    const std::string big = big_message(10 * 1024 + 300);
    backend.add_message("alice", "INBOX", big, kSeen, kDate3);
    Conn c(rt, backend, cfg);
    c.capture_flushes();
    select(c);
    c.flushed.clear();
    c.flush_sizes.clear();
    backend.read_ranges.clear();
    std::string rest = c.cmd("a FETCH 4 BODY.PEEK[]");
    EXPECT_EQ(c.flushed + rest, "* 4 FETCH (BODY[] " + lit(big) + ")\r\na OK FETCH completed\r\n");
    EXPECT_GE(c.flush_sizes.size(), 5u);
    EXPECT_EQ(backend.read_message_calls, 0);   // never read whole
    ASSERT_EQ(backend.read_ranges.size(), 11u);
    for (size_t i = 0; i < backend.read_ranges.size(); ++i) {
        EXPECT_EQ(backend.read_ranges[i].first, i * 1024);
        EXPECT_LE(backend.read_ranges[i].second, 1024u);
    }
    EXPECT_FALSE(c.session().lost());
    EXPECT_EQ(c.next, Next::kCommand);
}

TEST_F(ImapSessionTest, StreamedSectionsAndPartials) {
    SessionConfig cfg = config();
    cfg.stream_threshold = 1024;
    cfg.flush_threshold = 512;
    const std::string big = big_message(6000);
    const size_t body_at = big.find("\r\n\r\n") + 4;
    backend.add_message("alice", "INBOX", big, 0, kDate3);
    Conn c(rt, backend, cfg);
    c.capture_flushes();
    select(c);
    c.flushed.clear();
    c.flush_sizes.clear();
    std::string rest = c.cmd("a FETCH 4 (BODY.PEEK[TEXT] BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[]<100.2000>)");
    EXPECT_EQ(c.flushed + rest, "* 4 FETCH (BODY[TEXT] " + lit(big.substr(body_at)) + " BODY[HEADER.FIELDS (Subject)] " +
                                    lit("Subject: Big one\r\n\r\n") + " BODY[]<100> " + lit(big.substr(100, 2000)) +
                                    ")\r\na OK FETCH completed\r\n");
    EXPECT_GE(c.flush_sizes.size(), 3u);
    c.flushed.clear();
    c.flush_sizes.clear();
    rest = c.cmd("b FETCH 4 BODY.PEEK[]<5990.100>");
    EXPECT_EQ(c.flushed + rest, "* 4 FETCH (BODY[]<5990> " + lit(big.substr(5990)) + ")\r\nb OK FETCH completed\r\n");
    c.flushed.clear();
    c.flush_sizes.clear();
    rest = c.cmd("c FETCH 4 BODY.PEEK[]<9000.100>");
    EXPECT_EQ(c.flushed + rest, "* 4 FETCH (BODY[]<9000> {0}\r\n)\r\nc OK FETCH completed\r\n");
    // Streamed BODY[] still sets \Seen.
    c.flushed.clear();
    c.flush_sizes.clear();
    rest = c.cmd("d FETCH 4 BODY[]");
    EXPECT_EQ(c.flushed + rest,
              "* 4 FETCH (BODY[] " + lit(big) + " FLAGS (\\Recent \\Seen))\r\nd OK FETCH completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 4)->flags, uint32_t(kSeen));
    EXPECT_EQ(backend.read_message_data_calls, 0);   // only summaries and ranges: never the whole message
    EXPECT_GE(backend.read_ranges.size(), 6u * 2);
}

TEST_F(ImapSessionTest, ManySmallMessagesAreFlushedAsTheyGo) {
    SessionConfig cfg = config();
    cfg.flush_threshold = 300;
    Conn c(rt, backend, cfg);
    c.capture_flushes();
    select(c);
    c.flushed.clear();
    c.flush_sizes.clear();
    std::string rest = c.cmd("a FETCH 1:* BODY.PEEK[]");
    const std::string responses[] = {"* 1 FETCH (BODY[] " + lit(kMsg1) + ")\r\n",
                                     "* 2 FETCH (BODY[] " + lit(kMsg2) + ")\r\n",
                                     "* 3 FETCH (BODY[] " + lit(kMsg3) + ")\r\n"};
    // The output is flushed after each message that brings it to 300 bytes or more.
    std::vector<size_t> expected_flushes;
    std::string pending;
    for (const auto& r : responses) {
        pending += r;
        if (pending.size() >= 300) {
            expected_flushes.push_back(pending.size());
            pending.clear();
        }
    }
    ASSERT_GE(expected_flushes.size(), 1u);
    EXPECT_EQ(c.flush_sizes, expected_flushes);
    EXPECT_EQ(rest, pending + "a OK FETCH completed\r\n");
    EXPECT_EQ(c.flushed + rest, responses[0] + responses[1] + responses[2] + "a OK FETCH completed\r\n");
}

TEST_F(ImapSessionTest, AFailedFlushEndsTheCommand) {
    SessionConfig cfg = config();
    cfg.stream_threshold = 1024;
    cfg.flush_threshold = 512;
    backend.add_message("alice", "INBOX", big_message(8000), kSeen, kDate3);
    Conn c(rt, backend, cfg);
    c.capture_flushes();
    select(c);
    c.flush_ok = false;
    c.flush_sizes.clear();
    backend.read_ranges.clear();
    std::string rest = c.cmd("a FETCH 4 BODY.PEEK[]");
    EXPECT_THAT(c.flushed + rest, Not(HasSubstr("a OK")));
    EXPECT_EQ(c.flush_sizes.size(), 1u);   // nothing after the first failure
    EXPECT_EQ(backend.read_ranges.size(), 1u);
    EXPECT_TRUE(c.session().lost());
    EXPECT_EQ(c.next, Next::kClose);
}

TEST_F(ImapSessionTest, AFailedFlushBetweenMessagesEndsTheCommand) {
    SessionConfig cfg = config();
    cfg.flush_threshold = 100;
    Conn c(rt, backend, cfg);
    c.capture_flushes();
    select(c);
    c.flush_ok = false;
    c.flush_sizes.clear();
    const int reads = backend.read_message_calls;
    std::string rest = c.cmd("a FETCH 1:3 BODY.PEEK[]");
    EXPECT_EQ(c.flush_sizes.size(), 1u);
    EXPECT_EQ(backend.read_message_calls, reads + 1);   // messages 2 and 3 were never read
    EXPECT_THAT(rest, Not(HasSubstr("a OK")));
    EXPECT_TRUE(c.session().lost());
    EXPECT_EQ(c.next, Next::kClose);
}

TEST_F(ImapSessionTest, StreamedMessageVanishingMidwayDropsTheConnection) {
    SessionConfig cfg = config();
    cfg.stream_threshold = 1024;
    backend.add_message("alice", "INBOX", big_message(5000), kSeen, kDate3);
    Conn c(rt, backend, cfg);
    select(c);
    backend.remove_message("alice", "INBOX", 4);   // after SELECT: the session still lists it
    std::string r = c.cmd("a FETCH 4 BODY.PEEK[]");
    EXPECT_THAT(r, Not(HasSubstr("a OK")));
    EXPECT_TRUE(c.session().lost());
    EXPECT_EQ(c.next, Next::kClose);
}

// --- STORE ---

TEST_F(ImapSessionTest, StoreAddRemoveReplaceAndSilent) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a STORE 2 +FLAGS (\\Flagged \\Answered)"),
              "* 2 FETCH (FLAGS (\\Answered \\Flagged))\r\na OK STORE completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 2)->flags, uint32_t(kAnswered | kFlagged));
    EXPECT_EQ(c.cmd("b STORE 1:2 -FLAGS (\\Answered \\Seen)"),
              "* 1 FETCH (FLAGS ())\r\n* 2 FETCH (FLAGS (\\Flagged))\r\nb OK STORE completed\r\n");
    EXPECT_EQ(c.cmd("c STORE 3 FLAGS (\\Draft \\Seen)"), "* 3 FETCH (FLAGS (\\Seen \\Draft))\r\nc OK STORE completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 3)->flags, uint32_t(kSeen | kDraft));
    EXPECT_EQ(c.cmd("d STORE 1 +FLAGS.SILENT (\\Deleted)"), "d OK STORE completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 1)->flags, uint32_t(kDeleted));
    EXPECT_EQ(c.cmd("e STORE 1 FLAGS ()"), "* 1 FETCH (FLAGS ())\r\ne OK STORE completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 1)->flags, 0u);
    // Its view follows: FETCH FLAGS comes from the listing kept since SELECT.
    EXPECT_EQ(c.cmd("f FETCH 1:3 FLAGS"),
              "* 1 FETCH (FLAGS ())\r\n* 2 FETCH (FLAGS (\\Flagged))\r\n* 3 FETCH (FLAGS (\\Seen \\Draft))\r\n"
              "f OK FETCH completed\r\n");
    EXPECT_FALSE(c.changed());   // its own writes do not come back through its watch
}

TEST_F(ImapSessionTest, UidStoreAndErrors) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a UID STORE 3 +FLAGS (\\Deleted)"),
              "* 3 FETCH (UID 3 FLAGS (\\Flagged \\Deleted))\r\na OK UID STORE completed\r\n");
    EXPECT_EQ(c.cmd("b UID STORE 1:* +FLAGS.SILENT (\\Seen)"), "b OK UID STORE completed\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 2)->flags, uint32_t(kSeen));
    EXPECT_EQ(c.cmd("c UID STORE 50 +FLAGS (\\Seen)"), "c OK UID STORE completed\r\n");
    EXPECT_EQ(c.cmd("d STORE 4 +FLAGS (\\Seen)"), "d BAD Message sequence number out of range\r\n");
    c.cmd("e EXAMINE INBOX");
    EXPECT_EQ(c.cmd("f STORE 1 +FLAGS (\\Flagged)"), "f NO [READ-ONLY] Mailbox is read-only\r\n");
    EXPECT_EQ(backend.message("alice", "INBOX", 1)->flags, uint32_t(kSeen));
}

// --- SEARCH ---

TEST_F(ImapSessionTest, SearchFlagsSetsAndLogic) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a SEARCH ALL"), "* SEARCH 1 2 3\r\na OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("b SEARCH SEEN"), "* SEARCH 1\r\nb OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("c SEARCH UNSEEN"), "* SEARCH 2 3\r\nc OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("d SEARCH FLAGGED"), "* SEARCH 3\r\nd OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("e SEARCH NOT SEEN NOT FLAGGED"), "* SEARCH 2\r\ne OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("f SEARCH OR SEEN FLAGGED"), "* SEARCH 1 3\r\nf OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("g SEARCH 2:* SEEN"), "* SEARCH\r\ng OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("h SEARCH UID 1,3"), "* SEARCH 1 3\r\nh OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("i SEARCH (OR DELETED ANSWERED) ALL"), "* SEARCH\r\ni OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("j SEARCH KEYWORD $Forwarded"), "* SEARCH\r\nj OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("k SEARCH UNKEYWORD $Forwarded"), "* SEARCH 1 2 3\r\nk OK SEARCH completed\r\n");
    EXPECT_EQ(backend.read_message_calls, 0);   // nothing here needs the text
}

TEST_F(ImapSessionTest, SearchText) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a SEARCH FROM carol"), "* SEARCH 2\r\na OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("b SEARCH FROM EXAMPLE.NET"), "* SEARCH 2 3\r\nb OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("c SEARCH SUBJECT \"hello WORLD\""), "* SEARCH 1\r\nc OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("d SEARCH BODY budget"), "* SEARCH 2\r\nd OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("e SEARCH BODY \"hello world\""), "* SEARCH\r\ne OK SEARCH completed\r\n");   // subject only
    EXPECT_EQ(c.cmd("f SEARCH TEXT \"hello world\""), "* SEARCH 1\r\nf OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("g SEARCH TO bob"), "* SEARCH 1\r\ng OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("h SEARCH CC carol"), "* SEARCH 3\r\nh OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("i SEARCH HEADER Message-ID m1@"), "* SEARCH 1\r\ni OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("j SEARCH OR FROM dave SUBJECT quarterly"), "* SEARCH 2 3\r\nj OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("k SEARCH NOT TEXT example.net"), "* SEARCH 1\r\nk OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("l SEARCH CHARSET UTF-8 SUBJECT meeting"), "* SEARCH 3\r\nl OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("m SEARCH CHARSET KOI8-R SUBJECT meeting"),
              "m NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n");
}

// Every text key of one SEARCH shares one read of each message.
TEST_F(ImapSessionTest, SearchReadsEachMessageOnce) {
    Conn c(rt, backend, config());
    select(c);
    backend.read_message_calls = 0;
    EXPECT_EQ(c.cmd("a SEARCH NOT BODY nothing-here NOT TEXT nothing-either NOT SUBJECT nothing"),
              "* SEARCH 1 2 3\r\na OK SEARCH completed\r\n");
    EXPECT_EQ(backend.read_message_calls, 3);
}

// Over the stream threshold SEARCH reads the header and the text parts,
// never the whole message nor its attachment.
TEST_F(ImapSessionTest, SearchOfALargeMessageReadsOnlyHeaderAndTextParts) {
    SessionConfig cfg = config();
    cfg.stream_threshold = 1024;
    const std::string attachment(8192, 'Q');
    const std::string big =
        "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Fahrrad=\r\nschlauch\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
        attachment + "\r\n--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nK\xe4se\r\n--b--\r\n";
    backend.add_message("alice", "INBOX", big, 0, kDate3);
    Conn c(rt, backend, cfg);
    select(c);
    backend.read_ranges.clear();
    backend.read_message_data_calls = 0;
    EXPECT_EQ(c.cmd("a SEARCH CHARSET UTF-8 SUBJECT {7+}\r\nGR\xc3\x9c\xc3\x9f" "E BODY FAHRRADSCHLAUCH BODY {5+}\r\nK\xc3\x84SE"),
              "* SEARCH 4\r\na OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("b SEARCH BODY QQQQ"), "* SEARCH\r\nb OK SEARCH completed\r\n");
    EXPECT_EQ(backend.read_message_data_calls, 2 * 3);   // the three small ones, once per command

    const size_t attachment_at = big.find(attachment);
    ASSERT_FALSE(backend.read_ranges.empty());
    for (const auto& [offset, length] : backend.read_ranges) {
        EXPECT_TRUE(offset + length <= attachment_at || offset >= attachment_at + attachment.size())
            << offset << "+" << length;
    }
}

TEST_F(ImapSessionTest, SearchSizesAndInternalDates) {
    Conn c(rt, backend, config());
    select(c);
    ASSERT_LT(kMsg3.size(), kMsg1.size());
    ASSERT_LT(kMsg1.size(), kMsg2.size());
    std::string s1 = std::to_string(kMsg1.size());
    EXPECT_EQ(c.cmd("a SEARCH LARGER " + s1), "* SEARCH 2\r\na OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("b SEARCH SMALLER " + s1), "* SEARCH 3\r\nb OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("c SEARCH NOT LARGER " + s1 + " NOT SMALLER " + s1), "* SEARCH 1\r\nc OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("d SEARCH SINCE 15-Feb-2024"), "* SEARCH 2 3\r\nd OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("e SEARCH BEFORE 15-Feb-2024"), "* SEARCH 1\r\ne OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("f SEARCH ON 12-Jan-2024"), "* SEARCH 1\r\nf OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("g SEARCH ON 1-Mar-2024"), "* SEARCH 3\r\ng OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("h SEARCH SINCE 2-Mar-2024"), "* SEARCH\r\nh OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("i SEARCH SINCE 13-Jan-2024 BEFORE 1-Mar-2024"), "* SEARCH 2\r\ni OK SEARCH completed\r\n");
}

// RFC 3501 6.4.4: SENTBEFORE / SENTON / SENTSINCE compare the Date: header,
// not the internal date. Message 1 was written on 10 Jan and arrived on 12 Jan.
TEST_F(ImapSessionTest, SearchSentDatesUseTheDateHeader) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a SEARCH SENTON 10-Jan-2024"), "* SEARCH 1\r\na OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("b SEARCH SENTBEFORE 11-Jan-2024"), "* SEARCH 1\r\nb OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("c SEARCH SENTON 12-Jan-2024"), "* SEARCH\r\nc OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("d SEARCH SENTSINCE 1-Mar-2024"), "* SEARCH 3\r\nd OK SEARCH completed\r\n");
}

TEST_F(ImapSessionTest, UidSearchAnswersUids) {
    backend.remove_message("alice", "INBOX", 1);
    backend.add_message("alice", "INBOX", kMsg1, kSeen, kDate1);   // UID 4, now message 3
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("a SEARCH SEEN"), "* SEARCH 3\r\na OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("b UID SEARCH SEEN"), "* SEARCH 4\r\nb OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("c UID SEARCH ALL"), "* SEARCH 2 3 4\r\nc OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("d UID SEARCH UID 3:*"), "* SEARCH 3 4\r\nd OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("e SEARCH UID 4"), "* SEARCH 3\r\ne OK SEARCH completed\r\n");
    EXPECT_EQ(c.cmd("f UID SEARCH 1:2"), "* SEARCH 2 3\r\nf OK SEARCH completed\r\n");   // sequence numbers
}

// --- COPY / MOVE / EXPUNGE ---

class ImapSessionFiveTest : public ImapSessionTest {
protected:
    ImapSessionFiveTest() {
        backend.add_message("alice", "INBOX", "Subject: four\r\n\r\n4\r\n", 0, kDate3);
        backend.add_message("alice", "INBOX", "Subject: five\r\n\r\n5\r\n", kAnswered, kDate3);
        backend.settle("alice", "INBOX");
    }
};

TEST_F(ImapSessionFiveTest, CopyAnswersCopyUid) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(canon(c.cmd("a COPY 2:3 Trash")), "a OK [COPYUID 1003 2:3 1:2] COPY completed\r\n");
    EXPECT_EQ(backend.uids("alice", "Trash"), (std::vector<uint32_t>{1, 2}));
    EXPECT_EQ(backend.message("alice", "Trash", 2)->flags, uint32_t(kFlagged));   // flags go along
    EXPECT_EQ(backend.message("alice", "Trash", 2)->data, kMsg3);
    EXPECT_EQ(backend.uids("alice", "INBOX"), (std::vector<uint32_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(canon(c.cmd("b UID COPY 5,1 Trash")), "b OK [COPYUID 1003 1,5 3:4] COPY completed\r\n");
    EXPECT_EQ(canon(c.cmd("c UID COPY 77 Trash")), "c OK COPY completed\r\n");
    EXPECT_EQ(canon(c.cmd("d COPY 1 Nope")), "d NO [TRYCREATE] no such mailbox 'Nope'\r\n");
    EXPECT_EQ(canon(c.cmd("e COPY 6 Trash")), "e BAD Message sequence number out of range\r\n");
    // Into the selected mailbox itself: the new message is announced.
    EXPECT_EQ(canon(c.cmd("f COPY 1 INBOX")), "* 6 EXISTS\r\n* 1 RECENT\r\nf OK [COPYUID 1000 1 6] COPY completed\r\n");
    EXPECT_FALSE(c.changed());
}

TEST_F(ImapSessionFiveTest, MoveExpungesInDescendingOrderAndRenumbers) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(canon(c.cmd("a MOVE 2,4 Junk")),
              "* OK [COPYUID 1004 2,4 1:2] Moved\r\n* 4 EXPUNGE\r\n* 2 EXPUNGE\r\na OK MOVE completed\r\n");
    EXPECT_EQ(backend.uids("alice", "INBOX"), (std::vector<uint32_t>{1, 3, 5}));
    EXPECT_EQ(backend.uids("alice", "Junk"), (std::vector<uint32_t>{1, 2}));
    EXPECT_EQ(canon(c.cmd("b FETCH 1:* UID")),
              "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 3)\r\n* 3 FETCH (UID 5)\r\nb OK FETCH completed\r\n");
    EXPECT_EQ(canon(c.cmd("c UID MOVE 5 Trash")),
              "* OK [COPYUID 1003 5 1] Moved\r\n* 3 EXPUNGE\r\nc OK MOVE completed\r\n");
    EXPECT_EQ(canon(c.cmd("d MOVE 1:2 Sent")),
              "* OK [COPYUID 1001 1,3 1:2] Moved\r\n* 2 EXPUNGE\r\n* 1 EXPUNGE\r\nd OK MOVE completed\r\n");
    EXPECT_EQ(canon(c.cmd("e SEARCH ALL")), "* SEARCH\r\ne OK SEARCH completed\r\n");
    EXPECT_EQ(canon(c.cmd("f MOVE 1 Sent")), "f BAD Message sequence number out of range\r\n");
    EXPECT_FALSE(c.changed());
    EXPECT_EQ(canon(c.cmd("g NOOP")), "g OK NOOP completed\r\n");   // nothing left to report
}

TEST_F(ImapSessionFiveTest, MoveWithinTheSelectedMailboxRenumbers) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(canon(c.cmd("a MOVE 1:2 INBOX")),
              "* OK [COPYUID 1000 1:2 6:7] Moved\r\n* 2 EXPUNGE\r\n* 1 EXPUNGE\r\n* 5 EXISTS\r\n"
              "* 2 RECENT\r\na OK MOVE completed\r\n");
    EXPECT_EQ(backend.uids("alice", "INBOX"), (std::vector<uint32_t>{3, 4, 5, 6, 7}));
    EXPECT_EQ(c.cmd("b FETCH 1:* (UID FLAGS)"),
              "* 1 FETCH (UID 3 FLAGS (\\Flagged))\r\n* 2 FETCH (UID 4 FLAGS ())\r\n"
              "* 3 FETCH (UID 5 FLAGS (\\Answered))\r\n* 4 FETCH (UID 6 FLAGS (\\Recent \\Seen))\r\n"
              "* 5 FETCH (UID 7 FLAGS (\\Recent))\r\nb OK FETCH completed\r\n");
}

// RFC 4315 3: COPYUID names every message copied, however many.
TEST_F(ImapSessionTest, CopyUidNamesEveryCopiedMessage) {
    const uint32_t n = 10001;
    for (uint32_t i = 0; i < n; ++i) backend.add_message("alice", "Sent", "Subject: x\r\n\r\nx\r\n", kSeen, kDate1);
    Conn c(rt, backend, config());
    select(c, "Sent");
    std::string r = c.cmd("a COPY 1:* Trash");
    ASSERT_THAT(r, StartsWith("a OK [COPYUID 1003 "));
    EXPECT_EQ(backend.uids("alice", "Trash").size(), n);
    EXPECT_EQ(canon(r), "a OK [COPYUID 1003 1:10001 1:10001] COPY completed\r\n");
}

TEST_F(ImapSessionFiveTest, MoveFailuresAndReadOnly) {
    Conn c(rt, backend, config());
    login(c);
    c.cmd("a EXAMINE INBOX");
    EXPECT_EQ(canon(c.cmd("b MOVE 1 Trash")), "b NO [READ-ONLY] Mailbox is read-only\r\n");
    EXPECT_EQ(canon(c.cmd("c COPY 1 Trash")), "c OK [COPYUID 1003 1 1] COPY completed\r\n");   // COPY is fine
    c.cmd("d SELECT INBOX");
    EXPECT_EQ(canon(c.cmd("e MOVE 1 Nope")), "e NO [TRYCREATE] no such mailbox 'Nope'\r\n");
    EXPECT_EQ(backend.uids("alice", "INBOX").size(), 5u);
}

TEST_F(ImapSessionFiveTest, ExpungeAndUidExpunge) {
    Conn c(rt, backend, config());
    select(c);
    c.cmd("a STORE 2,4,5 +FLAGS.SILENT (\\Deleted)");
    EXPECT_EQ(c.cmd("b UID EXPUNGE 1:4"), "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\nb OK EXPUNGE completed\r\n");
    EXPECT_EQ(backend.uids("alice", "INBOX"), (std::vector<uint32_t>{1, 3, 5}));
    c.cmd("c STORE 1 +FLAGS.SILENT (\\Deleted)");
    EXPECT_EQ(c.cmd("d EXPUNGE"), "* 3 EXPUNGE\r\n* 1 EXPUNGE\r\nd OK EXPUNGE completed\r\n");
    EXPECT_EQ(backend.uids("alice", "INBOX"), (std::vector<uint32_t>{3}));
    EXPECT_EQ(c.cmd("e FETCH 1 UID"), "* 1 FETCH (UID 3)\r\ne OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("f EXPUNGE"), "f OK EXPUNGE completed\r\n");
    EXPECT_FALSE(c.changed());
    c.cmd("g EXAMINE INBOX");
    EXPECT_EQ(c.cmd("h EXPUNGE"), "h NO [READ-ONLY] Mailbox is read-only\r\n");
}

// --- APPEND ---

TEST_F(ImapSessionTest, AppendWithFlagsAndDate) {
    Conn c(rt, backend, config());
    login(c);
    const std::string msg = "Subject: draft\r\n\r\nnot yet\r\n";
    EXPECT_EQ(c.cmd("a APPEND Drafts (\\Draft \\Seen) \"05-Mar-2024 10:00:00 +0100\" " + lit(msg)),
              "a OK [APPENDUID 1002 1] APPEND completed\r\n");
    EXPECT_EQ(c.continuations, 1);
    const auto* m = backend.message("alice", "Drafts", 1);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->data, msg);
    EXPECT_EQ(m->flags, uint32_t(kDraft | kSeen));
    EXPECT_EQ(m->internal_date, 1709629200);
    EXPECT_EQ(c.cmd("b APPEND Drafts {3+}\r\nabc"), "b OK [APPENDUID 1002 2] APPEND completed\r\n");
    EXPECT_EQ(backend.message("alice", "Drafts", 2)->internal_date, backend.now);   // no date: now
    EXPECT_EQ(c.continuations, 1);   // LITERAL+ needs none
    EXPECT_EQ(c.cmd("c APPEND Sent {3+}\r\none {3+}\r\ntwo"), "c OK [APPENDUID 1001 1:2] APPEND completed\r\n");
    EXPECT_EQ(backend.message("alice", "Sent", 2)->data, "two");
    EXPECT_EQ(c.cmd("d APPEND Nope {3+}\r\nabc"), "d NO [TRYCREATE] no such mailbox 'Nope'\r\n");
}

TEST_F(ImapSessionTest, AppendIntoTheSelectedMailboxAnnouncesIt) {
    Conn c(rt, backend, config());
    select(c);
    // New to this session, which has the mailbox selected: \Recent here.
    EXPECT_EQ(c.cmd("a APPEND INBOX {3+}\r\nabc"),
              "* 4 EXISTS\r\n* 1 RECENT\r\na OK [APPENDUID 1000 4] APPEND completed\r\n");
    EXPECT_EQ(c.cmd("b FETCH 4 (UID RFC822.SIZE)"), "* 4 FETCH (UID 4 RFC822.SIZE 3)\r\nb OK FETCH completed\r\n");
    EXPECT_EQ(c.cmd("c APPEND Sent {3+}\r\nabc"), "c OK [APPENDUID 1001 1] APPEND completed\r\n");
    EXPECT_FALSE(c.changed());
    EXPECT_EQ(c.cmd("d NOOP"), "d OK NOOP completed\r\n");
}

// --- CLOSE / UNSELECT ---

TEST_F(ImapSessionTest, CloseExpungesSilently) {
    Conn c(rt, backend, config());
    select(c);
    c.cmd("a STORE 2 +FLAGS.SILENT (\\Deleted)");
    EXPECT_EQ(c.cmd("b CLOSE"), "b OK CLOSE completed\r\n");
    EXPECT_EQ(backend.uids("alice", "INBOX"), (std::vector<uint32_t>{1, 3}));
    EXPECT_EQ(c.session().state(), State::kAuthenticated);
    EXPECT_EQ(backend.watchers("alice", "INBOX"), 0u);
    EXPECT_EQ(c.cmd("c FETCH 1 FLAGS"), "c BAD FETCH not allowed now\r\n");
}

TEST_F(ImapSessionTest, UnselectAndClosingAnExaminedMailboxKeepDeletedMessages) {
    Conn c(rt, backend, config());
    select(c);
    c.cmd("a STORE 2 +FLAGS.SILENT (\\Deleted)");
    EXPECT_EQ(c.cmd("b UNSELECT"), "b OK UNSELECT completed\r\n");
    EXPECT_EQ(c.session().state(), State::kAuthenticated);
    EXPECT_EQ(backend.uids("alice", "INBOX").size(), 3u);
    c.cmd("c EXAMINE INBOX");
    EXPECT_EQ(c.cmd("d CLOSE"), "d OK CLOSE completed\r\n");
    EXPECT_EQ(backend.uids("alice", "INBOX").size(), 3u);
    EXPECT_EQ(backend.expunge_calls, 0);
}

// --- LIST / LSUB / STATUS ---

TEST_F(ImapSessionTest, ListAll) {
    Conn c(rt, backend, config());
    login(c);
    EXPECT_EQ(c.cmd("a LIST \"\" *"),
              "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n"
              "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
              "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n"
              "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
              "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n"
              "a OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("b LIST \"\" \"\""), "* LIST (\\Noselect) \"/\" \"\"\r\nb OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("c LIST \"\" Nothing*"), "c OK LIST completed\r\n");
}

TEST_F(ImapSessionTest, ListPatternsAndHierarchy) {
    Conn c(rt, backend, config());
    login(c);
    EXPECT_EQ(c.cmd("a CREATE Projects"), "a OK CREATE completed\r\n");
    EXPECT_EQ(c.cmd("b CREATE Projects/2024"), "b OK CREATE completed\r\n");
    EXPECT_EQ(c.cmd("c LIST \"\" %"),
              "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n"
              "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
              "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n"
              "* LIST (\\HasChildren) \"/\" Projects\r\n"
              "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
              "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n"
              "c OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("d LIST \"\" Projects/%"), "* LIST (\\HasNoChildren) \"/\" Projects/2024\r\nd OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("e LIST Projects/ *"), "* LIST (\\HasNoChildren) \"/\" Projects/2024\r\ne OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("f LIST \"\" P*4"), "* LIST (\\HasNoChildren) \"/\" Projects/2024\r\nf OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("g LIST \"\" (Sent Junk)"),
              "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
              "g OK LIST completed\r\n");
}

TEST_F(ImapSessionTest, ListInboxIsCaseInsensitive) {
    Conn c(rt, backend, config());
    login(c);
    for (const char* pattern : {"INBOX", "inbox", "InBox", "inBOX"})
        EXPECT_EQ(c.cmd(std::string("a LIST \"\" ") + pattern), "* LIST (\\HasNoChildren) \"/\" INBOX\r\na OK LIST completed\r\n")
            << pattern;
    EXPECT_EQ(c.cmd("b LIST \"\" inbo%"), "* LIST (\\HasNoChildren) \"/\" INBOX\r\nb OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("c LIST \"\" Inbox*"), "* LIST (\\HasNoChildren) \"/\" INBOX\r\nc OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("d LIST \"\" sent"), "d OK LIST completed\r\n");   // only INBOX ignores case
}

TEST_F(ImapSessionTest, ListSpecialUseSubscribedAndLsub) {
    Conn c(rt, backend, config());
    login(c);
    c.cmd("a CREATE Projects");
    EXPECT_EQ(c.cmd("b LIST (SPECIAL-USE) \"\" *"),
              "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n"
              "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n"
              "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
              "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n"
              "b OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("c UNSUBSCRIBE Junk"), "c OK UNSUBSCRIBE completed\r\n");
    EXPECT_EQ(c.cmd("d LSUB \"\" *"),
              "* LSUB (\\HasNoChildren) \"/\" Drafts\r\n"
              "* LSUB (\\HasNoChildren) \"/\" INBOX\r\n"
              "* LSUB (\\HasNoChildren) \"/\" Sent\r\n"
              "* LSUB (\\HasNoChildren) \"/\" Trash\r\n"
              "d OK LSUB completed\r\n");
    EXPECT_EQ(c.cmd("e SUBSCRIBE Projects"), "e OK SUBSCRIBE completed\r\n");
    EXPECT_EQ(c.cmd("f LSUB \"\" P%"), "* LSUB (\\HasNoChildren) \"/\" Projects\r\nf OK LSUB completed\r\n");
    EXPECT_EQ(c.cmd("g LIST (SUBSCRIBED) \"\" P*"),
              "* LIST (\\HasNoChildren \\Subscribed) \"/\" Projects\r\ng OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("h LIST (SUBSCRIBED) \"\" J*"), "h OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("i LIST \"\" J* RETURN (SUBSCRIBED)"),
              "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\ni OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("j LIST \"\" S* RETURN (SUBSCRIBED)"),
              "* LIST (\\HasNoChildren \\Sent \\Subscribed) \"/\" Sent\r\nj OK LIST completed\r\n");
    // A name without a mailbox may be subscribed (RFC 3501 6.3.6).
    EXPECT_EQ(c.cmd("k SUBSCRIBE Nope"), "k OK SUBSCRIBE completed\r\n");
    EXPECT_EQ(c.cmd("l LIST (SUBSCRIBED) \"\" N*"),
              "* LIST (\\NonExistent \\Subscribed) \"/\" Nope\r\nl OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("m LIST \"\" N*"), "m OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("n UNSUBSCRIBE Nope"), "n OK UNSUBSCRIBE completed\r\n");
    EXPECT_EQ(c.cmd("o UNSUBSCRIBE Nope"), "o NO [NONEXISTENT] no such mailbox 'Nope'\r\n");
}

// RFC 3501 6.3.6: DELETE leaves the subscription; RFC 5258 shows it as
// \NonExistent, and a mailbox created again under the name has it.
TEST_F(ImapSessionTest, DeleteKeepsTheSubscription) {
    Conn c(rt, backend, config());
    login(c);
    c.cmd("a CREATE Old");
    EXPECT_EQ(c.cmd("b SUBSCRIBE Old"), "b OK SUBSCRIBE completed\r\n");
    EXPECT_EQ(c.cmd("c DELETE Old"), "c OK DELETE completed\r\n");
    EXPECT_EQ(c.cmd("d LIST (SUBSCRIBED) \"\" O*"),
              "* LIST (\\NonExistent \\Subscribed) \"/\" Old\r\nd OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("e LSUB \"\" O*"), "* LSUB (\\Noselect) \"/\" Old\r\ne OK LSUB completed\r\n");
    EXPECT_EQ(c.cmd("f LIST \"\" O*"), "f OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("g CREATE Old"), "g OK CREATE completed\r\n");
    EXPECT_EQ(c.cmd("h LIST \"\" O* RETURN (SUBSCRIBED)"),
              "* LIST (\\HasNoChildren \\Subscribed) \"/\" Old\r\nh OK LIST completed\r\n");
}

// RFC 5258 3.5: RECURSIVEMATCH lists a parent that does not pass but has
// a passing descendant that is not listed itself, with CHILDINFO.
TEST_F(ImapSessionTest, RecursiveMatchReturnsChildInfo) {
    Conn c(rt, backend, config());
    login(c);
    for (const char* name : {"P", "P/a", "P/b/c", "Q/d"}) c.cmd(std::string("a CREATE ") + name);
    c.cmd("b SUBSCRIBE P/b/c");
    c.cmd("c SUBSCRIBE Q/d");
    EXPECT_EQ(c.cmd("d LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %"),
              "* LIST (\\HasNoChildren \\Drafts \\Subscribed) \"/\" Drafts\r\n"
              "* LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX\r\n"
              "* LIST (\\HasNoChildren \\Junk \\Subscribed) \"/\" Junk\r\n"
              "* LIST (\\HasChildren) \"/\" P (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
              "* LIST (\\NonExistent) \"/\" Q (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
              "* LIST (\\HasNoChildren \\Sent \\Subscribed) \"/\" Sent\r\n"
              "* LIST (\\HasNoChildren \\Trash \\Subscribed) \"/\" Trash\r\n"
              "d OK LIST completed\r\n");
    // The subscribed descendant is listed itself: no CHILDINFO for Q.
    EXPECT_EQ(c.cmd("e LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (Q Q/d)"),
              "* LIST (\\HasNoChildren \\Subscribed) \"/\" Q/d\r\ne OK LIST completed\r\n");
    // Without RECURSIVEMATCH, never.
    EXPECT_EQ(c.cmd("g LIST (SUBSCRIBED) \"\" P"), "g OK LIST completed\r\n");
}

// RFC 3501 6.3.8: levels of hierarchy that "%" matches are returned even
// when they are not mailboxes themselves, with \Noselect (RFC 5258:
// \NonExistent, which implies it).
TEST_F(ImapSessionTest, ListPercentShowsParentsThatDoNotExist) {
    Conn c(rt, backend, config());
    login(c);
    EXPECT_EQ(c.cmd("a CREATE Lonely/child"), "a OK CREATE completed\r\n");
    std::string r = c.cmd("b LIST \"\" %");
    EXPECT_THAT(r, Not(HasSubstr("Lonely/child")));
    EXPECT_THAT(r, ::testing::ContainsRegex("\\* LIST \\([^)]*\\) \"/\" Lonely\r\n"));
    // Unless CREATE made the parent too (RFC 3501 6.3.3 says it SHOULD), it is no mailbox.
    if (!backend.mailbox("alice", "Lonely")) {
        EXPECT_THAT(r, ::testing::ContainsRegex("\\* LIST \\([^)]*\\\\(Noselect|NonExistent)[^)]*\\) \"/\" Lonely\r\n"));
    }
    EXPECT_EQ(c.cmd("c LIST \"\" Lonely/%"), "* LIST (\\HasNoChildren) \"/\" Lonely/child\r\nc OK LIST completed\r\n");
}

// RFC 3501 6.3.9: "if "foo/bar" is subscribed but "foo" is not, a "%"
// wildcard to LSUB must return foo, not foo/bar, in the LSUB response, and it
// MUST be flagged with the \Noselect attribute."
TEST_F(ImapSessionTest, LsubPercentShowsUnsubscribedParentsAsNoselect) {
    Conn c(rt, backend, config());
    login(c);
    c.cmd("a CREATE Projects");
    c.cmd("b CREATE Projects/2024");
    EXPECT_EQ(c.cmd("c SUBSCRIBE Projects/2024"), "c OK SUBSCRIBE completed\r\n");
    EXPECT_EQ(c.cmd("d LSUB \"\" Projects/%"), "* LSUB (\\HasNoChildren) \"/\" Projects/2024\r\nd OK LSUB completed\r\n");
    std::string r = c.cmd("e LSUB \"\" P%");
    EXPECT_THAT(r, Not(HasSubstr("Projects/2024")));
    EXPECT_THAT(r, ::testing::ContainsRegex("\\* LSUB \\([^)]*\\\\Noselect[^)]*\\) \"/\" Projects\r\n"));
    EXPECT_THAT(r, EndsWith("e OK LSUB completed\r\n"));
}

TEST_F(ImapSessionTest, ListReturnStatus) {
    Conn c(rt, backend, config());
    login(c);
    EXPECT_EQ(c.cmd("a LIST \"\" INBOX RETURN (STATUS (MESSAGES UNSEEN))"),
              "* LIST (\\HasNoChildren) \"/\" INBOX\r\n* STATUS INBOX (MESSAGES 3 UNSEEN 2)\r\na OK LIST completed\r\n");
}

TEST_F(ImapSessionTest, MailboxNamesAreModifiedUtf7OnTheWire) {
    Conn c(rt, backend, config());
    login(c);
    EXPECT_EQ(c.cmd("a CREATE Entw&APw-rfe"), "a OK CREATE completed\r\n");
    EXPECT_NE(backend.mailbox("alice", "Entw\xC3\xBCrfe"), nullptr);
    EXPECT_EQ(c.cmd("b LIST \"\" Entw*"), "* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe\r\nb OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("d CREATE \"My Folder\""), "d OK CREATE completed\r\n");
    EXPECT_EQ(c.cmd("e LIST \"\" My*"), "* LIST (\\HasNoChildren) \"/\" \"My Folder\"\r\ne OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("c SELECT Entw&APw-rfe"),
              "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 0 EXISTS\r\n* 0 RECENT\r\n"
              "* OK [UIDVALIDITY 1010] UIDs valid\r\n* OK [UIDNEXT 1] Predicted next UID\r\n"
              "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags and keywords are stored\r\n"
              "c OK [READ-WRITE] SELECT completed\r\n");
}

TEST_F(ImapSessionTest, Status) {
    Conn c(rt, backend, config());
    login(c);
    const uint64_t size = kMsg1.size() + kMsg2.size() + kMsg3.size();
    EXPECT_EQ(c.cmd("a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE)"),
              "* STATUS INBOX (MESSAGES 3 RECENT 0 UIDNEXT 4 UIDVALIDITY 1000 UNSEEN 2 SIZE " + std::to_string(size) +
                  ")\r\na OK STATUS completed\r\n");
    EXPECT_EQ(c.cmd("b STATUS Trash (UIDNEXT MESSAGES)"), "* STATUS Trash (MESSAGES 0 UIDNEXT 1)\r\nb OK STATUS completed\r\n");
    EXPECT_EQ(c.cmd("c STATUS Nope (MESSAGES)"), "c NO [NONEXISTENT] No such mailbox\r\n");
}

// --- CREATE / DELETE / RENAME ---

TEST_F(ImapSessionTest, CreateErrors) {
    Conn c(rt, backend, config());
    login(c);
    EXPECT_EQ(c.cmd("a CREATE Sent"), "a NO [ALREADYEXISTS] mailbox 'Sent' already exists\r\n");
    EXPECT_EQ(c.cmd("b CREATE inbox"), "b NO [ALREADYEXISTS] INBOX always exists\r\n");
    EXPECT_EQ(c.cmd("c CREATE a//b"), "c NO [CANNOT] invalid mailbox name 'a//b'\r\n");
    EXPECT_EQ(c.cmd("d CREATE Archive (USE (\\Archive))"), "d OK CREATE completed\r\n");
    EXPECT_EQ(backend.mailbox("alice", "Archive")->special_use, "\\Archive");
    EXPECT_EQ(c.cmd("e CREATE Flagged (USE (\\Flagged))"),
              "e NO [USEATTR] unsupported special-use attribute '\\Flagged'\r\n");
    EXPECT_EQ(c.cmd("f CREATE Work/"), "f OK CREATE completed\r\n");   // the trailing delimiter is dropped
    EXPECT_NE(backend.mailbox("alice", "Work"), nullptr);
    EXPECT_EQ(c.cmd("g LIST \"\" Archive"), "* LIST (\\HasNoChildren \\Archive) \"/\" Archive\r\ng OK LIST completed\r\n");
}

// Under load the blocking pool refuses work at once. The reply must say
// "try again later" (RFC 5530 UNAVAILABLE), never another error's response
// code: the pool's "busy" (EAGAIN, 11) once equalled the mailbox API's
// "mailbox exists" (11) and CREATE was answered [ALREADYEXISTS]. A pool
// with max_queued 0 refuses every call, deterministically; a stopped one
// refuses too.
TEST_F(ImapSessionTest, PoolRefusalIsUnavailableNotAnotherErrorsCode) {
    io::BlockingPool full(io::BlockingPool::Options{.threads = 1, .max_queued = 0});
    io::BlockingPool stopped(io::BlockingPool::Options{.threads = 1});
    stopped.stop();
    Conn c(rt, backend, config());
    login(c);
    backend.pool = &full;
    EXPECT_THAT(c.cmd("a CREATE Projects"), StartsWith("a NO [UNAVAILABLE] blocking pool busy"));
    backend.pool = &stopped;
    EXPECT_THAT(c.cmd("b CREATE Projects"), StartsWith("b NO [UNAVAILABLE] blocking pool stopped"));
    backend.pool = nullptr;
    EXPECT_EQ(c.cmd("c CREATE Projects"), "c OK CREATE completed\r\n");   // the refused calls created nothing
}

TEST_F(ImapSessionTest, DeleteErrors) {
    Conn c(rt, backend, config());
    login(c);
    EXPECT_EQ(c.cmd("a DELETE INBOX"), "a NO [CANNOT] INBOX cannot be deleted\r\n");
    EXPECT_EQ(c.cmd("b DELETE Nope"), "b NO [NONEXISTENT] no such mailbox 'Nope'\r\n");
    EXPECT_EQ(c.cmd("c DELETE Junk"), "c OK DELETE completed\r\n");
    EXPECT_EQ(backend.mailbox("alice", "Junk"), nullptr);
    EXPECT_EQ(c.cmd("d DELETE Junk"), "d NO [NONEXISTENT] no such mailbox 'Junk'\r\n");
}

TEST_F(ImapSessionTest, RenameMovesChildrenAndInbox) {
    Conn c(rt, backend, config());
    login(c);
    c.cmd("a CREATE Projects");
    c.cmd("b CREATE Projects/2024");
    EXPECT_EQ(c.cmd("c RENAME Nope Other"), "c NO [NONEXISTENT] no such mailbox 'Nope'\r\n");
    EXPECT_EQ(c.cmd("d RENAME Sent Drafts"), "d NO [ALREADYEXISTS] mailbox 'Drafts' already exists\r\n");
    EXPECT_EQ(c.cmd("e RENAME Projects Projects/old"),
              "e NO [CANNOT] cannot rename mailbox 'Projects' under itself\r\n");
    EXPECT_EQ(c.cmd("f RENAME Projects Work"), "f OK RENAME completed\r\n");
    EXPECT_EQ(c.cmd("g LIST \"\" Work*"),
              "* LIST (\\HasChildren) \"/\" Work\r\n* LIST (\\HasNoChildren) \"/\" Work/2024\r\ng OK LIST completed\r\n");
    EXPECT_EQ(c.cmd("h RENAME INBOX Old"), "h OK RENAME completed\r\n");
    EXPECT_EQ(backend.uids("alice", "Old"), (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_EQ(c.cmd("i STATUS INBOX (MESSAGES UIDVALIDITY)"),
              "* STATUS INBOX (MESSAGES 0 UIDVALIDITY 1012)\r\ni OK STATUS completed\r\n");
    EXPECT_EQ(c.cmd("j RENAME Old INBOX"), "j NO [ALREADYEXISTS] INBOX always exists\r\n");
}

// --- IDLE ---

TEST_F(ImapSessionTest, IdleReportsChangesAndEndsWithDone) {
    Conn c(rt, backend, config());
    select(c);
    EXPECT_EQ(c.cmd("i IDLE"), "+ idling\r\n");
    EXPECT_EQ(c.next, Next::kLine);
    EXPECT_TRUE(c.session().idling());
    EXPECT_FALSE(c.changed());
    backend.add_message("alice", "INBOX", "Subject: new\r\n\r\nhi\r\n", 0, kDate3);
    backend.set_flags("alice", "INBOX", 1, kSeen | kAnswered);
    EXPECT_TRUE(c.changed());   // the notice arrived on the ring (the driver wakes up on it)
    EXPECT_EQ(c.refresh(), "* 1 FETCH (UID 1 FLAGS (\\Seen \\Answered))\r\n* 4 EXISTS\r\n* 1 RECENT\r\n");
    EXPECT_FALSE(c.changed());
    EXPECT_EQ(c.refresh(), "");
    EXPECT_EQ(c.line("done"), "i OK IDLE terminated\r\n");
    EXPECT_EQ(c.next, Next::kCommand);
    EXPECT_FALSE(c.session().idling());
}

TEST_F(ImapSessionTest, IdleStartsWithPendingChangesAndWantsDone) {
    Conn c(rt, backend, config());
    select(c);
    backend.remove_message("alice", "INBOX", 2);
    EXPECT_EQ(c.cmd("i IDLE"), "* 2 EXPUNGE\r\n+ idling\r\n");
    EXPECT_EQ(c.line("NOPE"), "i BAD Expected DONE\r\n");
    EXPECT_EQ(c.next, Next::kCommand);
    EXPECT_FALSE(c.session().idling());
    EXPECT_EQ(c.cmd("j IDLE"), "+ idling\r\n");
    EXPECT_EQ(c.line("DONE"), "j OK IDLE terminated\r\n");
}

// --- changes made by others ---

TEST_F(ImapSessionTest, OtherSessionsChangesComeBeforeTheTaggedReply) {
    Conn a(rt, backend, config());
    Conn b(rt, backend, config());
    select(a);
    select(b);
    EXPECT_EQ(b.cmd("b1 STORE 1 +FLAGS (\\Flagged)"), "* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\nb1 OK STORE completed\r\n");
    EXPECT_TRUE(a.changed());
    EXPECT_FALSE(b.changed());   // not echoed to the writer
    EXPECT_EQ(a.cmd("a1 NOOP"), "* 1 FETCH (UID 1 FLAGS (\\Seen \\Flagged))\r\na1 OK NOOP completed\r\n");
    EXPECT_FALSE(a.changed());
    // b reports the new message first and so gets it as \Recent; a not.
    EXPECT_EQ(b.cmd("b2 APPEND INBOX {3+}\r\nabc"),
              "* 4 EXISTS\r\n* 1 RECENT\r\nb2 OK [APPENDUID 1000 4] APPEND completed\r\n");
    EXPECT_EQ(a.cmd("a2 LIST \"\" Sent"),
              "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n* 4 EXISTS\r\na2 OK LIST completed\r\n");
    EXPECT_EQ(b.cmd("b3 NOOP"), "b3 OK NOOP completed\r\n");
}

TEST_F(ImapSessionTest, ExpungesWaitWhileSequenceNumbersAreInUse) {
    Conn a(rt, backend, config());
    Conn b(rt, backend, config());
    select(a);
    select(b);
    b.cmd("b1 STORE 2 +FLAGS.SILENT (\\Deleted)");
    EXPECT_EQ(b.cmd("b2 EXPUNGE"), "* 2 EXPUNGE\r\nb2 OK EXPUNGE completed\r\n");
    // RFC 3501 7.4.1: no EXPUNGE during FETCH, STORE or SEARCH.
    std::string r = a.cmd("a1 FETCH 1:* (FLAGS)");
    EXPECT_THAT(r, Not(HasSubstr("EXPUNGE")));
    EXPECT_THAT(r, HasSubstr("* 3 FETCH (FLAGS (\\Flagged))\r\n"));   // still numbered as before
    EXPECT_THAT(r, EndsWith("a1 OK FETCH completed\r\n"));
    r = a.cmd("a2 STORE 3 +FLAGS (\\Answered)");
    EXPECT_THAT(r, Not(HasSubstr("EXPUNGE")));
    EXPECT_THAT(r, HasSubstr("* 3 FETCH (FLAGS (\\Answered \\Flagged))\r\n"));
    r = a.cmd("a3 SEARCH ALL");
    EXPECT_THAT(r, Not(HasSubstr("EXPUNGE")));
    EXPECT_EQ(backend.message("alice", "INBOX", 3)->flags, uint32_t(kAnswered | kFlagged));
    EXPECT_TRUE(a.changed());
    // The next command that allows it reports the expunge.
    EXPECT_EQ(a.cmd("a4 NOOP"), "* 2 EXPUNGE\r\na4 OK NOOP completed\r\n");
    EXPECT_EQ(a.cmd("a5 FETCH 1:* UID"), "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 3)\r\na5 OK FETCH completed\r\n");
}

TEST_F(ImapSessionTest, UidCommandsMayReportExpunges) {
    Conn a(rt, backend, config());
    select(a);
    backend.remove_message("alice", "INBOX", 1);   // a delivery agent or POP3 (origin null)
    EXPECT_EQ(a.cmd("a1 UID FETCH 3 FLAGS"),
              "* 3 FETCH (UID 3 FLAGS (\\Flagged))\r\n* 1 EXPUNGE\r\na1 OK UID FETCH completed\r\n");
    backend.remove_message("alice", "INBOX", 2);
    EXPECT_EQ(a.cmd("a2 UID SEARCH ALL"), "* SEARCH 2 3\r\n* 1 EXPUNGE\r\na2 OK SEARCH completed\r\n");
    backend.set_flags("alice", "INBOX", 3, kSeen);
    EXPECT_EQ(a.cmd("a3 UID FETCH 3 UID"), "* 1 FETCH (UID 3)\r\n* 1 FETCH (UID 3 FLAGS (\\Seen))\r\na3 OK UID FETCH completed\r\n");
}

// RFC 3501 6.4.6: "Regardless of whether or not the .SILENT suffix was used,
// the server SHOULD send an untagged FETCH response if a change to a
// message's flags from an external source is observed."
TEST_F(ImapSessionTest, SilentStoreStillReportsFlagChangesByOthers) {
    Conn a(rt, backend, config());
    select(a);
    backend.set_flags("alice", "INBOX", 2, kSeen);   // another session reads message 2
    std::string r = a.cmd("a1 STORE 2 +FLAGS.SILENT (\\Answered)");
    EXPECT_EQ(backend.message("alice", "INBOX", 2)->flags, uint32_t(kSeen | kAnswered));
    EXPECT_THAT(r, HasSubstr("* 2 FETCH ("));
    EXPECT_THAT(r, HasSubstr("FLAGS (\\Seen \\Answered))\r\n"));
    EXPECT_THAT(r, EndsWith("a1 OK STORE completed\r\n"));
    backend.set_flags("alice", "INBOX", 3, kFlagged | kSeen);
    r = a.cmd("a2 UID STORE 3 +FLAGS.SILENT (\\Answered)");
    EXPECT_THAT(r, HasSubstr("* 3 FETCH ("));
    EXPECT_THAT(r, HasSubstr("FLAGS (\\Seen \\Answered \\Flagged))\r\n"));
    EXPECT_THAT(r, EndsWith("a2 OK UID STORE completed\r\n"));
}

TEST_F(ImapSessionTest, SeveralExpungesByOthersAreReportedHighestFirst) {
    backend.add_message("alice", "INBOX", "Subject: four\r\n\r\n4\r\n", 0, kDate3);
    Conn a(rt, backend, config());
    select(a);
    backend.remove_message("alice", "INBOX", 1);
    backend.remove_message("alice", "INBOX", 3);
    backend.add_message("alice", "INBOX", "Subject: five\r\n\r\n5\r\n", 0, kDate3);
    backend.set_flags("alice", "INBOX", 4, kFlagged);
    EXPECT_EQ(a.cmd("a1 CHECK"),
              "* 3 EXPUNGE\r\n* 1 EXPUNGE\r\n* 2 FETCH (UID 4 FLAGS (\\Recent \\Flagged))\r\n* 3 EXISTS\r\n"
              "* 2 RECENT\r\na1 OK CHECK completed\r\n");
    EXPECT_EQ(a.cmd("a2 FETCH 1:* UID"),
              "* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 4)\r\n* 3 FETCH (UID 5)\r\na2 OK FETCH completed\r\n");
}

// A delivery that lands after SELECT's listing was taken but before the
// session watches the mailbox must not be lost: the session must learn of
// it like of any other change.
TEST_F(ImapSessionTest, AChangeDuringSelectIsNotLost) {
    Conn a(rt, backend, config());
    login(a);
    backend.after_list_messages = [this] { backend.add_message("alice", "INBOX", "Subject: late\r\n\r\nx\r\n", 0, kDate3); };
    // The listing before the delivery says 3; the delivery is then reported
    // at once, before SELECT's tagged OK (the watch started before the
    // listing), or at the latest with the next command.
    std::string selected = a.cmd("a1 SELECT INBOX");
    EXPECT_THAT(selected, HasSubstr("* 3 EXISTS\r\n"));
    EXPECT_EQ(backend.uids("alice", "INBOX").size(), 4u);
    std::string next = a.cmd("a2 UID FETCH 3 UID");
    EXPECT_THAT(selected + next, HasSubstr("* 4 EXISTS\r\n"));
    EXPECT_THAT(next, HasSubstr("* 3 FETCH (UID 3)\r\n"));
    EXPECT_THAT(selected, testing::EndsWith("a1 OK [READ-WRITE] SELECT completed\r\n"));
}

// The selected mailbox is deleted and created again by another session and
// gets a message: a new UIDVALIDITY, whose UID 1 is another message than the
// UID 1 this session announced under the old UIDVALIDITY. UIDs must not be
// reused within one UIDVALIDITY (RFC 3501 2.3.1.1), and UIDVALIDITY cannot
// change while the mailbox is selected, so the session must not carry on
// as if nothing happened: servers end the session ("* BYE").
TEST_F(ImapSessionTest, SelectedMailboxRecreatedUnderneath) {
    Conn a(rt, backend, config());
    Conn b(rt, backend, config());
    login(a);
    login(b);
    ASSERT_EQ(b.cmd("b1 CREATE Work"), "b1 OK CREATE completed\r\n");
    backend.add_message("alice", "Work", "Subject: old one\r\n\r\nold\r\n", kSeen, kDate1);
    backend.add_message("alice", "Work", "Subject: old two\r\n\r\nold\r\n", kSeen, kDate1);
    ASSERT_THAT(a.cmd("a1 SELECT Work"), HasSubstr("* 2 EXISTS\r\n"));
    ASSERT_EQ(b.cmd("b2 DELETE Work"), "b2 OK DELETE completed\r\n");
    ASSERT_EQ(b.cmd("b3 CREATE Work"), "b3 OK CREATE completed\r\n");
    backend.add_message("alice", "Work", "Subject: new one\r\n\r\nnew\r\n", 0, kDate3);   // UID 1 again
    std::string r = a.cmd("a2 NOOP");
    EXPECT_THAT(r, HasSubstr("* BYE"));
    EXPECT_EQ(a.next, Next::kClose);
}

TEST_F(ImapSessionTest, ChangesToOtherMailboxesOrUsersAreNotReported) {
    Conn a(rt, backend, config());
    select(a);
    backend.add_message("alice", "Sent", "Subject: s\r\n\r\nx\r\n");
    backend.add_user("carol", "pw");
    backend.add_message("carol", "INBOX", "Subject: c\r\n\r\nx\r\n");
    EXPECT_FALSE(a.changed());
    EXPECT_EQ(a.cmd("a1 NOOP"), "a1 OK NOOP completed\r\n");
}

TEST_F(ImapSessionTest, BadCommandsDoNotSwallowChanges) {
    Conn a(rt, backend, config());
    select(a);
    backend.add_message("alice", "INBOX", "Subject: new\r\n\r\nhi\r\n", 0, kDate3);
    EXPECT_EQ(a.cmd("a1 LOGIN x y"), "* 4 EXISTS\r\n* 1 RECENT\r\na1 BAD LOGIN not allowed now\r\n");
}

// Keywords: defined on first STORE (FLAGS and PERMANENTFLAGS sent again),
// rendered in FETCH, searchable with KEYWORD/UNKEYWORD, removed with
// -FLAGS, carried by COPY into another mailbox's own table, kept by APPEND,
// and refused with [LIMIT] once the mailbox's table is full.
TEST_F(ImapSessionTest, KeywordsAreStoredSearchedCopiedAndBounded) {
    Conn a(rt, backend, config());
    select(a);
    std::string r = a.cmd("k1 STORE 1 +FLAGS ($Forwarded Work)");
    EXPECT_THAT(r, HasSubstr("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Work)\r\n"));
    EXPECT_THAT(r, HasSubstr("[PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Work \\*)]"));
    EXPECT_THAT(r, HasSubstr("* 1 FETCH (FLAGS (\\Seen $Forwarded Work))\r\n"));
    EXPECT_EQ(backend.message("alice", "INBOX", 1)->flags,
              uint32_t(kSeen | (1u << kFirstKeywordBit) | (1u << (kFirstKeywordBit + 1))));
    // Known keywords: no new FLAGS; case-insensitive.
    r = a.cmd("k2 STORE 2 +FLAGS (work)");
    EXPECT_THAT(r, Not(HasSubstr("* FLAGS")));
    EXPECT_THAT(r, HasSubstr("* 2 FETCH (FLAGS (Work))\r\n"));
    EXPECT_EQ(a.cmd("k3 SEARCH KEYWORD Work"), "* SEARCH 1 2\r\nk3 OK SEARCH completed\r\n");
    EXPECT_EQ(a.cmd("k4 SEARCH UNKEYWORD $Forwarded"), "* SEARCH 2 3\r\nk4 OK SEARCH completed\r\n");
    EXPECT_EQ(a.cmd("k5 SEARCH KEYWORD Never"), "* SEARCH\r\nk5 OK SEARCH completed\r\n");
    EXPECT_EQ(a.cmd("k6 STORE 1 -FLAGS.SILENT (Work Unknown)"), "k6 OK STORE completed\r\n");
    EXPECT_EQ(a.cmd("k7 FETCH 1 (FLAGS)"), "* 1 FETCH (FLAGS (\\Seen $Forwarded))\r\nk7 OK FETCH completed\r\n");

    // Trash has its own table: $Forwarded lands on its bit 0 there.
    ASSERT_THAT(a.cmd("k8 COPY 1 Trash"), HasSubstr("k8 OK"));
    const auto* copied = backend.message("alice", "Trash", backend.uids("alice", "Trash").back());
    ASSERT_NE(copied, nullptr);
    EXPECT_EQ(copied->flags, uint32_t(kSeen | (1u << kFirstKeywordBit)));
    EXPECT_EQ(backend.mailbox("alice", "Trash")->keywords, (std::vector<std::string>{"$Forwarded"}));

    // APPEND with a keyword defines it in the target.
    r = a.cmd("k9 APPEND Drafts (\\Draft $Todo) {12+}\r\nSubject: x\r\n");
    EXPECT_THAT(r, HasSubstr("k9 OK [APPENDUID"));
    EXPECT_EQ(backend.mailbox("alice", "Drafts")->keywords, (std::vector<std::string>{"$Todo"}));

    // Full table: no partial definition.
    std::string many;
    for (int i = 0; i < 30; ++i) many += (i ? " k" : "k") + std::to_string(i);
    r = a.cmd("k10 STORE 3 +FLAGS (" + many + ")");
    EXPECT_THAT(r, HasSubstr("k10 NO [LIMIT]"));
    EXPECT_EQ(backend.mailbox("alice", "INBOX")->keywords.size(), 2u);
}

// Another session's new keyword reaches this one as FLAGS before the
// FETCH FLAGS that uses it.
TEST_F(ImapSessionTest, KeywordDefinedElsewhereIsAnnouncedWithFlags) {
    Conn a(rt, backend, config());
    Conn b(rt, backend, config());
    select(a);
    select(b);
    ASSERT_THAT(b.cmd("b1 STORE 2 +FLAGS ($Junk)"), HasSubstr("b1 OK"));
    std::string r = a.cmd("a1 NOOP");
    size_t flags = r.find("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)\r\n");
    size_t fetch = r.find("* 2 FETCH (UID 2 FLAGS ($Junk))\r\n");
    ASSERT_NE(flags, std::string::npos) << r;
    ASSERT_NE(fetch, std::string::npos) << r;
    EXPECT_LT(flags, fetch);
}

// Issue 11 item 4: SEARCH, FETCH and LIST stop with NO [LIMIT] once they
// have worked longer than command_time_limit. The clock is the test's:
// every reading advances it by a second, so the second checkpoint of a
// command is past a 1.5 s limit.
TEST_F(ImapSessionTest, CommandTimeLimitAnswersNoLimit) {
    SessionConfig cfg = config();
    cfg.command_time_limit = 1500ms;
    auto ticks = std::make_shared<int>(0);
    cfg.clock = [ticks] { return std::chrono::steady_clock::time_point(std::chrono::seconds(++*ticks)); };
    Conn c(rt, backend, cfg);
    select(c);
    EXPECT_EQ(c.cmd("a SEARCH ALL"), "a NO [LIMIT] Command took too long\r\n");
    EXPECT_EQ(c.cmd("b FETCH 1:3 (UID)"), "* 1 FETCH (UID 1)\r\nb NO [LIMIT] Command took too long\r\n");
    EXPECT_EQ(c.cmd("c LIST \"\" *"), "c NO [LIMIT] Command took too long\r\n");
    // A single message is within the limit; the session goes on.
    EXPECT_EQ(c.cmd("d FETCH 2 (UID)"), "* 2 FETCH (UID 2)\r\nd OK FETCH completed\r\n");
}

TEST_F(ImapSessionTest, NoCommandTimeLimitWhenZero) {
    SessionConfig cfg = config();
    cfg.command_time_limit = 0ms;
    auto ticks = std::make_shared<int>(0);
    cfg.clock = [ticks] { return std::chrono::steady_clock::time_point(std::chrono::hours(++*ticks)); };
    Conn c(rt, backend, cfg);
    select(c);
    EXPECT_EQ(c.cmd("a SEARCH ALL"), "* SEARCH 1 2 3\r\na OK SEARCH completed\r\n");
}

// Issue 11 item 4: a 4,000-byte needle over a 1 MiB body (linear matcher;
// the time is measured by tools/bench, correctness here).
TEST_F(ImapSessionTest, SearchLongNeedleOverLargeBody) {
    std::string needle;
    while (needle.size() < 4000) needle += "needle-" + std::to_string(needle.size()) + " ";
    needle.resize(4000);
    std::string body;
    const std::string line = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    while (body.size() < 1024 * 1024) body += line;
    body += needle + "\r\n";
    backend.add_message("alice", "INBOX", "Subject: big\r\n\r\n" + body, 0, kDate3);
    Conn c(rt, backend, config());
    select(c);
    backend.compute_calls = 0;
    EXPECT_EQ(c.cmd("a SEARCH BODY {4000+}\r\n" + needle), "* SEARCH 4\r\na OK SEARCH completed\r\n");
    // The 1 MiB body was decoded and matched off the ring; the small ones were not.
    EXPECT_GT(backend.compute_calls, 0);
    EXPECT_LT(backend.compute_calls, 40);
    std::string almost = needle;
    almost[3999] = almost[3999] == 'x' ? 'y' : 'x';
    EXPECT_EQ(c.cmd("b SEARCH BODY {4000+}\r\n" + almost), "* SEARCH\r\nb OK SEARCH completed\r\n");
}

// Issue 11 item 4: commands that loop over every message of a large
// mailbox on the ring (STORE, EXPUNGE, the refresh of the view) pause
// between slices so the ring's other connections are served. A probe on
// the same ring counts loop turns; the session's clock, read at each of its
// checkpoints, sees the probe move on in the middle of the command. The
// backend answers without suspending, so only the session's own pauses
// can let the probe run.
namespace {
struct RingProbe {
    std::atomic<long> turns{0};
    std::atomic<bool> stop{false};
    static io::Task<void> run(RingProbe& p) {
        for (long i = 0; i < 50'000'000 && !p.stop; ++i) {
            co_await io::sleep_for(io::Duration{0});
            ++p.turns;
        }
    }
};
}  // namespace

TEST_F(ImapSessionTest, LongLoopsOverTheViewPauseForOtherConnections) {
    constexpr int kMessages = 3000;
    for (int i = 0; i < kMessages; ++i) backend.add_message("alice", "INBOX", "Subject: m\r\n\r\nx\r\n", 0, kDate1);
    backend.latency = -1ms;   // never suspends
    RingProbe probe;
    std::vector<long> seen;   // the probe's turns at each clock reading of the command
    SessionConfig cfg = config();
    cfg.ring_slice = 0us;     // pause at every checkpoint
    cfg.command_time_limit = 0ms;
    cfg.clock = [&] {
        seen.push_back(probe.turns.load());
        return std::chrono::steady_clock::now();
    };
    Conn c(rt, backend, cfg);
    select(c);
    rt.call([&] { io::spawn(RingProbe::run(probe)); });
    auto probe_ran_during = [&](const std::string& command, const std::string& done) {
        seen.clear();
        std::string r = c.cmd(command);
        EXPECT_THAT(r, EndsWith(done)) << command;
        return seen.size() >= 2 && seen.back() > seen.front();
    };
    const std::string all = std::to_string(kMessages + 3);   // three messages were there before
    EXPECT_TRUE(probe_ran_during("a STORE 1:* +FLAGS (\\Deleted)", "a OK STORE completed\r\n"))
        << "STORE over " << all << " messages ran without a pause";
    EXPECT_TRUE(probe_ran_during("b EXPUNGE", "b OK EXPUNGE completed\r\n"))
        << "EXPUNGE of " << all << " messages ran without a pause";
    // Another session fills the mailbox again; this one's refresh (the
    // NOOP) takes the new messages and flag changes into its view.
    for (int i = 0; i < kMessages; ++i) backend.add_message("alice", "INBOX", "Subject: m\r\n\r\nx\r\n", 0, kDate1);
    EXPECT_TRUE(probe_ran_during("d NOOP", "d OK NOOP completed\r\n"));
    for (uint32_t uid = kMessages + 4; uid <= 2 * kMessages + 3; ++uid) backend.set_flags("alice", "INBOX", uid, kSeen);
    EXPECT_TRUE(probe_ran_during("e NOOP", "e OK NOOP completed\r\n"))
        << "the refresh of " << kMessages << " flag changes ran without a pause";
    probe.stop = true;
    rt.call([] {});
}

// EXPUNGE of many messages: the responses count down from the highest
// sequence number (each as of the moment it is sent), and the view keeps
// the rest in order.
TEST_F(ImapSessionTest, ExpungeOfManyMessagesReportsEachOnce) {
    for (int i = 0; i < 200; ++i) backend.add_message("alice", "INBOX", "Subject: m\r\n\r\nx\r\n", 0, kDate1);
    Conn c(rt, backend, config());
    select(c);
    // Every other message, from 4 on (UIDs 4, 6, ...), is deleted.
    std::string set;
    for (int n = 4; n <= 203; n += 2) set += (set.empty() ? "" : ",") + std::to_string(n);
    ASSERT_THAT(c.cmd("a STORE " + set + " +FLAGS.SILENT (\\Deleted)"), EndsWith("a OK STORE completed\r\n"));
    std::string expected;
    for (int n = 202; n >= 4; n -= 2) expected += "* " + std::to_string(n) + " EXPUNGE\r\n";
    EXPECT_EQ(c.cmd("b EXPUNGE"), expected + "b OK EXPUNGE completed\r\n");
    std::string fetch = c.cmd("c FETCH 1:* (UID)");
    EXPECT_THAT(fetch, HasSubstr("* 4 FETCH (UID 5)\r\n"));
    EXPECT_THAT(fetch, HasSubstr("* 103 FETCH (UID 203)\r\n"));
    EXPECT_THAT(fetch, Not(HasSubstr("* 104 FETCH")));
}

// New mail while the disk is (nearly) full: APPEND is refused with
// Dovecot's code for it, and the session goes on.
TEST_F(ImapSessionTest, AppendOnAFullDiskIsOverQuota) {
    Conn c(rt, backend, config());
    login(c);
    backend.disk_full = true;
    EXPECT_EQ(c.cmd("a APPEND INBOX " + lit("Subject: x\r\n\r\nx\r\n")),
              "a NO [OVERQUOTA] Not enough disk space\r\n");
    backend.disk_full = false;
    EXPECT_THAT(c.cmd("b APPEND INBOX " + lit("Subject: x\r\n\r\nx\r\n")), StartsWith("b OK [APPENDUID "));
}

// Issue 11 item 4: a LIST whose patterns are long against long names (1,000
// wildcards over 1,000-byte names: milliseconds even with the linear
// matcher) is matched off the ring; an ordinary LIST is not. Same answers.
TEST_F(ImapSessionTest, ExpensiveListIsMatchedOffTheRing) {
    Conn c(rt, backend, config());
    login(c);
    const std::string longname(1000, 'a');
    for (int i = 10; i < 30; ++i)
        ASSERT_EQ(c.cmd("a CREATE " + longname + "/x" + std::to_string(i)), "a OK CREATE completed\r\n");
    auto listed = [&](const std::string& out, const std::string& name) {
        return out.find("\"/\" " + name + "\r\n") != std::string::npos;
    };
    backend.compute_calls = 0;
    const std::string cheap = c.cmd("b LIST \"\" %");
    EXPECT_TRUE(listed(cheap, longname)) << "the parent level is listed";
    EXPECT_TRUE(listed(cheap, "INBOX"));
    EXPECT_EQ(backend.compute_calls, 0);

    std::string pattern;
    for (int i = 0; i < 998; ++i) pattern += "*a";
    pattern += "%/x1*";
    const std::string expensive = c.cmd("c LIST \"\" " + lit(pattern));
    EXPECT_GT(backend.compute_calls, 0);
    for (int i = 10; i < 30; ++i)
        EXPECT_EQ(listed(expensive, longname + "/x" + std::to_string(i)), i < 20) << i;
    EXPECT_FALSE(listed(expensive, "INBOX"));
    EXPECT_TRUE(expensive.size() > 5 && expensive.compare(expensive.size() - 21, 21, "c OK LIST completed\r\n") == 0);
}
