// Tests for the POP3 session state machine (src/pop3/session.hpp), driven
// the way the io driver drives it: feed bytes, keep the unconsumed rest,
// answer each backend event from an in-memory maildrop, send on kFlush,
// stop on kClose. Every command in every state, pipelining, byte-stuffing,
// TOP, DELE/RSET, QUIT in both states, AUTH PLAIN in both forms, limits.
#include "pop3/session.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/blocking_pool.hpp"
#include "util/base64.hpp"

using namespace ringpost;
using namespace ringpost::pop3;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

const std::string kMsg1 = "Subject: one\r\nFrom: a@example.org\r\n\r\nHello\r\n.hidden dot\r\n.\r\nlast\r\n";
const std::string kMsg2 = "Subject: two\r\n\r\nl1\r\nl2\r\nl3\r\nl4\r\n";
const std::string kMsg3 = "Subject: headers only\r\nX-Empty: yes\r\n";

// The backend's answers, synchronous: alice/secret has three messages,
// "bob" has the password "pass word", "temp" stands for a store outage.
struct FakeStore {
    std::map<std::string, std::string> passwords{{"alice", "secret"}, {"bob", "pass word"}, {"temp", "x"}};
    std::vector<std::pair<std::string, std::string>> messages{{"uid-1", kMsg1}, {"uid-2", kMsg2}, {"uid-3", kMsg3}};
    std::optional<Error> open_error;    // open_maildrop fails with it (kInUse or another error)
    std::optional<Error> fetch_error;   // fetch fails with it
    bool remove_fails = false;

    std::vector<Session::Credentials> logins;
    std::vector<std::string> fetched;
    std::optional<std::vector<std::string>> removed;

    auth::Outcome authenticate(const Session::Credentials& c) {
        logins.push_back(c);
        auth::Outcome r;
        if (c.user == "temp") {
            r.status = auth::Status::kTempFail;
            return r;
        }
        auto it = passwords.find(c.user);
        if (it != passwords.end() && it->second == c.password) {
            r.status = auth::Status::kOk;
            r.user = c.user + "@example.org";   // canonical name
        }
        return r;
    }
    Result<std::vector<MaildropEntry>> open() {
        if (open_error) return *open_error;
        std::vector<MaildropEntry> v;
        for (auto& [uid, body] : messages) v.push_back(MaildropEntry{uid, body.size()});
        return v;
    }
    Result<std::string> fetch(const std::string& uid) {
        fetched.push_back(uid);
        if (fetch_error) return *fetch_error;
        for (auto& [u, body] : messages)
            if (u == uid) return body;
        return make_error("gone", kMessageGone);
    }
};

struct Driver {
    Driver() {
        client.ip = "192.0.2.1";
        client.port = 40000;
        // As the driver grants it to loopback clients; the tests of the
        // TLS rule turn it off.
        config.plaintext_allowed = true;
    }

    Session& session() {
        if (!session_) session_ = std::make_unique<Session>(config, client);
        return *session_;
    }

    std::string greet() {
        std::string out;
        session().greet(out);
        return out;
    }

    // Sends bytes and returns everything the session answered (all chunks).
    std::string send(std::string_view bytes) {
        Session& s = session();
        pending.append(bytes);
        std::string out, all;
        for (;;) {
            size_t consumed = 0;
            Event e = s.feed(pending, consumed, out);
            EXPECT_LE(consumed, pending.size());
            pending.erase(0, consumed);
            events.push_back(e);
            switch (e) {
            case Event::kFlush:
                ++flushes;
                largest_chunk = std::max(largest_chunk, out.size());
                all += out;
                out.clear();
                continue;
            case Event::kAuthenticate:
                s.auth_done(store.authenticate(s.credentials()), out);
                continue;
            case Event::kOpenMaildrop:
                opened_as = s.user();
                s.maildrop_opened(store.open(), out);
                continue;
            case Event::kFetch:
                s.fetched(store.fetch(s.fetch_uid()), out);
                continue;
            case Event::kUpdate:
                store.removed = s.deletions();
                s.updated(store.remove_fails ? Result<void>(make_error("disk", EIO)) : Result<void>(), out);
                continue;
            case Event::kStartTls:
                // The driver sends the +OK, drops unread input, handshakes.
                ++tls_upgrades;
                dropped_at_stls = pending;
                pending.clear();
                s.tls_started();
                continue;
            case Event::kClose:
                closed = true;
                all += out;
                return all;
            case Event::kNeedInput:
                all += out;
                return all;
            }
        }
    }

    void login() {
        greet();
        ASSERT_EQ(send("USER alice\r\n"), "+OK send PASS\r\n");
        ASSERT_THAT(send("PASS secret\r\n"), StartsWith("+OK maildrop has 3 messages"));
    }

    size_t count(Event e) const { return size_t(std::count(events.begin(), events.end(), e)); }

    SessionConfig config;
    ClientInfo client;
    std::unique_ptr<Session> session_;
    FakeStore store;
    std::string pending;
    std::vector<Event> events;
    std::string opened_as;
    std::string dropped_at_stls;
    int flushes = 0;
    int tls_upgrades = 0;
    size_t largest_chunk = 0;
    bool closed = false;
};

class Pop3SessionTest : public ::testing::Test, public Driver {};

// A multi-line response without its first line, un-byte-stuffed; empty
// optional if it does not end with the terminating ".".
std::optional<std::string> unstuff(std::string_view response) {
    size_t first = response.find("\r\n");
    if (first == std::string_view::npos) return std::nullopt;
    std::string body;
    size_t pos = first + 2;
    while (pos < response.size()) {
        size_t e = response.find("\r\n", pos);
        if (e == std::string_view::npos) return std::nullopt;
        std::string_view line = response.substr(pos, e - pos);
        pos = e + 2;
        if (line == ".") return pos == response.size() ? std::optional<std::string>(body) : std::nullopt;
        if (!line.empty() && line[0] == '.') line.remove_prefix(1);
        body.append(line);
        body += "\r\n";
    }
    return std::nullopt;
}

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

}  // namespace

TEST_F(Pop3SessionTest, Greeting) { EXPECT_EQ(greet(), "+OK ringpost POP3 server ready\r\n"); }

TEST_F(Pop3SessionTest, UserPassLogin) {
    greet();
    EXPECT_EQ(send("USER alice\r\n"), "+OK send PASS\r\n");
    std::string total = std::to_string(kMsg1.size() + kMsg2.size() + kMsg3.size());
    EXPECT_EQ(send("PASS secret\r\n"), "+OK maildrop has 3 messages (" + total + " octets)\r\n");
    ASSERT_EQ(store.logins.size(), 1u);
    EXPECT_EQ(store.logins[0].user, "alice");
    EXPECT_EQ(store.logins[0].password, "secret");
    EXPECT_EQ(opened_as, "alice@example.org");   // the canonical name from the backend
    EXPECT_EQ(session().user(), "alice@example.org");
    EXPECT_TRUE(session().in_transaction());
}

TEST_F(Pop3SessionTest, KeywordsAreCaseInsensitiveAndPasswordsKeepSpaces) {
    greet();
    EXPECT_EQ(send("user bob\r\n"), "+OK send PASS\r\n");
    EXPECT_THAT(send("pass pass word\r\n"), StartsWith("+OK maildrop has"));
    EXPECT_EQ(store.logins.back().password, "pass word");
}

TEST_F(Pop3SessionTest, BadCredentialsNeverRevealWhetherTheUserExists) {
    greet();
    EXPECT_EQ(send("USER nosuchuser\r\n"), "+OK send PASS\r\n");   // same as for alice
    std::string unknown = send("PASS secret\r\n");
    send("USER alice\r\n");
    std::string wrong = send("PASS wrong\r\n");
    EXPECT_EQ(unknown, "-ERR [AUTH] bad credentials\r\n");
    EXPECT_EQ(wrong, unknown);
    EXPECT_FALSE(session().in_transaction());
    EXPECT_EQ(session().stats().auth_failures, 2u);
    EXPECT_FALSE(closed);
}

TEST_F(Pop3SessionTest, PassMustFollowUser) {
    greet();
    EXPECT_EQ(send("PASS secret\r\n"), "-ERR send USER first\r\n");
    send("USER alice\r\n");
    EXPECT_EQ(send("CAPA\r\n").substr(0, 3), "+OK");
    EXPECT_EQ(send("PASS secret\r\n"), "-ERR send USER first\r\n");
    EXPECT_TRUE(store.logins.empty());
    EXPECT_EQ(send("USER\r\n"), "-ERR syntax: USER name\r\n");
    send("USER alice\r\n");
    EXPECT_EQ(send("PASS\r\n"), "-ERR syntax: PASS password\r\n");
}

TEST_F(Pop3SessionTest, TransactionCommandsAreRefusedBeforeLogin) {
    config.limits.max_bad_commands = 0;   // no limit: count them all
    greet();
    for (const char* cmd : {"STAT", "LIST", "LIST 1", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 0", "UIDL", "UIDL 1"}) {
        EXPECT_EQ(send(std::string(cmd) + "\r\n"), "-ERR command not valid in this state\r\n") << cmd;
    }
    EXPECT_TRUE(store.fetched.empty());
    EXPECT_EQ(session().stats().bad_commands, 10u);
    EXPECT_FALSE(closed);
}

TEST_F(Pop3SessionTest, LoginCommandsAreRefusedAfterLogin) {
    config.tls_available = true;
    login();
    for (const char* cmd : {"USER alice", "PASS secret", "AUTH PLAIN", "STLS"}) {
        EXPECT_EQ(send(std::string(cmd) + "\r\n"), "-ERR command not valid in this state\r\n") << cmd;
    }
    EXPECT_EQ(send("APOP alice 0123456789abcdef0123456789abcdef\r\n"), "-ERR APOP not supported\r\n");
    EXPECT_EQ(store.logins.size(), 1u);
}

TEST_F(Pop3SessionTest, UnknownAndEmptyCommands) {
    greet();
    EXPECT_EQ(send("XYZZY\r\n"), "-ERR unknown command\r\n");
    EXPECT_EQ(send("\r\n"), "-ERR empty command\r\n");
    EXPECT_EQ(send("APOP alice 0123456789abcdef0123456789abcdef\r\n"), "-ERR APOP not supported\r\n");
    EXPECT_EQ(session().stats().bad_commands, 3u);
}

TEST_F(Pop3SessionTest, CapaInBothStates) {
    greet();
    EXPECT_EQ(send("CAPA\r\n"),
              "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN\r\nRESP-CODES\r\n"
              "AUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION ringpost\r\n.\r\n");
    login();
    EXPECT_EQ(send("CAPA\r\n"),
              "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
              "AUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION ringpost\r\n.\r\n");
    EXPECT_EQ(send("CAPA x\r\n"), "-ERR syntax: CAPA\r\n");
}

TEST_F(Pop3SessionTest, StlsOnlyWhenTheHookSaysSo) {
    greet();
    EXPECT_THAT(send("CAPA\r\n"), ::testing::Not(HasSubstr("STLS")));
    EXPECT_EQ(send("STLS\r\n"), "-ERR STLS not available\r\n");
    EXPECT_EQ(tls_upgrades, 0);
}

TEST(Pop3Stls, UpgradeDropsPipelinedInputAndStartsOver) {
    Driver d;
    d.config.tls_available = true;
    d.greet();
    EXPECT_THAT(d.send("CAPA\r\n"), HasSubstr("\r\nSTLS\r\n"));
    d.send("USER alice\r\n");
    // A command injected behind STLS must not run after the handshake
    // (the STARTTLS plaintext injection problem).
    std::string r = d.send("STLS\r\nPASS secret\r\n");
    EXPECT_EQ(r, "+OK begin TLS negotiation\r\n");
    EXPECT_EQ(d.tls_upgrades, 1);
    EXPECT_EQ(d.dropped_at_stls, "PASS secret\r\n");
    EXPECT_TRUE(d.store.logins.empty());
    EXPECT_THAT(d.send("CAPA\r\n"), ::testing::Not(HasSubstr("STLS")));
    EXPECT_EQ(d.send("STLS\r\n"), "-ERR already using TLS\r\n");
    EXPECT_EQ(d.send("PASS secret\r\n"), "-ERR send USER first\r\n");   // USER was forgotten
}

TEST(Pop3Stls, CapaAnnouncesStlsOnlyWhenAvailableAndNotActive) {
    Driver d;
    d.config.tls_available = true;
    d.greet();
    EXPECT_EQ(d.send("CAPA\r\n"),
              "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN\r\nSTLS\r\nRESP-CODES\r\n"
              "AUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION ringpost\r\n.\r\n");
    EXPECT_EQ(d.send("STLS\r\n"), "+OK begin TLS negotiation\r\n");
    EXPECT_EQ(d.tls_upgrades, 1);
    EXPECT_EQ(d.dropped_at_stls, "");
    // RFC 2595 4: the client asks again; STLS is gone from the list.
    EXPECT_EQ(d.send("CAPA\r\n"),
              "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN\r\nRESP-CODES\r\n"
              "AUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION ringpost\r\n.\r\n");
    EXPECT_EQ(d.send("STLS x\r\n"), "-ERR syntax: STLS\r\n");
}

TEST(Pop3Stls, ImplicitTlsNeverAnnouncesStls) {
    Driver d;
    d.config.tls_available = true;
    d.client.tls = true;   // pop3s
    d.greet();
    EXPECT_THAT(d.send("CAPA\r\n"), ::testing::Not(HasSubstr("STLS")));
    EXPECT_EQ(d.send("STLS\r\n"), "-ERR already using TLS\r\n");
}

TEST(Pop3Stls, StlsIsRefusedInTheTransactionState) {
    Driver d;
    d.config.tls_available = true;
    d.login();
    EXPECT_EQ(d.send("STLS\r\n"), "-ERR command not valid in this state\r\n");
    EXPECT_EQ(d.tls_upgrades, 0);
    EXPECT_EQ(d.send("STAT\r\n").substr(0, 6), "+OK 3 ");   // the session goes on
}

TEST(Pop3Stls, PasswordsNeedTlsOffLoopback) {
    Driver d;
    d.config.plaintext_allowed = false;   // a client that is not on loopback
    d.config.tls_available = true;
    d.config.limits.max_bad_commands = 0;
    d.greet();
    // Neither USER nor SASL PLAIN is announced, STLS is.
    EXPECT_EQ(d.send("CAPA\r\n"),
              "+OK capability list follows\r\nTOP\r\nUIDL\r\nSTLS\r\nRESP-CODES\r\n"
              "AUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION ringpost\r\n.\r\n");
    const std::string refused = "-ERR [AUTH] plain-text authentication requires TLS\r\n";
    EXPECT_EQ(d.send("USER alice\r\n"), refused);
    EXPECT_EQ(d.send("PASS secret\r\n"), refused);
    std::string raw("\0alice\0secret", 13), ir;
    base64::encode(raw, ir);
    EXPECT_EQ(d.send("AUTH PLAIN " + ir + "\r\n"), refused);
    EXPECT_EQ(d.send("AUTH PLAIN\r\n"), refused);
    EXPECT_EQ(d.send("AUTH\r\n"), "+OK\r\n.\r\n");   // no mechanism offered
    EXPECT_TRUE(d.store.logins.empty());                  // no password reached the backend

    // After STLS the same client may log in.
    EXPECT_EQ(d.send("STLS\r\n"), "+OK begin TLS negotiation\r\n");
    EXPECT_THAT(d.send("CAPA\r\n"), HasSubstr("\r\nUSER\r\nSASL PLAIN\r\n"));
    EXPECT_EQ(d.send("USER alice\r\n"), "+OK send PASS\r\n");
    EXPECT_THAT(d.send("PASS secret\r\n"), StartsWith("+OK maildrop has 3 messages"));
    EXPECT_EQ(d.store.logins.size(), 1u);
}

TEST(Pop3Stls, AuthPlainOverTls) {
    Driver d;
    d.config.plaintext_allowed = false;
    d.client.tls = true;
    d.greet();
    std::string raw("\0alice\0secret", 13), ir;
    base64::encode(raw, ir);
    EXPECT_THAT(d.send("AUTH PLAIN " + ir + "\r\n"), StartsWith("+OK maildrop has 3 messages"));
}

TEST_F(Pop3SessionTest, StatListUidl) {
    login();
    std::string s1 = std::to_string(kMsg1.size()), s2 = std::to_string(kMsg2.size()), s3 = std::to_string(kMsg3.size());
    std::string total = std::to_string(kMsg1.size() + kMsg2.size() + kMsg3.size());
    EXPECT_EQ(send("STAT\r\n"), "+OK 3 " + total + "\r\n");
    EXPECT_EQ(send("LIST\r\n"), "+OK 3 messages (" + total + " octets)\r\n1 " + s1 + "\r\n2 " + s2 + "\r\n3 " + s3 +
                                    "\r\n.\r\n");
    EXPECT_EQ(send("LIST 2\r\n"), "+OK 2 " + s2 + "\r\n");
    EXPECT_EQ(send("UIDL\r\n"), "+OK unique-id listing follows\r\n1 uid-1\r\n2 uid-2\r\n3 uid-3\r\n.\r\n");
    EXPECT_EQ(send("UIDL 3\r\n"), "+OK 3 uid-3\r\n");
    EXPECT_EQ(send("LIST 0\r\n"), "-ERR no such message\r\n");
    EXPECT_EQ(send("LIST 4\r\n"), "-ERR no such message\r\n");
    EXPECT_EQ(send("UIDL 99999999999999999999\r\n"), "-ERR syntax: UIDL [msg]\r\n");
    EXPECT_EQ(send("LIST x\r\n"), "-ERR syntax: LIST [msg]\r\n");
    EXPECT_EQ(send("LIST -1\r\n"), "-ERR syntax: LIST [msg]\r\n");
    EXPECT_EQ(send("STAT 1\r\n"), "-ERR syntax: STAT\r\n");
    EXPECT_EQ(send("NOOP\r\n"), "+OK\r\n");
}

TEST_F(Pop3SessionTest, RetrIsByteStuffedAndExact) {
    login();
    std::string r = send("RETR 1\r\n");
    EXPECT_THAT(r, StartsWith("+OK " + std::to_string(kMsg1.size()) + " octets\r\n"));
    EXPECT_THAT(r, HasSubstr("\r\n..hidden dot\r\n"));
    EXPECT_THAT(r, HasSubstr("\r\n..\r\nlast\r\n.\r\n"));
    auto body = unstuff(r);
    ASSERT_TRUE(body);
    EXPECT_EQ(*body, kMsg1);
    EXPECT_EQ(store.fetched, std::vector<std::string>{"uid-1"});
    EXPECT_EQ(session().stats().retrieved, 1u);
    EXPECT_EQ(send("RETR\r\n"), "-ERR syntax: RETR msg\r\n");
    EXPECT_EQ(send("RETR 4\r\n"), "-ERR no such message\r\n");
}

TEST_F(Pop3SessionTest, RetrOfAMessageWithoutFinalCrlfEndsCleanly) {
    store.messages[0].second = "Subject: x\r\n\r\nno newline at end";
    login();
    std::string r = send("RETR 1\r\n");
    EXPECT_THAT(r, ::testing::EndsWith("\r\nno newline at end\r\n.\r\n"));
}

TEST_F(Pop3SessionTest, TopWithZeroSomeAndTooManyLines) {
    login();
    EXPECT_EQ(send("TOP 2 0\r\n"), "+OK top of message follows\r\nSubject: two\r\n\r\n.\r\n");
    EXPECT_EQ(send("TOP 2 2\r\n"), "+OK top of message follows\r\nSubject: two\r\n\r\nl1\r\nl2\r\n.\r\n");
    auto all = unstuff(send("TOP 2 100\r\n"));
    ASSERT_TRUE(all);
    EXPECT_EQ(*all, kMsg2);
    // Stuffing applies within TOP too.
    EXPECT_EQ(send("TOP 1 2\r\n"),
              "+OK top of message follows\r\nSubject: one\r\nFrom: a@example.org\r\n\r\nHello\r\n..hidden dot\r\n.\r\n");
    // Headers only: the whole message, whatever the count.
    EXPECT_EQ(send("TOP 3 0\r\n"), "+OK top of message follows\r\n" + kMsg3 + ".\r\n");
    EXPECT_EQ(send("TOP 1\r\n"), "-ERR syntax: TOP msg n\r\n");
    EXPECT_EQ(send("TOP 1 x\r\n"), "-ERR syntax: TOP msg n\r\n");
    EXPECT_EQ(send("TOP 9 1\r\n"), "-ERR no such message\r\n");
}

TEST_F(Pop3SessionTest, DeleThenRset) {
    login();
    std::string s1 = std::to_string(kMsg1.size()), s3 = std::to_string(kMsg3.size());
    EXPECT_EQ(send("DELE 2\r\n"), "+OK message 2 deleted\r\n");
    EXPECT_EQ(send("DELE 2\r\n"), "-ERR message 2 already deleted\r\n");
    EXPECT_EQ(send("STAT\r\n"), "+OK 2 " + std::to_string(kMsg1.size() + kMsg3.size()) + "\r\n");
    EXPECT_EQ(send("LIST\r\n"), "+OK 2 messages (" + std::to_string(kMsg1.size() + kMsg3.size()) + " octets)\r\n1 " +
                                    s1 + "\r\n3 " + s3 + "\r\n.\r\n");
    EXPECT_EQ(send("UIDL\r\n"), "+OK unique-id listing follows\r\n1 uid-1\r\n3 uid-3\r\n.\r\n");
    // A deleted message cannot be accessed (RFC 1939 5).
    EXPECT_EQ(send("RETR 2\r\n"), "-ERR no such message\r\n");
    EXPECT_EQ(send("TOP 2 1\r\n"), "-ERR no such message\r\n");
    EXPECT_EQ(send("LIST 2\r\n"), "-ERR no such message\r\n");
    EXPECT_EQ(send("UIDL 2\r\n"), "-ERR no such message\r\n");
    EXPECT_EQ(send("DELE 7\r\n"), "-ERR no such message\r\n");
    EXPECT_EQ(send("DELE\r\n"), "-ERR syntax: DELE msg\r\n");
    std::string total = std::to_string(kMsg1.size() + kMsg2.size() + kMsg3.size());
    EXPECT_EQ(send("RSET\r\n"), "+OK maildrop has 3 messages (" + total + " octets)\r\n");
    EXPECT_EQ(send("LIST 2\r\n"), "+OK 2 " + std::to_string(kMsg2.size()) + "\r\n");
    EXPECT_EQ(send("QUIT\r\n"), "+OK ringpost POP3 server signing off (3 messages left)\r\n");
    EXPECT_FALSE(store.removed);   // nothing marked: no UPDATE work
    EXPECT_EQ(count(Event::kUpdate), 0u);
}

TEST_F(Pop3SessionTest, QuitInAuthorization) {
    greet();
    send("USER alice\r\n");
    EXPECT_EQ(send("QUIT\r\n"), "+OK ringpost POP3 server signing off\r\n");
    EXPECT_TRUE(closed);
    EXPECT_EQ(count(Event::kUpdate), 0u);
    EXPECT_EQ(count(Event::kOpenMaildrop), 0u);
    EXPECT_EQ(send("STAT\r\n"), "");   // nothing more is read
}

TEST_F(Pop3SessionTest, QuitInTransactionRemovesDeletedMessages) {
    login();
    send("DELE 1\r\nDELE 3\r\n");
    EXPECT_EQ(send("QUIT\r\n"), "+OK ringpost POP3 server signing off (1 messages left)\r\n");
    ASSERT_TRUE(store.removed);
    EXPECT_THAT(*store.removed, ElementsAre("uid-1", "uid-3"));
    EXPECT_TRUE(closed);
    EXPECT_EQ(session().stats().deleted, 2u);
}

TEST_F(Pop3SessionTest, QuitWhenRemovalFails) {
    store.remove_fails = true;
    login();
    send("DELE 1\r\n");
    EXPECT_EQ(send("QUIT\r\n"), "-ERR [SYS/TEMP] some deleted messages not removed\r\n");
    EXPECT_TRUE(closed);
    EXPECT_EQ(session().stats().deleted, 0u);
}

TEST_F(Pop3SessionTest, QuitTakesNoArgument) {
    login();
    EXPECT_EQ(send("QUIT now\r\n"), "-ERR syntax: QUIT\r\n");
    EXPECT_FALSE(closed);
}

TEST_F(Pop3SessionTest, PipelinedCommandsAnswerInOrder) {
    greet();
    std::string r = send("CAPA\r\nUSER alice\r\nPASS secret\r\nSTAT\r\nRETR 2\r\nDELE 2\r\nLIST 2\r\nUIDL 1\r\nQUIT\r\n");
    std::string total = std::to_string(kMsg1.size() + kMsg2.size() + kMsg3.size());
    std::string expected = "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN\r\nRESP-CODES\r\n"
                           "AUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION ringpost\r\n.\r\n"
                           "+OK send PASS\r\n"
                           "+OK maildrop has 3 messages (" + total + " octets)\r\n"
                           "+OK 3 " + total + "\r\n"
                           "+OK " + std::to_string(kMsg2.size()) + " octets\r\n" + kMsg2 + ".\r\n"
                           "+OK message 2 deleted\r\n"
                           "-ERR no such message\r\n"
                           "+OK 1 uid-1\r\n"
                           "+OK ringpost POP3 server signing off (2 messages left)\r\n";
    EXPECT_EQ(r, expected);
    EXPECT_TRUE(closed);
    ASSERT_TRUE(store.removed);
    EXPECT_THAT(*store.removed, ElementsAre("uid-2"));
    // Events came in order, each between its two commands.
    EXPECT_THAT(events, ElementsAre(Event::kAuthenticate, Event::kOpenMaildrop, Event::kFetch, Event::kUpdate,
                                    Event::kClose));
}

TEST_F(Pop3SessionTest, SplitLinesWaitForTheRest) {
    login();
    EXPECT_EQ(send("ST"), "");
    EXPECT_EQ(pending, "ST");
    EXPECT_EQ(send("AT\r"), "");
    EXPECT_THAT(send("\nNOOP\n"), StartsWith("+OK 3 "));   // bare LF accepted
}

TEST_F(Pop3SessionTest, LargeRetrIsStreamedInChunks) {
    config.limits.output_chunk = 4096;
    std::string big = "Subject: big\r\n\r\n";
    for (int i = 0; i < 5000; ++i) big += (i % 3 == 0 ? "." : "") + std::string("line ") + std::to_string(i) + "\r\n";
    store.messages[1].second = big;
    login();
    std::string r = send("RETR 2\r\nNOOP\r\n");
    EXPECT_GT(flushes, 10);
    EXPECT_LE(largest_chunk, 4096u);
    ASSERT_THAT(r, ::testing::EndsWith("\r\n.\r\n+OK\r\n"));
    auto body = unstuff(r.substr(0, r.size() - 5));
    ASSERT_TRUE(body);
    EXPECT_EQ(*body, big);
}

TEST_F(Pop3SessionTest, LargeListingIsStreamedInChunks) {
    config.limits.output_chunk = 1024;
    store.messages.clear();
    for (int i = 0; i < 2000; ++i) store.messages.emplace_back("u" + std::to_string(i), "x\r\n");
    greet();
    EXPECT_EQ(send("USER alice\r\nPASS secret\r\n"), "+OK send PASS\r\n+OK maildrop has 2000 messages (6000 octets)\r\n");
    std::string r = send("UIDL\r\n");
    EXPECT_GT(flushes, 5);
    EXPECT_LE(largest_chunk, 1024u + 64);
    EXPECT_THAT(r, HasSubstr("\r\n1 u0\r\n"));
    EXPECT_THAT(r, ::testing::EndsWith("\r\n2000 u1999\r\n.\r\n"));
}

TEST_F(Pop3SessionTest, AuthPlainWithInitialResponse) {
    greet();
    std::string r = send("AUTH PLAIN " + plain("", "alice", "secret") + "\r\n");
    EXPECT_THAT(r, StartsWith("+OK maildrop has 3 messages"));
    EXPECT_EQ(store.logins.back().user, "alice");
    EXPECT_EQ(store.logins.back().password, "secret");
    EXPECT_TRUE(session().in_transaction());
}

TEST_F(Pop3SessionTest, AuthPlainWithContinuation) {
    greet();
    EXPECT_EQ(send("AUTH PLAIN\r\n"), "+ \r\n");
    EXPECT_THAT(send(plain("alice", "alice", "secret") + "\r\n"), StartsWith("+OK maildrop has 3 messages"));
    EXPECT_TRUE(session().in_transaction());
}

TEST_F(Pop3SessionTest, AuthPlainCancelledAndFailures) {
    greet();
    EXPECT_EQ(send("auth plain\r\n"), "+ \r\n");
    EXPECT_EQ(send("*\r\n"), "-ERR authentication cancelled\r\n");
    EXPECT_EQ(session().stats().auth_failures, 0u);
    EXPECT_EQ(send("AUTH PLAIN " + plain("", "alice", "wrong") + "\r\n"), "-ERR [AUTH] bad credentials\r\n");
    // Asking to act as someone else: no proxy authorization here.
    EXPECT_EQ(send("AUTH PLAIN " + plain("bob", "alice", "secret") + "\r\n"), "-ERR [AUTH] bad credentials\r\n");
    EXPECT_EQ(store.logins.size(), 1u);   // the second never reached the backend
    EXPECT_EQ(session().stats().auth_failures, 2u);
    EXPECT_FALSE(closed);
}

TEST_F(Pop3SessionTest, AuthPlainBadBase64) {
    greet();
    EXPECT_EQ(send("AUTH PLAIN not*base64\r\n"), "-ERR invalid base64 data\r\n");
    EXPECT_EQ(send("AUTH PLAIN\r\n"), "+ \r\n");
    EXPECT_EQ(send("AGFsaWNl=\r\n"), "-ERR invalid base64 data\r\n");
    EXPECT_TRUE(store.logins.empty());
    EXPECT_EQ(session().stats().auth_failures, 2u);
    // The session is back in command mode.
    EXPECT_EQ(send("USER alice\r\n"), "+OK send PASS\r\n");
}

TEST_F(Pop3SessionTest, AuthMechanisms) {
    greet();
    EXPECT_EQ(send("AUTH\r\n"), "+OK\r\nPLAIN\r\n.\r\n");
    EXPECT_EQ(send("AUTH CRAM-MD5\r\n"), "-ERR unsupported authentication mechanism\r\n");
    EXPECT_EQ(send("AUTH PLAIN =\r\n"), "-ERR [AUTH] bad credentials\r\n");   // empty response
}

TEST_F(Pop3SessionTest, TooManyAuthFailuresClose) {
    greet();
    for (int i = 0; i < 2; ++i) {
        send("USER alice\r\n");
        EXPECT_EQ(send("PASS wrong\r\n"), "-ERR [AUTH] bad credentials\r\n");
        EXPECT_FALSE(closed);
    }
    send("USER alice\r\n");
    EXPECT_EQ(send("PASS wrong\r\n"), "-ERR [AUTH] bad credentials\r\n");
    EXPECT_TRUE(closed);
    EXPECT_EQ(session().stats().auth_failures, 3u);
}

TEST_F(Pop3SessionTest, TemporaryFailuresAndLockedMaildrop) {
    greet();
    send("USER temp\r\n");
    EXPECT_EQ(send("PASS x\r\n"), "-ERR [SYS/TEMP] authentication temporarily unavailable\r\n");
    EXPECT_EQ(session().stats().auth_failures, 0u);

    store.open_error = make_error("locked", kInUse);
    send("USER alice\r\n");
    EXPECT_EQ(send("PASS secret\r\n"), "-ERR [IN-USE] maildrop already locked\r\n");
    EXPECT_FALSE(session().in_transaction());
    EXPECT_EQ(send("STAT\r\n"), "-ERR command not valid in this state\r\n");

    store.open_error = make_error("nope", E2BIG);
    send("USER alice\r\n");
    EXPECT_EQ(send("PASS secret\r\n"), "-ERR [SYS/TEMP] cannot open maildrop\r\n");

    // Once the lock is free, a new login works on the same connection.
    store.open_error.reset();
    send("USER alice\r\n");
    EXPECT_THAT(send("PASS secret\r\n"), StartsWith("+OK maildrop has 3"));
}

// An error of another layer is never read as a maildrop error: the
// blocking pool's refusal under load, and errno values equal to kInUse
// (EPERM is 1) or kMessageGone (ENOENT is 2), are temporary failures
// (RFC 3206 SYS/TEMP), not [IN-USE] or "deleted".
TEST_F(Pop3SessionTest, OtherLayersErrorsAreTemporaryFailures) {
    greet();
    for (const Error& e : {make_error("blocking pool busy: 1024 calls waiting", io::BlockingPool::kBusy),
                           make_error("operation not permitted", EPERM)}) {
        store.open_error = e;
        send("USER alice\r\n");
        EXPECT_EQ(send("PASS secret\r\n"), "-ERR [SYS/TEMP] cannot open maildrop\r\n") << e.message;
    }
    store.open_error.reset();
    login();
    for (const Error& e : {make_error("blocking pool busy: 1024 calls waiting", io::BlockingPool::kBusy),
                           make_error("no such file", ENOENT)}) {
        store.fetch_error = e;
        EXPECT_EQ(send("RETR 1\r\n"), "-ERR [SYS/TEMP] cannot read message\r\n") << e.message;
    }
}

TEST_F(Pop3SessionTest, FetchFailureIsTemporary) {
    store.fetch_error = make_error("read error", EIO);
    login();
    EXPECT_EQ(send("RETR 1\r\n"), "-ERR [SYS/TEMP] cannot read message\r\n");
    EXPECT_EQ(send("TOP 1 1\r\n"), "-ERR [SYS/TEMP] cannot read message\r\n");
    EXPECT_EQ(send("NOOP\r\n"), "+OK\r\n");
    EXPECT_EQ(session().stats().retrieved, 0u);
}

// A message expunged over IMAP while this session had the maildrop open is
// gone for good: a plain -ERR, not [SYS/TEMP] (which invites a retry).
TEST_F(Pop3SessionTest, RetrOfAMessageRemovedElsewhereIsNotTemporary) {
    login();
    store.messages.erase(store.messages.begin());
    EXPECT_EQ(send("RETR 1\r\n"), "-ERR message was deleted by another session\r\n");
    EXPECT_EQ(send("NOOP\r\n"), "+OK\r\n");
}

TEST_F(Pop3SessionTest, OverlongLinesAreRefusedAndSkipped) {
    login();
    std::string longline = "LIST " + std::string(600, '1') + "\r\n";
    EXPECT_EQ(send(longline + "NOOP\r\n"), "-ERR line too long\r\n+OK\r\n");
    // Arriving in pieces without a line end: skipped as it comes.
    EXPECT_EQ(send(std::string(700, 'x')), "");
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(send(std::string(700, 'y')), "");
    EXPECT_EQ(send("yyy\r\nSTAT\r\n").substr(0, 25), "-ERR line too long\r\n+OK 3");
    // A 500-byte line is still a command (RFC 2449 asks for 255).
    EXPECT_EQ(send("LIST " + std::string(494, ' ') + "1\r\n"), "+OK 1 " + std::to_string(kMsg1.size()) + "\r\n");
}

TEST_F(Pop3SessionTest, SaslResponsesMayBeLongerThanCommands) {
    greet();
    std::string password(600, 'p');
    store.passwords["alice"] = password;
    EXPECT_EQ(send("AUTH PLAIN\r\n"), "+ \r\n");
    std::string response = plain("", "alice", password);
    ASSERT_GT(response.size(), 512u);
    EXPECT_THAT(send(response + "\r\n"), StartsWith("+OK maildrop has"));
}

TEST_F(Pop3SessionTest, OverlongSaslResponseFailsTheExchange) {
    greet();
    EXPECT_EQ(send("AUTH PLAIN\r\n"), "+ \r\n");
    EXPECT_EQ(send(std::string(3000, 'A') + "\r\n"), "-ERR line too long\r\n");
    EXPECT_EQ(session().stats().auth_failures, 1u);
    EXPECT_EQ(send("USER alice\r\n"), "+OK send PASS\r\n");
}

TEST_F(Pop3SessionTest, BadCommandLimitCloses) {
    config.limits.max_bad_commands = 3;
    greet();
    EXPECT_EQ(send("FOO\r\n"), "-ERR unknown command\r\n");
    EXPECT_EQ(send("STAT\r\n"), "-ERR command not valid in this state\r\n");
    EXPECT_FALSE(closed);
    EXPECT_EQ(send("BAR\r\nUSER alice\r\n"), "-ERR unknown command\r\n-ERR too many errors, closing connection\r\n");
    EXPECT_TRUE(closed);
}

TEST_F(Pop3SessionTest, HttpRequestHangsUpWithoutAnswer) {
    greet();
    EXPECT_EQ(send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "");
    EXPECT_TRUE(closed);
}

TEST_F(Pop3SessionTest, TimeoutClosesSilentlyShutdownSaysSo) {
    login();
    send("DELE 1\r\n");
    std::string out;
    session().timeout(out);
    EXPECT_EQ(out, "");   // RFC 1939 3: no response, no UPDATE
    EXPECT_EQ(send("QUIT\r\n"), "");
    EXPECT_TRUE(closed);
    EXPECT_FALSE(store.removed);

    Driver other;
    other.login();
    std::string bye;
    other.session().shutdown(bye);
    EXPECT_EQ(bye, "-ERR [SYS/TEMP] server shutting down\r\n");
    EXPECT_EQ(other.send("NOOP\r\n"), "");
    EXPECT_TRUE(other.closed);
}
