// Tests for the SMTP session state machine (src/smtp/session.hpp), driven
// the way the io driver drives it: feed bytes, keep the unconsumed rest,
// commit on kCommit, stop on kClose, check passwords on kAuth, and on
// kStartTls throw away what was pipelined behind STARTTLS (as the driver
// must). The Policy is a fake with fixed rules.
#include "smtp/session.hpp"

#include "smtp/command.hpp"
#include "io/blocking_pool.hpp"
#include "util/base64.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <vector>

using namespace ringpost;
using namespace ringpost::smtp;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

constexpr int64_t kNow = 1700000000;   // Tue, 14 Nov 2023 22:13:20 +0000

// Recipients by domain: local.example is ours (unknown@ does not exist),
// remote.example may be relayed to, denied.example may not, and
// tempfail.example stands for a store outage.
class FakePolicy : public Policy {
public:
    RcptVerdict check_recipient(std::string_view address, const ClientInfo& client) override {
        checked.emplace_back(address);
        last_authenticated = client.authenticated;
        auto ends = [&](std::string_view suffix) {
            return address.size() >= suffix.size() && address.substr(address.size() - suffix.size()) == suffix;
        };
        if (address == "unknown@local.example") return RcptVerdict::kUnknownUser;
        if (ends("@local.example") || iequals(address, "postmaster")) return RcptVerdict::kAcceptLocal;
        if (ends("@denied.example")) return RcptVerdict::kRelayDenied;
        if (ends("@tempfail.example")) return RcptVerdict::kTempFail;
        return RcptVerdict::kAcceptRelay;
    }
    std::string new_queue_id() override {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(0xABC000 + ++ids));
        return buf;
    }
    int64_t now() override { return kNow; }
    // Room for `free_space` bytes (a full spool when 0).
    bool storage_available(uint64_t size) override {
        storage_asked.push_back(size);
        return size < free_space;
    }
    // MAIL FROMs allowed before the policy answers 450 4.7.1 (a per-IP message rate).
    std::optional<PolicyRefusal> check_mail(const ClientInfo& client) override {
        mail_checked_for = client.ip;
        if (mails_allowed == 0) return PolicyRefusal{450, "4.7.1", "Error: too much mail from " + client.ip};
        --mails_allowed;
        return std::nullopt;
    }

    // Accepted recipients ending in "@grey.example" get 451 4.7.1 (greylisting).
    std::optional<PolicyRefusal> check_accepted_recipient(std::string_view sender, std::string_view recipient,
                                                          const ClientInfo&) override {
        accepted_checked.push_back(std::string(sender) + ">" + std::string(recipient));
        if (!recipient.ends_with("@grey.example")) return std::nullopt;
        return PolicyRefusal{451, "4.7.1", "Greylisted, try again in 300 seconds"};
    }

    std::vector<std::string> checked;
    std::vector<std::string> accepted_checked;
    uint64_t mails_allowed = UINT64_MAX;
    std::string mail_checked_for;
    uint64_t free_space = UINT64_MAX;
    std::vector<uint64_t> storage_asked;
    bool last_authenticated = false;
    int ids = 0;
};

// Drives one session like the io driver does. Separate from the fixture so
// a test can run several independent sessions.
struct Driver {
    Driver() {
        config.hostname = "mx.example";
        client.ip = "192.0.2.1";
        client.port = 40000;
    }

    Session& session() {
        if (!session_) session_ = std::make_unique<Session>(config, policy, client);
        return *session_;
    }

    std::string greet() {
        std::string out;
        session().greet(out);
        return out;
    }

    // Sends bytes and returns the replies produced, committing every
    // message with `commit_result` like the driver would.
    std::string send(std::string_view bytes) {
        Session& s = session();
        pending.append(bytes);
        std::string out;
        bool delayed = false;
        for (;;) {
            size_t consumed = 0;
            Event e = s.feed(pending, consumed, out);
            EXPECT_LE(consumed, pending.size());
            pending.erase(0, consumed);
            if (e == Event::kDelay) {
                // The driver flushes `out` and waits; then the same command
                // must be answered, not delayed again.
                const bool again = delayed && consumed == 0;
                EXPECT_FALSE(again) << "two delays for one command line";
                if (again) break;
                delayed = true;
                delays_after.push_back(std::count(out.begin(), out.end(), '\n'));
                continue;
            }
            if (e == Event::kCommit) {
                messages.push_back(s.take_message());
                s.committed(commit_result, out);
                continue;
            }
            if (e == Event::kAuth) {
                AuthRequest r = s.take_auth();
                auths.push_back(r);
                auth::Status status = auth_tempfail                                      ? auth::Status::kTempFail
                                    : r.user == good_user && r.password == good_password ? auth::Status::kOk
                                                                                         : auth::Status::kBadCredentials;
                s.auth_done(status, status == auth::Status::kOk ? good_user : "", out);
                continue;
            }
            if (e == Event::kStartTls) {
                // The driver's duty: pipelined plaintext is never processed.
                discarded = pending;
                pending.clear();
                starttls = true;
            }
            if (e == Event::kClose) closed = true;
            break;
        }
        return out;
    }

    std::string ehlo() { return send("EHLO client.example\r\n"); }

    // The handshake after kStartTls succeeded.
    void tls_started() { session().tls_started("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256); }

    // "AUTH PLAIN <base64 of authzid NUL user NUL password>".
    static std::string plain(std::string_view user, std::string_view password, std::string_view authzid = "") {
        std::string raw(authzid);
        raw.push_back('\0');
        raw.append(user);
        raw.push_back('\0');
        raw.append(password);
        std::string b64;
        base64::encode(raw, b64);
        return b64;
    }
    static std::string b64(std::string_view s) {
        std::string out;
        base64::encode(s, out);
        return out;
    }

    // EHLO + MAIL + RCPT to one relay recipient.
    void start_transaction(std::string_view mail_params = "") {
        ehlo();
        std::string r = send("MAIL FROM:<sender@client.example>" + std::string(mail_params) + "\r\n");
        ASSERT_EQ(r, "250 2.1.0 Ok\r\n");
        ASSERT_EQ(send("RCPT TO:<rcpt@remote.example>\r\n"), "250 2.1.5 Ok\r\n");
    }

    // The message body after the Received: header.
    static std::string body_of(const AcceptedMessage& m) {
        size_t end = m.data.find("\r\n", m.data.find("\tby "));
        end = m.data.find("\r\n", end + 2);   // "for <..>; date" or "date" line
        return m.data.substr(end + 2);
    }

    FakePolicy policy;
    SessionConfig config;
    ClientInfo client;
    std::unique_ptr<Session> session_;
    std::string pending;
    std::vector<AcceptedMessage> messages;
    Result<void> commit_result;
    bool closed = false;
    // Event::kDelay: how many reply lines of that send() preceded each one.
    std::vector<long> delays_after;
    // The fake authenticator: one account.
    std::string good_user = "alice@local.example";
    std::string good_password = "secret";
    bool auth_tempfail = false;
    std::vector<AuthRequest> auths;
    // STARTTLS: the event came, and what the driver threw away.
    bool starttls = false;
    std::string discarded;
};

class SessionTest : public ::testing::Test, public Driver {};

const char kEhloReply[] =
    "250-mx.example\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 26214400\r\n"
    "250-8BITMIME\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-CHUNKING\r\n"
    "250-BINARYMIME\r\n"
    "250-SMTPUTF8\r\n"
    "250 DSN\r\n";

}  // namespace

TEST_F(SessionTest, Greeting) { EXPECT_EQ(greet(), "220 mx.example ESMTP ringpost\r\n"); }

TEST_F(SessionTest, EhloAdvertisesExtensions) {
    EXPECT_EQ(ehlo(), kEhloReply);
    EXPECT_FALSE(closed);
}

TEST_F(SessionTest, EhloHonoursConfig) {
    config.limits.max_message_size = 1000;
    config.advertise_chunking = false;
    config.advertise_dsn = false;
    config.advertise_smtputf8 = false;
    config.advertise_starttls = true;
    EXPECT_EQ(ehlo(),
              "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n"
              "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n");
}

TEST_F(SessionTest, NoStarttlsOnceEncrypted) {
    config.advertise_starttls = true;
    client.tls = true;
    EXPECT_THAT(ehlo(), Not(HasSubstr("STARTTLS")));
}

TEST_F(SessionTest, HeloHasNoExtensions) {
    EXPECT_EQ(send("HELO client.example\r\n"), "250 mx.example\r\n");
    EXPECT_EQ(send("MAIL FROM:<a@b.example> SIZE=10\r\n"), "555 5.5.4 Unsupported option: SIZE=10\r\n");
    EXPECT_EQ(send("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(send("RCPT TO:<r@remote.example> NOTIFY=NEVER\r\n"), "555 5.5.4 Unsupported option: NOTIFY=NEVER\r\n");
    EXPECT_EQ(send("RCPT TO:<r@remote.example>\r\n"), "250 2.1.5 Ok\r\n");
    // No CHUNKING was offered: the chunk is still skipped to stay in sync.
    EXPECT_EQ(send("BDAT 4 LAST\r\nabcdNOOP\r\n"), "502 5.5.1 Error: command not implemented\r\n250 2.0.0 Ok\r\n");
    EXPECT_EQ(send("DATA\r\nx\r\n.\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 0000000000ABC001\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].envelope.protocol, "SMTP");
    EXPECT_THAT(messages[0].data, HasSubstr(" with SMTP id "));
}

TEST_F(SessionTest, HeloAndEhloNeedAnArgument) {
    EXPECT_EQ(send("EHLO\r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");
    EXPECT_EQ(send("HELO   \r\n"), "501 5.5.4 Syntax: HELO hostname\r\n");
    EXPECT_EQ(send("EHLO a\rb\r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");   // would forge the header
    EXPECT_EQ(session().stats().bad_commands, 3u);
}

TEST_F(SessionTest, CompleteTransaction) {
    greet();
    EXPECT_EQ(ehlo(), kEhloReply);
    EXPECT_FALSE(session().in_transaction());
    EXPECT_EQ(send("MAIL FROM:<sender@client.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_TRUE(session().in_transaction());
    EXPECT_EQ(send("RCPT TO:<user@local.example>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(send("RCPT TO:<other@remote.example>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(send("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_TRUE(session().in_data());
    EXPECT_EQ(send("Subject: test\r\n\r\nHello\r\n..dot\r\n"), "");
    EXPECT_TRUE(session().in_data());
    EXPECT_EQ(send(".\r\n"), "250 2.0.0 Ok: queued as 0000000000ABC001\r\n");
    EXPECT_FALSE(session().in_data());
    EXPECT_FALSE(session().in_transaction());
    ASSERT_EQ(messages.size(), 1u);
    const AcceptedMessage& m = messages[0];
    const mail::Envelope& e = m.envelope;
    EXPECT_EQ(e.queue_id, "0000000000ABC001");
    EXPECT_EQ(e.sender, "sender@client.example");
    ASSERT_EQ(e.recipients.size(), 2u);
    EXPECT_EQ(e.recipients[0].address, "user@local.example");
    EXPECT_TRUE(e.recipients[0].local);
    EXPECT_EQ(e.recipients[1].address, "other@remote.example");
    EXPECT_FALSE(e.recipients[1].local);
    EXPECT_EQ(e.helo, "client.example");
    EXPECT_EQ(e.client_ip, "192.0.2.1");
    EXPECT_EQ(e.protocol, "ESMTP");
    EXPECT_EQ(e.received_at, kNow);
    EXPECT_EQ(e.body_type, mail::BodyType::k7Bit);
    EXPECT_FALSE(e.smtputf8);
    EXPECT_EQ(e.body_size, m.data.size());
    // Two recipients: no "for" clause, date on its own line.
    EXPECT_EQ(m.data,
              "Received: from client.example ([192.0.2.1])\r\n"
              "\tby mx.example (ringpost) with ESMTP id 0000000000ABC001;\r\n"
              "\tTue, 14 Nov 2023 22:13:20 +0000\r\n"
              "Subject: test\r\n\r\nHello\r\n.dot\r\n");
    EXPECT_EQ(session().stats().messages, 1u);
    EXPECT_EQ(session().stats().recipients, 2u);
    EXPECT_EQ(session().stats().bad_commands, 0u);
    // The EHLO state survives: the next transaction needs no new EHLO.
    EXPECT_EQ(send("MAIL FROM:<>\r\n"), "250 2.1.0 Ok\r\n");
}

TEST_F(SessionTest, ReceivedHeaderWithOneRecipient) {
    start_transaction();
    send("DATA\r\nx\r\n.\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_THAT(messages[0].data, StartsWith("Received: from client.example ([192.0.2.1])\r\n"
                                             "\tby mx.example (ringpost) with ESMTP id 0000000000ABC001\r\n"
                                             "\tfor <rcpt@remote.example>; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                                             "x\r\n"));
}

TEST_F(SessionTest, ProtocolReflectsTlsAuthAndUtf8) {
    client.tls = true;
    client.authenticated = true;
    client.ip = "2001:db8::25";
    ehlo();
    send("MAIL FROM:<j\xc3\xb6rg@client.example> SMTPUTF8\r\n");
    EXPECT_EQ(send("RCPT TO:<\xc3\xa9l\xc3\xa8ve@remote.example>\r\n"), "250 2.1.5 Ok\r\n");
    send("DATA\r\nx\r\n.\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].envelope.protocol, "UTF8SMTPSA");
    EXPECT_TRUE(messages[0].envelope.smtputf8);
    EXPECT_THAT(messages[0].data, StartsWith("Received: from client.example ([IPv6:2001:db8::25])\r\n"
                                             "\tby mx.example (ringpost) with UTF8SMTPSA id "));
    messages.clear();
    send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@remote.example>\r\nDATA\r\nx\r\n.\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].envelope.protocol, "ESMTPSA");
}

TEST_F(SessionTest, Utf8AddressWithoutSmtputf8) {
    ehlo();
    EXPECT_EQ(send("MAIL FROM:<j\xc3\xb6rg@client.example>\r\n"),
              "553 5.6.7 Must declare SMTPUTF8 to send unicode address\r\n");
    send("MAIL FROM:<a@client.example>\r\n");
    EXPECT_EQ(send("RCPT TO:<\xc3\xa9l\xc3\xa8ve@remote.example>\r\n"),
              "553 5.6.7 Must declare SMTPUTF8 to send unicode address\r\n");
}

TEST_F(SessionTest, DsnParametersReachTheEnvelope) {
    ehlo();
    EXPECT_EQ(send("MAIL FROM:<a@client.example> RET=HDRS ENVID=id+2B42 BODY=8BITMIME SIZE=100\r\n"),
              "250 2.1.0 Ok\r\n");
    EXPECT_EQ(send("RCPT TO:<b@remote.example> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;B+40remote.example\r\n"),
              "250 2.1.5 Ok\r\n");
    send("DATA\r\nx\r\n.\r\n");
    ASSERT_EQ(messages.size(), 1u);
    const mail::Envelope& e = messages[0].envelope;
    EXPECT_EQ(e.ret, mail::DsnRet::kHeaders);
    EXPECT_EQ(e.envid, "id+42");
    EXPECT_EQ(e.body_type, mail::BodyType::k8BitMime);
    ASSERT_EQ(e.recipients.size(), 1u);
    EXPECT_EQ(e.recipients[0].notify, mail::kNotifySuccess | mail::kNotifyDelay);
    EXPECT_EQ(e.recipients[0].orcpt, "rfc822;B@remote.example");
}

TEST_F(SessionTest, BadSequence) {
    EXPECT_EQ(send("MAIL FROM:<a@b.example>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
    ehlo();
    EXPECT_EQ(send("RCPT TO:<a@remote.example>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
    EXPECT_EQ(send("DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
    EXPECT_EQ(send("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(send("MAIL FROM:<a@b.example>\r\n"), "503 5.5.1 Error: nested MAIL command\r\n");
    EXPECT_EQ(send("DATA\r\n"), "503 5.5.1 Error: need RCPT command\r\n");
    EXPECT_EQ(session().stats().bad_commands, 5u);
    EXPECT_FALSE(session().in_data());
}

TEST_F(SessionTest, NoValidRecipients) {
    ehlo();
    send("MAIL FROM:<a@b.example>\r\n");
    EXPECT_EQ(send("RCPT TO:<unknown@local.example>\r\n"),
              "550 5.1.1 <unknown@local.example>: Recipient address rejected: User unknown\r\n");
    EXPECT_EQ(send("RCPT TO:<x@denied.example>\r\n"), "554 5.7.1 <x@denied.example>: Relay access denied\r\n");
    EXPECT_EQ(send("RCPT TO:<x@tempfail.example>\r\n"), "451 4.3.0 <x@tempfail.example>: Temporary lookup failure\r\n");
    EXPECT_EQ(send("DATA\r\n"), "554 5.5.1 Error: no valid recipients\r\n");
    // The pipelined message text that follows is then read as commands;
    // that is the client's problem, but we must not have entered DATA.
    EXPECT_FALSE(session().in_data());
    EXPECT_EQ(policy.checked.size(), 3u);
}

TEST_F(SessionTest, PostmasterWithoutDomain) {
    ehlo();
    send("MAIL FROM:<>\r\n");
    EXPECT_EQ(send("RCPT TO:<Postmaster>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(send("RCPT TO:<postmaster>\r\n"), "250 2.1.5 Ok\r\n");
    send("DATA\r\nx\r\n.\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].envelope.sender, "");
    ASSERT_EQ(messages[0].envelope.recipients.size(), 2u);
    EXPECT_EQ(messages[0].envelope.recipients[0].address, "Postmaster");
    EXPECT_TRUE(messages[0].envelope.recipients[0].local);
    EXPECT_EQ(policy.checked, (std::vector<std::string>{"Postmaster", "postmaster"}));
}

TEST_F(SessionTest, TooManyRecipients) {
    config.limits.max_recipients = 2;
    ehlo();
    send("MAIL FROM:<a@b.example>\r\n");
    EXPECT_EQ(send("RCPT TO:<unknown@local.example>\r\n").substr(0, 3), "550");   // refused ones do not count
    EXPECT_EQ(send("RCPT TO:<r1@remote.example>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(send("RCPT TO:<r2@remote.example>\r\n"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(send("RCPT TO:<r3@remote.example>\r\n"), "452 4.5.3 Error: too many recipients\r\n");
    EXPECT_EQ(send("DATA\r\nx\r\n.\r\n").substr(0, 3), "354");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].envelope.recipients.size(), 2u);
    EXPECT_EQ(session().stats().bad_commands, 1u);   // the 550; a 452 is no error (Postfix)
}

TEST_F(SessionTest, BadCommandLimitHangsUp) {
    config.limits.hard_error_limit = 3;
    EXPECT_EQ(send("FOO\r\n"), "500 5.5.2 Error: command not recognized\r\n");
    EXPECT_EQ(send("\r\n"), "500 5.5.2 Error: bad syntax\r\n");
    EXPECT_FALSE(closed);
    EXPECT_EQ(send("MAIL FROM:<a@b.example>\r\nNOOP\r\n"),
              "503 5.5.1 Error: send HELO/EHLO first\r\n421 4.7.0 mx.example Error: too many errors\r\n");
    EXPECT_TRUE(closed);
    EXPECT_EQ(pending, "NOOP\r\n");   // nothing after the hang-up is processed
    EXPECT_EQ(session().stats().bad_commands, 3u);
    // Feeding a closed session reads nothing more.
    size_t consumed = 0;
    std::string out;
    EXPECT_EQ(session().feed("NOOP\r\n", consumed, out), Event::kClose);
    EXPECT_EQ(out, "");
}

TEST_F(SessionTest, PipelinedCommandsInOneFeed) {
    greet();
    std::string out = send(
        "EHLO client.example\r\nMAIL FROM:<a@client.example>\r\nRCPT TO:<b@remote.example>\r\n"
        "RCPT TO:<unknown@local.example>\r\nDATA\r\nline 1\r\n.\r\nMAIL FROM:<c@client.example>\r\n"
        "RCPT TO:<d@local.example>\r\nDATA\r\nline 2\r\n.\r\nQUIT\r\n");
    EXPECT_EQ(out, std::string(kEhloReply) +
                       "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                       "550 5.1.1 <unknown@local.example>: Recipient address rejected: User unknown\r\n"
                       "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 0000000000ABC001\r\n"
                       "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                       "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 0000000000ABC002\r\n"
                       "221 2.0.0 Bye\r\n");
    EXPECT_TRUE(closed);
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(body_of(messages[0]), "line 1\r\n");
    EXPECT_EQ(body_of(messages[1]), "line 2\r\n");
    EXPECT_EQ(messages[1].envelope.sender, "c@client.example");
    EXPECT_EQ(session().stats().commands, 9u);
}

TEST_F(SessionTest, SameResultForEverySplitOfASession) {
    // A pipelined session with DATA (bare LF, dot stuffing) and BDAT fed in
    // two pieces cut at every offset must behave exactly as fed whole.
    const std::string script =
        "EHLO c\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@remote.example>\r\nDATA\r\n"
        "..x\n\r\n.\r\nMAIL FROM:<a@c.example> BODY=BINARYMIME\r\nRCPT TO:<b@remote.example>\r\n"
        "BDAT 7\r\n\r\n.\r\nQUBDAT 3 LAST\r\nIT\nNOOP\r\nQUIT\r\n";
    std::string whole_out;
    std::vector<std::string> whole_data;
    {
        Driver t;
        whole_out = t.send(script);
        ASSERT_TRUE(t.closed);
        for (auto& m : t.messages) whole_data.push_back(m.data);
    }
    ASSERT_EQ(whole_data.size(), 2u);
    EXPECT_THAT(whole_data[0], ::testing::EndsWith("\r\n.x\r\n\r\n"));
    EXPECT_THAT(whole_data[1], ::testing::EndsWith("\r\n\r\n.\r\nQUIT\n"));   // BDAT: stored as sent
    EXPECT_THAT(whole_out, ::testing::EndsWith("250 2.0.0 7 octets received\r\n"
                                               "250 2.0.0 Ok: queued as 0000000000ABC002\r\n"
                                               "250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n"));
    for (size_t cut = 0; cut <= script.size(); ++cut) {
        Driver t;
        std::string out = t.send(script.substr(0, cut));
        out += t.send(script.substr(cut));
        EXPECT_EQ(out, whole_out) << "cut at " << cut;
        ASSERT_EQ(t.messages.size(), 2u) << "cut at " << cut;
        EXPECT_EQ(t.messages[0].data, whole_data[0]) << "cut at " << cut;
        EXPECT_EQ(t.messages[1].data, whole_data[1]) << "cut at " << cut;
    }
    // And one byte at a time.
    Driver t;
    std::string out;
    for (char c : script) out += t.send(std::string_view(&c, 1));
    EXPECT_EQ(out, whole_out);
}

TEST_F(SessionTest, IncompleteLineIsLeftToTheCaller) {
    size_t consumed = 99;
    std::string out;
    EXPECT_EQ(session().feed("EHLO clie", consumed, out), Event::kNeedInput);
    EXPECT_EQ(consumed, 0u);
    EXPECT_EQ(out, "");
    EXPECT_EQ(session().feed("NOOP\r\nEHLO c", consumed, out), Event::kNeedInput);
    EXPECT_EQ(consumed, 6u);
    EXPECT_EQ(out, "250 2.0.0 Ok\r\n");
}

TEST_F(SessionTest, BareLfCommandLines) {
    EXPECT_EQ(send("NOOP\nRSET\n"), "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n");
}

TEST_F(SessionTest, OverlongCommandLine) {
    config.limits.max_command_line = 100;
    ehlo();
    // A complete overlong line in one piece.
    EXPECT_EQ(send("NOOP " + std::string(200, 'x') + "\r\nNOOP\r\n"),
              "500 5.5.2 Error: line too long\r\n250 2.0.0 Ok\r\n");
    // Exactly at the limit (CRLF included) is fine.
    EXPECT_EQ(send("NOOP " + std::string(93, 'x') + "\r\n"), "250 2.0.0 Ok\r\n");
    EXPECT_EQ(send("NOOP " + std::string(94, 'x') + "\r\n"), "500 5.5.2 Error: line too long\r\n");
    // Arriving in pieces: discarded as it comes, never buffered.
    EXPECT_EQ(send(std::string(150, 'y')), "");
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(send(std::string(5000, 'y')), "");
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(send("yyy\r\nNOOP\r\n"), "500 5.5.2 Error: line too long\r\n250 2.0.0 Ok\r\n");
    EXPECT_EQ(session().stats().bad_commands, 3u);
}

TEST_F(SessionTest, HttpRequestHangsUp) {
    greet();
    EXPECT_EQ(send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
              "421 4.7.0 mx.example Error: I can break rules, too. Goodbye.\r\n");
    EXPECT_TRUE(closed);
}

TEST_F(SessionTest, HeaderAsCommandHangsUp) {
    ehlo();
    send("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@remote.example>\r\n");
    EXPECT_EQ(send("Received: from evil\r\n"), "421 4.7.0 mx.example Error: I can break rules, too. Goodbye.\r\n");
    EXPECT_TRUE(closed);
}

TEST_F(SessionTest, DeclaredSizeTooLarge) {
    config.limits.max_message_size = 1000;
    ehlo();
    EXPECT_EQ(send("MAIL FROM:<a@b.example> SIZE=1001\r\n"), "552 5.3.4 Error: message size exceeds fixed limit\r\n");
    EXPECT_FALSE(session().in_transaction());
    EXPECT_EQ(send("MAIL FROM:<a@b.example> SIZE=1000\r\n"), "250 2.1.0 Ok\r\n");
}

TEST_F(SessionTest, ThePolicyMayRefuseMailFromBeforeItsArguments) {
    policy.mails_allowed = 1;
    ehlo();
    EXPECT_EQ(send("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(send("RSET\r\n"), "250 2.0.0 Ok\r\n");
    // Counted before the arguments are looked at, as Postfix does.
    EXPECT_EQ(send("MAIL FROM:<a@b.example>\r\n"), "450 4.7.1 Error: too much mail from 192.0.2.1\r\n");
    EXPECT_EQ(policy.mail_checked_for, "192.0.2.1");
    EXPECT_FALSE(session().in_transaction());
    EXPECT_EQ(send("RCPT TO:<c@remote.example>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
    // The session goes on.
    EXPECT_EQ(send("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST_F(SessionTest, ThePolicyMayRefuseAnAcceptedRecipientAndTheOthersGoOn) {
    ehlo();
    EXPECT_EQ(send("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(send("RCPT TO:<x@grey.example>\r\n"),
              "451 4.7.1 <x@grey.example>: Recipient address rejected: Greylisted, try again in 300 seconds\r\n");
    EXPECT_EQ(send("RCPT TO:<c@remote.example>\r\n"), "250 2.1.5 Ok\r\n");
    // Only recipients check_recipient accepted are asked about.
    EXPECT_EQ(send("RCPT TO:<c@denied.example>\r\n").substr(0, 4), "554 ");
    EXPECT_EQ(policy.accepted_checked, (std::vector<std::string>{"a@b.example>x@grey.example",
                                                                 "a@b.example>c@remote.example"}));
    EXPECT_EQ(send("DATA\r\n").substr(0, 4), "354 ");
    EXPECT_EQ(send("Subject: t\r\n\r\nbody\r\n.\r\n").substr(0, 4), "250 ");
    ASSERT_EQ(messages.size(), 1u);
    ASSERT_EQ(messages[0].envelope.recipients.size(), 1u);
    EXPECT_EQ(messages[0].envelope.recipients[0].address, "c@remote.example");
}

TEST_F(SessionTest, MailRefusedWith452WhenStorageIsShort) {
    // Postfix below queue_minfree: 452 4.3.1 at MAIL FROM, nothing started.
    policy.free_space = 0;
    ehlo();
    EXPECT_EQ(send("MAIL FROM:<a@b.example>\r\n"), "452 4.3.1 Insufficient system storage\r\n");
    EXPECT_FALSE(session().in_transaction());
    EXPECT_EQ(send("RCPT TO:<c@remote.example>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
    // The declared SIZE is what must fit.
    policy.free_space = 5000;
    EXPECT_EQ(send("MAIL FROM:<a@b.example> SIZE=6000\r\n"), "452 4.3.1 Insufficient system storage\r\n");
    EXPECT_EQ(send("MAIL FROM:<a@b.example> SIZE=4000\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(policy.storage_asked, (std::vector<uint64_t>{0, 6000, 4000}));
    // Space back: the next transaction goes through.
    send("RSET\r\n");
    policy.free_space = UINT64_MAX;
    start_transaction();
    send("DATA\r\nhello\r\n.\r\n");
    EXPECT_EQ(messages.size(), 1u);
}

TEST_F(SessionTest, DataLargerThanLimitIsDiscarded) {
    config.limits.max_message_size = 1000;
    start_transaction();
    EXPECT_EQ(send("DATA\r\n").substr(0, 3), "354");
    std::string line(98, 'x');
    for (int i = 0; i < 200; ++i) EXPECT_EQ(send(line + "\r\n"), "");
    EXPECT_EQ(send(".\r\nNOOP\r\n"), "552 5.3.4 Error: message size exceeds fixed limit\r\n250 2.0.0 Ok\r\n");
    EXPECT_TRUE(messages.empty());
    EXPECT_FALSE(session().in_transaction());
    // A message within the limit still goes through.
    start_transaction();
    send("DATA\r\n" + line + "\r\n.\r\n");
    EXPECT_EQ(messages.size(), 1u);
}

TEST_F(SessionTest, DataLineTooLong) {
    config.limits.max_data_line = 50;
    start_transaction();
    EXPECT_EQ(send("DATA\r\nshort\r\n" + std::string(51, 'x') + "\r\n.\r\n"),
              "354 End data with <CR><LF>.<CR><LF>\r\n552 5.3.4 Error: message line too long\r\n");
    EXPECT_TRUE(messages.empty());
    start_transaction();
    send("DATA\r\n" + std::string(50, 'x') + "\r\n.\r\n");
    EXPECT_EQ(messages.size(), 1u);
}

TEST_F(SessionTest, EmptyMessage) {
    start_transaction();
    EXPECT_EQ(send("DATA\r\n.\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 0000000000ABC001\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(body_of(messages[0]), "");
}

TEST_F(SessionTest, CommitFailure) {
    commit_result = make_error("write failed", EIO);
    start_transaction();
    EXPECT_EQ(send("DATA\r\nx\r\n.\r\n"),
              "354 End data with <CR><LF>.<CR><LF>\r\n451 4.3.0 Error: queue file write error\r\n");
    EXPECT_FALSE(session().in_transaction());
    EXPECT_EQ(session().stats().messages, 0u);
    EXPECT_EQ(send("RCPT TO:<a@remote.example>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
}

// The session knows no layer below the spool; it reads an error by its
// condition. Overload (here the blocking pool's "busy") is a temporary
// failure of this message; shutting down (the pool's or the commit stage's
// "stopped") ends the session with 421 (RFC 5321 3.8).
TEST_F(SessionTest, CommitRefusedUnderLoadIsTemporary) {
    commit_result = make_error("blocking pool busy: 1024 calls waiting", io::BlockingPool::kBusy);
    start_transaction();
    EXPECT_EQ(send("DATA\r\nx\r\n.\r\n"),
              "354 End data with <CR><LF>.<CR><LF>\r\n451 4.3.0 Error: queue file write error\r\n");
    EXPECT_FALSE(closed);
    commit_result = Result<void>();
    start_transaction();
    EXPECT_THAT(send("DATA\r\nx\r\n.\r\n"), HasSubstr("250 2.0.0 Ok: queued as "));
}

TEST_F(SessionTest, CommitRefusedWhileShuttingDownCloses) {
    commit_result = make_error("blocking pool stopped", io::BlockingPool::kStopped);
    start_transaction();
    EXPECT_EQ(send("DATA\r\nx\r\n.\r\nRSET\r\n"),
              "354 End data with <CR><LF>.<CR><LF>\r\n421 4.3.2 mx.example Service shutting down\r\n");
    EXPECT_TRUE(closed);
    EXPECT_EQ(session().stats().messages, 0u);
    std::string out;
    session().shutdown(out);   // the driver's drain: nothing more after the 421
    EXPECT_EQ(out, "");
}

TEST_F(SessionTest, DataWithArgumentIsASyntaxError) {
    start_transaction();
    EXPECT_EQ(send("DATA now\r\n"), "501 5.5.4 Syntax: DATA\r\n");
    EXPECT_FALSE(session().in_data());
}

TEST_F(SessionTest, BdatSingleChunk) {
    start_transaction();
    EXPECT_EQ(send("BDAT 11 LAST\r\nHello\r\n.\nx\r"), "250 2.0.0 Ok: queued as 0000000000ABC001\r\n");
    ASSERT_EQ(messages.size(), 1u);
    // No unstuffing; a bare LF becomes CRLF as after DATA, a lone CR stays.
    EXPECT_EQ(body_of(messages[0]), "Hello\r\n.\r\nx\r");
    EXPECT_THAT(messages[0].data, StartsWith("Received: from client.example ([192.0.2.1])\r\n"
                                             "\tby mx.example (ringpost) with ESMTP id 0000000000ABC001\r\n"
                                             "\tfor <rcpt@remote.example>; "));
}

TEST_F(SessionTest, BdatChunksAcrossManyFeeds) {
    start_transaction();
    EXPECT_EQ(send("BDAT 10\r\n0123"), "");
    EXPECT_TRUE(session().in_data());
    EXPECT_EQ(send("45"), "");
    EXPECT_EQ(send("6789BDAT 3"), "250 2.0.0 10 octets received\r\n");
    EXPECT_FALSE(session().in_data());
    EXPECT_TRUE(session().in_transaction());
    EXPECT_EQ(send(" LAST\r\n"), "");
    EXPECT_EQ(send("a"), "");
    EXPECT_EQ(send("b"), "");
    EXPECT_EQ(send("cNOOP\r\n"), "250 2.0.0 Ok: queued as 0000000000ABC001\r\n250 2.0.0 Ok\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(body_of(messages[0]), "0123456789abc");
    EXPECT_EQ(policy.ids, 1);   // one queue ID per message, not per chunk
}

TEST_F(SessionTest, BdatZeroLast) {
    start_transaction();
    EXPECT_EQ(send("BDAT 5\r\nhelloBDAT 0 LAST\r\n"),
              "250 2.0.0 5 octets received\r\n250 2.0.0 Ok: queued as 0000000000ABC001\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(body_of(messages[0]), "hello");
    // Even a message of no bytes at all.
    start_transaction();
    EXPECT_EQ(send("BDAT 0 LAST\r\n"), "250 2.0.0 Ok: queued as 0000000000ABC002\r\n");
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(body_of(messages[1]), "");
}

TEST_F(SessionTest, BdatWithoutValidTransactionStaysInSync) {
    ehlo();
    // The chunk contains command-looking text; it must be skipped, not run.
    EXPECT_EQ(send("BDAT 6\r\nQUIT\r\nNOOP\r\n"), "503 5.5.1 Error: need MAIL command\r\n250 2.0.0 Ok\r\n");
    EXPECT_FALSE(closed);
    send("MAIL FROM:<a@b.example>\r\n");
    EXPECT_EQ(send("BDAT 3 LAST\r\nabc"), "503 5.5.1 Error: need RCPT command\r\n");
    send("RCPT TO:<unknown@local.example>\r\n");
    EXPECT_EQ(send("BDAT 3 LAST\r\nab"), "");
    EXPECT_EQ(send("cRSET\r\n"), "554 5.5.1 Error: no valid recipients\r\n250 2.0.0 Ok\r\n");
    EXPECT_TRUE(messages.empty());
    EXPECT_EQ(policy.ids, 0);
}

TEST_F(SessionTest, BdatBeforeEhlo) {
    EXPECT_EQ(send("BDAT 4\r\nQUITNOOP\r\n"), "502 5.5.1 Error: command not implemented\r\n250 2.0.0 Ok\r\n");
}

TEST_F(SessionTest, BdatSyntaxError) {
    start_transaction();
    EXPECT_EQ(send("BDAT x\r\n"), "501 5.5.4 Syntax: BDAT count [LAST]\r\n");
    EXPECT_EQ(send("BDAT\r\n"), "501 5.5.4 Syntax: BDAT count [LAST]\r\n");
    EXPECT_EQ(send("BDAT 3 LAST x\r\n"), "501 5.5.4 Syntax: BDAT count [LAST]\r\n");
    EXPECT_FALSE(session().in_data());
}

TEST_F(SessionTest, BdatTooLarge) {
    config.limits.max_message_size = 100;
    start_transaction();
    EXPECT_EQ(send("BDAT 60\r\n" + std::string(60, 'a')), "250 2.0.0 60 octets received\r\n");
    // This chunk crosses the limit: counted, discarded, refused...
    EXPECT_EQ(send("BDAT 50\r\n" + std::string(50, 'b')), "552 5.3.4 Error: message size exceeds fixed limit\r\n");
    EXPECT_FALSE(session().in_transaction());
    // ...and chunks the client had already pipelined are skipped too.
    EXPECT_EQ(send("BDAT 10 LAST\r\n" + std::string(10, 'c') + "NOOP\r\n"),
              "503 5.5.1 Error: need MAIL command\r\n250 2.0.0 Ok\r\n");
    EXPECT_TRUE(messages.empty());
    // A single LAST chunk over the limit.
    start_transaction();
    EXPECT_EQ(send("BDAT 101 LAST\r\n" + std::string(101, 'd')),
              "552 5.3.4 Error: message size exceeds fixed limit\r\n");
    EXPECT_TRUE(messages.empty());
    start_transaction();
    EXPECT_EQ(send("BDAT 100 LAST\r\n" + std::string(100, 'e')), "250 2.0.0 Ok: queued as 0000000000ABC003\r\n");
    EXPECT_EQ(messages.size(), 1u);
}

TEST_F(SessionTest, DataAfterBdatIsRefused) {
    start_transaction();
    send("BDAT 3\r\nabc");
    EXPECT_EQ(send("DATA\r\n"), "503 5.5.1 Error: DATA after BDAT\r\n");
    EXPECT_EQ(send("RCPT TO:<x@remote.example>\r\n"), "503 5.5.1 Error: RCPT after BDAT\r\n");
    EXPECT_EQ(send("BDAT 1 LAST\r\nd"), "250 2.0.0 Ok: queued as 0000000000ABC001\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(body_of(messages[0]), "abcd");
}

// POP3's LIST size, IMAP's RFC822.SIZE and the delivery client all count
// lines as CRLF: a message sent with BDAT must be stored as DATA stores it.
TEST_F(SessionTest, BdatBareLineFeedsAreStoredAsCrlfLikeData) {
    start_transaction();
    // A CRLF split across two chunks is not a bare LF.
    EXPECT_EQ(send("BDAT 6\r\nS: a\n\rBDAT 4 LAST\r\n\nb\nc"),
              "250 2.0.0 6 octets received\r\n250 2.0.0 Ok: queued as 0000000000ABC001\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(body_of(messages[0]), "S: a\r\n\r\nb\r\nc");
    EXPECT_EQ(messages[0].envelope.body_size, messages[0].data.size());

    start_transaction();
    EXPECT_EQ(send("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(send("S: a\n\nb\nc\r\n.\r\n"), "250 2.0.0 Ok: queued as 0000000000ABC002\r\n");
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(body_of(messages[1]), "S: a\r\n\r\nb\r\nc\r\n");
}

TEST_F(SessionTest, BdatSizeLimitCountsTheWidenedLines) {
    config.limits.max_message_size = 10;
    start_transaction();
    // 10 bytes as sent, 12 once its two bare LFs are CRLF: over the limit,
    // as the same lines would be after DATA.
    EXPECT_EQ(send("BDAT 10 LAST\r\n1234\n6789\n"), "552 5.3.4 Error: message size exceeds fixed limit\r\n");
    EXPECT_TRUE(messages.empty());
    start_transaction();
    EXPECT_EQ(send("BDAT 10 LAST\r\n12345678\r\n"), "250 2.0.0 Ok: queued as 0000000000ABC002\r\n");
}

TEST_F(SessionTest, BinaryMimeRequiresBdat) {
    start_transaction(" BODY=BINARYMIME");
    EXPECT_EQ(send("DATA\r\n"), "503 5.5.1 Error: BODY=BINARYMIME requires BDAT\r\n");
    EXPECT_EQ(send(std::string("BDAT 4 LAST\r\n\x00\xff\r\n", 17)), "250 2.0.0 Ok: queued as 0000000000ABC001\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].envelope.body_type, mail::BodyType::kBinaryMime);
    EXPECT_EQ(body_of(messages[0]), std::string("\x00\xff\r\n", 4));
    // Binary content is never touched: a bare LF stays one byte.
    start_transaction(" BODY=BINARYMIME");
    EXPECT_EQ(send("BDAT 3 LAST\r\na\nb"), "250 2.0.0 Ok: queued as 0000000000ABC002\r\n");
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(body_of(messages[1]), "a\nb");
}

TEST_F(SessionTest, RsetAndEhloEndTheTransaction) {
    start_transaction();
    EXPECT_EQ(send("RSET\r\n"), "250 2.0.0 Ok\r\n");
    EXPECT_FALSE(session().in_transaction());
    EXPECT_EQ(send("RCPT TO:<a@remote.example>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
    EXPECT_EQ(send("RSET x\r\n"), "501 5.5.4 Syntax: RSET\r\n");
    start_transaction();
    EXPECT_EQ(ehlo(), kEhloReply);
    EXPECT_FALSE(session().in_transaction());
}

TEST_F(SessionTest, SimpleCommands) {
    EXPECT_EQ(send("NOOP\r\n"), "250 2.0.0 Ok\r\n");
    EXPECT_EQ(send("noop whatever\r\n"), "250 2.0.0 Ok\r\n");
    EXPECT_THAT(send("VRFY root\r\n"), StartsWith("252 2.1.5 "));
    EXPECT_EQ(send("VRFY\r\n"), "501 5.5.4 Syntax: VRFY address\r\n");
    EXPECT_THAT(send("HELP\r\n"), StartsWith("214 2.0.0 "));
    EXPECT_EQ(send("STARTTLS\r\n"), "502 5.5.1 Error: command not implemented\r\n");
    EXPECT_EQ(send("AUTH PLAIN AGFAYg==\r\n"), "503 5.5.1 Error: authentication not enabled\r\n");
    EXPECT_EQ(send("XCLIENT ADDR=1.2.3.4\r\n"), "500 5.5.2 Error: command not recognized\r\n");
    EXPECT_EQ(send("QUIT now\r\n"), "501 5.5.4 Syntax: QUIT\r\n");
    EXPECT_FALSE(closed);
    EXPECT_EQ(send("QUIT\r\nNOOP\r\n"), "221 2.0.0 Bye\r\n");
    EXPECT_TRUE(closed);
    EXPECT_EQ(pending, "NOOP\r\n");
}

TEST_F(SessionTest, StarttlsResetsTheSessionAndDropsPipelinedPlaintext) {
    config.advertise_starttls = true;
    EXPECT_THAT(ehlo(), HasSubstr("250-ENHANCEDSTATUSCODES\r\n250-CHUNKING"));
    // CVE-2011-0411: the RSET sent in the same packet is not answered.
    EXPECT_EQ(send("STARTTLS\r\nRSET\r\n"), "220 2.0.0 Ready to start TLS\r\n");
    EXPECT_TRUE(starttls);
    EXPECT_EQ(discarded, "RSET\r\n");
    tls_started();
    // RFC 3207 4.2: the EHLO from before counts no more.
    EXPECT_EQ(send("MAIL FROM:<a@client.example>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
    std::string again = ehlo();
    EXPECT_THAT(again, Not(HasSubstr("STARTTLS")));
    EXPECT_EQ(send("STARTTLS\r\n"), "554 5.5.1 Error: TLS already active\r\n");
    EXPECT_EQ(send("MAIL FROM:<a@client.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(send("RCPT TO:<user@local.example>\r\n"), "250 2.1.5 Ok\r\n");
    send("DATA\r\nSubject: x\r\n\r\nx\r\n.\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].envelope.protocol, "ESMTPS");
    EXPECT_THAT(messages[0].data,
                StartsWith("Received: from client.example ([192.0.2.1])\r\n"
                           "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
                           "\tby mx.example (ringpost) with ESMTPS id 0000000000ABC001\r\n"));
}

TEST_F(SessionTest, StarttlsForgetsTheTransactionAndTheLogin) {
    config.advertise_starttls = true;
    config.auth_available = true;
    config.allow_plaintext_auth = true;
    config.submission = true;
    ehlo();
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "secret") + "\r\n"),
              "235 2.7.0 Authentication successful\r\n");
    EXPECT_EQ(send("MAIL FROM:<alice@local.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(send("STARTTLS\r\n"), "503 5.5.1 Error: MAIL transaction in progress\r\n");
    EXPECT_EQ(send("RSET\r\n"), "250 2.0.0 Ok\r\n");
    EXPECT_EQ(send("STARTTLS\r\n"), "220 2.0.0 Ready to start TLS\r\n");
    tls_started();
    ehlo();
    EXPECT_EQ(send("MAIL FROM:<alice@local.example>\r\n"), "530 5.7.0 Authentication required\r\n");
}

TEST_F(SessionTest, StarttlsRefusals) {
    EXPECT_EQ(send("STARTTLS\r\n"), "502 5.5.1 Error: command not implemented\r\n");   // no certificate
    config.advertise_starttls = true;
    session_.reset();
    ehlo();
    EXPECT_EQ(send("STARTTLS now\r\n"), "501 5.5.4 Syntax: STARTTLS\r\n");
    EXPECT_FALSE(starttls);
}

TEST_F(SessionTest, AuthOfferedAndAcceptedOnlyOverTls) {
    config.auth_available = true;
    EXPECT_THAT(ehlo(), Not(HasSubstr("AUTH")));
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "secret") + "\r\n"),
              "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
    EXPECT_TRUE(auths.empty());

    Driver tls;
    tls.config.auth_available = true;
    tls.client.tls = true;
    EXPECT_THAT(tls.ehlo(), HasSubstr("250-DSN\r\n250 AUTH PLAIN LOGIN\r\n"));

    Driver plaintext_allowed;
    plaintext_allowed.config.auth_available = true;
    plaintext_allowed.config.allow_plaintext_auth = true;
    EXPECT_THAT(plaintext_allowed.ehlo(), HasSubstr("250 AUTH PLAIN LOGIN\r\n"));

    Driver no_authenticator;
    no_authenticator.client.tls = true;
    EXPECT_THAT(no_authenticator.ehlo(), Not(HasSubstr("AUTH")));
}

class AuthTest : public SessionTest {
protected:
    void SetUp() override {
        config.auth_available = true;
        client.tls = true;
        client.tls_version = "TLSv1.3";
        client.tls_cipher = "TLS_AES_128_GCM_SHA256";
        client.tls_cipher_bits = 128;
    }
};

TEST_F(AuthTest, PlainWithInitialResponse) {
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "secret") + "\r\n"),
              "503 5.5.1 Error: send EHLO first\r\n");
    ehlo();
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "secret") + "\r\n"),
              "235 2.7.0 Authentication successful\r\n");
    ASSERT_EQ(auths.size(), 1u);
    EXPECT_EQ(auths[0].user, "alice@local.example");
    EXPECT_EQ(auths[0].password, "secret");
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "secret") + "\r\n"),
              "503 5.5.1 Error: already authenticated\r\n");
    // Authenticated: relaying allowed by the policy, and ESMTPSA.
    EXPECT_EQ(send("MAIL FROM:<x@y.example>\r\nRCPT TO:<r@remote.example>\r\nDATA\r\nx\r\n.\r\n"),
              "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
              "250 2.0.0 Ok: queued as 0000000000ABC001\r\n");
    EXPECT_TRUE(policy.last_authenticated);
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].envelope.protocol, "ESMTPSA");
    EXPECT_THAT(messages[0].data, HasSubstr("\t(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits))\r\n"
                                            "\tby mx.example (ringpost) with ESMTPSA id "));
    // Not a submission listener: no headers added.
    EXPECT_EQ(body_of(messages[0]), "x\r\n");
}

TEST_F(AuthTest, PlainInContinuationAndWithAuthzid) {
    ehlo();
    EXPECT_EQ(send("AUTH PLAIN\r\n"), "334 \r\n");
    EXPECT_EQ(send(plain("alice@local.example", "secret", "alice@local.example") + "\r\n"),
              "235 2.7.0 Authentication successful\r\n");

    Driver other;
    other.config = config;
    other.client = client;
    other.ehlo();
    // Logging in as one user to act as another is not supported.
    EXPECT_EQ(other.send("AUTH PLAIN " + plain("alice@local.example", "secret", "bob@local.example") + "\r\n"),
              "535 5.7.8 Error: authentication failed\r\n");
    EXPECT_TRUE(other.auths.empty());
    EXPECT_EQ(other.send("AUTH PLAIN =\r\n"), "501 5.5.2 Error: invalid PLAIN response\r\n");
}

TEST_F(AuthTest, Login) {
    ehlo();
    EXPECT_EQ(send("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(send(b64("alice@local.example") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
    EXPECT_EQ(send(b64("secret") + "\r\n"), "235 2.7.0 Authentication successful\r\n");

    Driver initial;
    initial.config = config;
    initial.client = client;
    initial.ehlo();
    EXPECT_EQ(initial.send("auth login " + b64("alice@local.example") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
    EXPECT_EQ(initial.send(b64("wrong") + "\r\n"), "535 5.7.8 Error: authentication failed\r\n");
    ASSERT_EQ(initial.auths.size(), 1u);
    EXPECT_EQ(initial.auths[0].password, "wrong");
}

TEST_F(AuthTest, PipelinedExchange) {
    ehlo();
    EXPECT_EQ(send("AUTH LOGIN\r\n" + b64("alice@local.example") + "\r\n" + b64("secret") + "\r\nNOOP\r\n"),
              "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication successful\r\n250 2.0.0 Ok\r\n");
}

TEST_F(AuthTest, CancelBadBase64AndUnknownMechanism) {
    ehlo();
    EXPECT_EQ(send("AUTH PLAIN\r\n"), "334 \r\n");
    EXPECT_EQ(send("*\r\n"), "501 5.7.0 Error: authentication aborted\r\n");
    EXPECT_EQ(send("NOOP\r\n"), "250 2.0.0 Ok\r\n");   // a command again
    EXPECT_EQ(send("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(send(b64("alice@local.example") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
    EXPECT_EQ(send("*\r\n"), "501 5.7.0 Error: authentication aborted\r\n");
    EXPECT_EQ(send("AUTH PLAIN not*base64\r\n"), "501 5.5.2 Error: cannot decode response\r\n");
    EXPECT_EQ(send("AUTH PLAIN\r\n"), "334 \r\n");
    EXPECT_EQ(send("AGFAYg\r\n"), "501 5.5.2 Error: cannot decode response\r\n");   // unpadded
    EXPECT_EQ(send("AUTH CRAM-MD5\r\n"), "504 5.5.4 Error: unsupported authentication mechanism\r\n");
    EXPECT_EQ(send("AUTH\r\n"), "501 5.5.4 Syntax: AUTH mechanism\r\n");
    EXPECT_TRUE(auths.empty());
    EXPECT_FALSE(closed);
}

TEST_F(AuthTest, WrongPasswordsThenHangUp) {
    ehlo();
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "guess1") + "\r\n"),
              "535 5.7.8 Error: authentication failed\r\n");
    EXPECT_EQ(send("AUTH PLAIN " + plain("nobody@local.example", "secret") + "\r\n"),
              "535 5.7.8 Error: authentication failed\r\n");
    EXPECT_FALSE(closed);
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "guess3") + "\r\n"),
              "535 5.7.8 Error: authentication failed\r\n"
              "421 4.7.0 mx.example Error: too many authentication failures\r\n");
    EXPECT_TRUE(closed);
    EXPECT_EQ(auths.size(), 3u);
}

TEST_F(AuthTest, TemporaryFailureAndTransaction) {
    ehlo();
    auth_tempfail = true;
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "secret") + "\r\n"),
              "454 4.7.0 Temporary authentication failure\r\n");
    auth_tempfail = false;
    EXPECT_EQ(send("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "secret") + "\r\n"),
              "503 5.5.1 Error: MAIL transaction in progress\r\n");
}

TEST_F(AuthTest, AuthDisabled) {
    config.auth_available = false;
    ehlo();
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "secret") + "\r\n"),
              "503 5.5.1 Error: authentication not enabled\r\n");
}

class SubmissionTest : public AuthTest {
protected:
    void SetUp() override {
        AuthTest::SetUp();
        config.submission = true;
    }
    void login() {
        ehlo();
        ASSERT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "secret") + "\r\n"),
                  "235 2.7.0 Authentication successful\r\n");
    }
};

TEST_F(SubmissionTest, AuthBeforeMail) {
    ehlo();
    EXPECT_EQ(send("MAIL FROM:<alice@local.example>\r\n"), "530 5.7.0 Authentication required\r\n");
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "secret") + "\r\n"),
              "235 2.7.0 Authentication successful\r\n");
    EXPECT_EQ(send("MAIL FROM:<alice@local.example>\r\n"), "250 2.1.0 Ok\r\n");
}

TEST_F(SubmissionTest, SenderMustBeTheUser) {
    login();
    EXPECT_EQ(send("MAIL FROM:<bob@local.example>\r\n"),
              "553 5.7.1 Error: sender address rejected: not owned by the authenticated user\r\n");
    EXPECT_EQ(send("MAIL FROM:<Alice@LOCAL.example>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(send("RSET\r\nMAIL FROM:<>\r\n"), "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n");

    Driver lax;
    lax.config = config;
    lax.config.require_sender_match = false;
    lax.client = client;
    lax.ehlo();
    lax.send("AUTH PLAIN " + plain("alice@local.example", "secret") + "\r\n");
    EXPECT_EQ(lax.send("MAIL FROM:<bob@local.example>\r\n"), "250 2.1.0 Ok\r\n");
}

TEST_F(SubmissionTest, AddsMissingDateAndMessageId) {
    login();
    send("MAIL FROM:<alice@local.example>\r\nRCPT TO:<r@remote.example>\r\n"
         "DATA\r\nSubject: none\r\n\r\nbody\r\n.\r\n");
    ASSERT_EQ(messages.size(), 1u);
    const std::string& d = messages[0].data;
    EXPECT_THAT(d, HasSubstr("for <r@remote.example>; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                             "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                             "Message-ID: <1700000000.0000000000ABC001@mx.example>\r\n"
                             "Subject: none\r\n\r\nbody\r\n"));
    EXPECT_EQ(messages[0].envelope.body_size, d.size());

    // Only what is missing, whatever the case of the field names.
    send("MAIL FROM:<alice@local.example>\r\nRCPT TO:<r@remote.example>\r\n"
         "DATA\r\nDATE: Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: x\r\n\r\nMessage-ID: <body@x>\r\n.\r\n");
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_THAT(messages[1].data, Not(HasSubstr("\r\nDate: ")));
    EXPECT_THAT(messages[1].data, HasSubstr("Message-ID: <1700000000.0000000000ABC002@mx.example>\r\nDATE: "));

    // Both present (BDAT): unchanged.
    std::string msg = "Message-Id: <a@b>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nx\r\n";
    send("MAIL FROM:<alice@local.example>\r\nRCPT TO:<r@remote.example>\r\nBDAT " + std::to_string(msg.size()) +
         " LAST\r\n" + msg);
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(body_of(messages[2]), msg);
}

TEST_F(SessionTest, TimeoutAndShutdown) {
    std::string out;
    session().timeout(out);
    EXPECT_EQ(out, "421 4.4.2 mx.example Error: timeout exceeded\r\n");
    size_t consumed = 0;
    std::string more;
    EXPECT_EQ(session().feed("NOOP\r\n", consumed, more), Event::kClose);
    EXPECT_EQ(more, "");

    Session other(config, policy, client);
    out.clear();
    other.shutdown(out);
    EXPECT_EQ(out, "421 4.3.2 mx.example Service shutting down\r\n");
    EXPECT_EQ(other.feed("NOOP\r\n", consumed, more), Event::kClose);
}

TEST_F(SessionTest, MessagesPerSessionLimit) {
    config.limits.max_messages_per_session = 1;
    start_transaction();
    send("DATA\r\nx\r\n.\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(send("MAIL FROM:<a@b.example>\r\n"), "421 4.7.0 mx.example Error: too many messages in this session\r\n");
    EXPECT_TRUE(closed);
}

TEST_F(SessionTest, ConfigCanBeATemporary) {
    std::string out;
    auto make_config = [] {
        SessionConfig c;
        c.hostname = "tmp.example";
        return c;
    };
    auto s = std::make_unique<Session>(make_config(), policy, ClientInfo{});
    s->greet(out);
    EXPECT_EQ(out, "220 tmp.example ESMTP ringpost\r\n");
}

TEST_F(SessionTest, LargeMessageInManyReads) {
    start_transaction(" SIZE=2000000");
    EXPECT_EQ(send("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
    std::string block;
    for (int i = 0; i < 52; ++i) block += std::string(76, char('a' + i % 26)) + "\r\n";   // 4056 bytes
    for (int i = 0; i < 250; ++i) EXPECT_EQ(send(block), "");
    EXPECT_EQ(send(".\r\n"), "250 2.0.0 Ok: queued as 0000000000ABC001\r\n");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(body_of(messages[0]).size(), 250 * block.size());
    EXPECT_EQ(messages[0].envelope.body_size, messages[0].data.size());
}

// --- Error limits (Postfix's smtpd_soft_error_limit, smtpd_hard_error_limit,
// smtpd_junk_command_limit, smtpd_error_sleep_time) ---

namespace {
std::string repeat(std::string_view line, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.append(line);
    return s;
}
const char kUnknown[] = "550 5.1.1 <unknown@local.example>: Recipient address rejected: User unknown\r\n";
const char kTooManyErrors[] = "421 4.7.0 mx.example Error: too many errors\r\n";
}  // namespace

TEST_F(SessionTest, HarvestingRecipientsIsDelayedThenCutOff) {
    // The defaults: 10 errors before the delay starts, 421 at the 20th.
    ehlo();
    send("MAIL FROM:<h@client.example>\r\n");
    std::string out = send(repeat("RCPT TO:<unknown@local.example>\r\n", 25));
    EXPECT_EQ(out, repeat(kUnknown, 20) + kTooManyErrors);
    EXPECT_TRUE(closed);
    // Replies 11..20 waited: each delay came right after the reply before it.
    EXPECT_EQ(delays_after, (std::vector<long>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
    EXPECT_EQ(session().stats().delays, 10u);
    EXPECT_EQ(session().stats().bad_commands, 20u);
    EXPECT_TRUE(session().too_many_errors());
    EXPECT_EQ(session().reply_delay(), std::chrono::milliseconds(1000));
}

TEST_F(SessionTest, EveryRejectionCountsAsAnError) {
    config.limits.hard_error_limit = 0;   // count only
    config.limits.soft_error_limit = 0;
    ehlo();
    send("MAIL FROM:<h@client.example>\r\n");
    send("RCPT TO:<unknown@local.example>\r\n");   // 550
    send("RCPT TO:<x@denied.example>\r\n");         // 554
    send("RCPT TO:<x@tempfail.example>\r\n");       // 451
    EXPECT_EQ(send("DATA\r\n"), "554 5.5.1 Error: no valid recipients\r\n");
    EXPECT_EQ(session().stats().bad_commands, 4u);
    send("RSET\r\n");
    EXPECT_EQ(send("MAIL FROM:<h@client.example> SIZE=999999999\r\n").substr(0, 4), "552 ");
    EXPECT_EQ(session().stats().bad_commands, 5u);
    // A failed commit is an error too; accepted recipients never are.
    commit_result = make_error("write failed", EIO);
    send("MAIL FROM:<h@client.example>\r\nRCPT TO:<r@remote.example>\r\nDATA\r\nx\r\n.\r\n");
    EXPECT_EQ(session().stats().bad_commands, 6u);
    EXPECT_TRUE(delays_after.empty());
    EXPECT_FALSE(closed);
}

TEST_F(SessionTest, DelayAppliesToEveryReplyPastTheSoftLimit) {
    config.limits.soft_error_limit = 2;
    config.limits.error_delay = std::chrono::milliseconds(250);
    EXPECT_EQ(send("FOO\r\nBAR\r\n"), "500 5.5.2 Error: command not recognized\r\n"
                                      "500 5.5.2 Error: command not recognized\r\n");
    EXPECT_TRUE(delays_after.empty());
    // Now even good commands wait, each one in turn, in order.
    EXPECT_EQ(send("EHLO client.example\r\nMAIL FROM:<a@client.example>\r\n"),
              std::string(kEhloReply) + "250 2.1.0 Ok\r\n");
    EXPECT_EQ(delays_after, (std::vector<long>{0, 9}));   // before EHLO, and after its 9 lines
    EXPECT_EQ(session().reply_delay(), std::chrono::milliseconds(250));
}

TEST_F(SessionTest, DelayedCommandStaysUnconsumedUntilFedAgain) {
    config.limits.soft_error_limit = 1;
    send("FOO\r\n");
    Session& s = session();
    std::string out;
    size_t consumed = 99;
    EXPECT_EQ(s.feed("NOOP\r\nNOOP\r\n", consumed, out), Event::kDelay);
    EXPECT_EQ(consumed, 0u);
    EXPECT_EQ(out, "");
    // Fed again (after the wait): answered, then the next one is held.
    EXPECT_EQ(s.feed("NOOP\r\nNOOP\r\n", consumed, out), Event::kDelay);
    EXPECT_EQ(consumed, 6u);
    EXPECT_EQ(out, "250 2.0.0 Ok\r\n");
    // An incomplete line is not delayed: there is nothing to answer yet.
    out.clear();
    EXPECT_EQ(s.feed("NOO", consumed, out), Event::kNeedInput);
    EXPECT_EQ(consumed, 0u);
}

TEST_F(SessionTest, OverlongLineRepliesAreDelayedToo) {
    config.limits.soft_error_limit = 1;
    config.limits.max_command_line = 100;
    send("FOO\r\n");
    EXPECT_EQ(send(std::string(150, 'y')), "");   // skipped as it arrives
    EXPECT_TRUE(delays_after.empty());
    EXPECT_EQ(send("yyy\r\n"), "500 5.5.2 Error: line too long\r\n");
    EXPECT_EQ(delays_after, (std::vector<long>{0}));
}

TEST_F(SessionTest, NoDelayWhenErrorDelayIsZero) {
    config.limits.error_delay = std::chrono::milliseconds(0);
    ehlo();
    send("MAIL FROM:<h@client.example>\r\n");
    EXPECT_EQ(send(repeat("RCPT TO:<unknown@local.example>\r\n", 25)), repeat(kUnknown, 20) + kTooManyErrors);
    EXPECT_TRUE(delays_after.empty());
    EXPECT_TRUE(closed);
}

TEST_F(SessionTest, JunkCommandsBeyondTheLimitAreErrors) {
    config.limits.junk_command_limit = 4;
    config.limits.hard_error_limit = 3;
    EXPECT_EQ(send(repeat("NOOP\r\n", 4)), repeat("250 2.0.0 Ok\r\n", 4));
    EXPECT_EQ(session().stats().bad_commands, 0u);
    // Junk 5 and 6: answered as always, but each is an error now.
    EXPECT_EQ(send("RSET\r\nVRFY postmaster\r\n"),
              "250 2.0.0 Ok\r\n252 2.1.5 Cannot VRFY user, but will accept message and attempt delivery\r\n");
    EXPECT_EQ(session().stats().bad_commands, 2u);
    EXPECT_FALSE(closed);
    EXPECT_EQ(send("HELP\r\nNOOP\r\n"),
              std::string("214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP\r\n") +
                  kTooManyErrors);
    EXPECT_TRUE(closed);
    EXPECT_TRUE(session().too_many_errors());
}

TEST_F(SessionTest, OtherCommandsAreNotJunk) {
    config.limits.junk_command_limit = 1;
    config.limits.hard_error_limit = 1;
    for (int i = 0; i < 3; ++i) {
        ehlo();
        EXPECT_EQ(send("HELO client.example\r\n"), "250 mx.example\r\n");
        EXPECT_EQ(send("MAIL FROM:<a@client.example>\r\nRCPT TO:<r@remote.example>\r\n"),
                  "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
        send("DATA\r\nx\r\n.\r\n");
    }
    EXPECT_EQ(send("NOOP\r\n"), "250 2.0.0 Ok\r\n");   // the one junk command allowed
    EXPECT_FALSE(closed);
    EXPECT_EQ(messages.size(), 3u);
}

TEST_F(SessionTest, AcceptedMessageForgivesErrorsAndJunk) {
    // A bulk sender: RSET and NOOPs between messages and a dead address in
    // every list add up across the session, but never between two messages.
    config.limits.soft_error_limit = 3;
    config.limits.hard_error_limit = 4;
    config.limits.junk_command_limit = 2;
    ehlo();
    for (int m = 0; m < 10; ++m) {
        std::string out = send("MAIL FROM:<list@client.example>\r\n"
                               "RCPT TO:<unknown@local.example>\r\nRCPT TO:<unknown@local.example>\r\n"
                               "RCPT TO:<r@remote.example>\r\nDATA\r\nx\r\n.\r\nRSET\r\nNOOP\r\n");
        EXPECT_THAT(out, HasSubstr("Ok: queued as")) << "message " << m;
        EXPECT_THAT(out, EndsWith("250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n")) << "message " << m;
    }
    EXPECT_EQ(messages.size(), 10u);
    EXPECT_FALSE(closed);
    EXPECT_TRUE(delays_after.empty());
    EXPECT_EQ(session().stats().bad_commands, 20u);   // the session's total, for the log
    // Without a message in between they do add up: one more junk command
    // (an error), then 3 errors: the soft limit delays, the hard limit hangs up.
    send("RSET\r\n");
    EXPECT_EQ(session().stats().bad_commands, 21u);
    EXPECT_EQ(send("FOO\r\nFOO\r\nFOO\r\n"), repeat("500 5.5.2 Error: command not recognized\r\n", 3) + kTooManyErrors);
    EXPECT_EQ(delays_after, (std::vector<long>{2}));
    EXPECT_TRUE(closed);
}

TEST_F(SessionTest, FailedMessageForgivesNothing) {
    config.limits.hard_error_limit = 3;
    commit_result = make_error("write failed", EIO);
    ehlo();
    send("FOO\r\n");
    EXPECT_EQ(send("MAIL FROM:<a@client.example>\r\nRCPT TO:<r@remote.example>\r\nDATA\r\nx\r\n.\r\n"),
              "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
              "451 4.3.0 Error: queue file write error\r\n");
    EXPECT_EQ(send("FOO\r\n"), std::string("500 5.5.2 Error: command not recognized\r\n") + kTooManyErrors);
}

TEST_F(SessionTest, AuthFailuresAreErrors) {
    config.auth_available = true;
    config.allow_plaintext_auth = true;
    config.max_auth_failures = 0;
    config.limits.hard_error_limit = 2;
    ehlo();
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "wrong") + "\r\n"),
              "535 5.7.8 Error: authentication failed\r\n");
    EXPECT_EQ(send("AUTH PLAIN " + plain("alice@local.example", "wrong") + "\r\n"),
              std::string("535 5.7.8 Error: authentication failed\r\n") + kTooManyErrors);
    EXPECT_TRUE(closed);
}
