// The delivery client's state machine, driven byte for byte as a server
// would: greeting and EHLO/HELO, pipelined and one-at-a-time transactions
// with mixed recipient results, refusals decided before MAIL (SMTPUTF8,
// SIZE, unconvertible 8-bit), 8-bit bodies converted for a server without
// 8BITMIME, BDAT, 421 and lost connections, connection reuse, the STARTTLS
// hook and the timeouts it names.
#include <gtest/gtest.h>

#include <string>

#include "client_session_harness.hpp"

using namespace ringpost;
using namespace ringpost::delivery;
using namespace ringpost::delivery::test;

TEST(ClientSession, GreetingAndEhloRecordExtensions) {
    Harness h;
    h.hello(kFullEhlo);
    const Capabilities& c = h.s.capabilities();
    EXPECT_TRUE(c.esmtp);
    EXPECT_TRUE(c.has(kExtPipelining));
    EXPECT_TRUE(c.has(kExtDsn));
    EXPECT_FALSE(c.has(kExtChunking));
    EXPECT_EQ(c.max_size, 1000000u);
    EXPECT_EQ(h.s.greeting(), "mx.example.org ESMTP");
}

TEST(ClientSession, HeloFallbackThenOneCommandAtATime) {
    Harness h;
    h.reply("220 old.example.org\r\n");
    EXPECT_EQ(h.drain(), "EHLO relay.example.net\r\n");
    h.reply("502 5.5.2 what?\r\n");
    EXPECT_EQ(h.drain(), "HELO relay.example.net\r\n");
    h.reply("250 old.example.org\r\n");
    ASSERT_EQ(h.s.want(), Want::kReady);
    EXPECT_FALSE(h.s.capabilities().esmtp);

    Transaction tx = make_tx({"b@x.org", "c@x.org"});
    tx.body_type = mail::BodyType::k8BitMime;
    h.s.begin(std::move(tx));
    // No PIPELINING, no SIZE, no 8BITMIME: a bare MAIL, then wait.
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net>\r\n");
    EXPECT_EQ(h.s.timeout_kind(), TimeoutKind::kMail);
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.drain(), "RCPT TO:<b@x.org>\r\n");
    EXPECT_EQ(h.s.timeout_kind(), TimeoutKind::kRcpt);
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.drain(), "RCPT TO:<c@x.org>\r\n");
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.drain(), "DATA\r\n");
    EXPECT_EQ(h.s.timeout_kind(), TimeoutKind::kDataInit);
    h.reply("354 go\r\n");
    EXPECT_EQ(h.s.timeout_kind(), TimeoutKind::kDataBlock);
    EXPECT_EQ(h.drain(), "Subject: t\r\n\r\nhello\r\n.\r\n");
    EXPECT_EQ(h.s.timeout_kind(), TimeoutKind::kDataTerm);
    h.reply("250 queued\r\n");
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    EXPECT_FALSE(r.converted_to_7bit);   // declared 8BITMIME, but not an 8-bit byte in it
    EXPECT_FALSE(r.used_bdat);
    ASSERT_EQ(r.recipients.size(), 2u);
    for (const auto& d : r.recipients) {
        EXPECT_EQ(d.outcome, Outcome::kDelivered);
        EXPECT_EQ(d.code, 250);
        EXPECT_EQ(d.enhanced, "2.0.0");   // derived: the server gave none
    }
    EXPECT_EQ(h.s.want(), Want::kReady);
}

TEST(ClientSession, EhloTemporaryFailureEndsSession) {
    Harness h;
    h.reply("220 mx\r\n");
    h.drain();
    h.reply("454 4.7.0 try later\r\n");
    EXPECT_EQ(h.drain(), "QUIT\r\n");
    ASSERT_TRUE(h.s.failure().has_value());
    EXPECT_EQ(h.s.failure()->outcome, Outcome::kDeferred);
    h.reply("221 bye\r\n");
    EXPECT_EQ(h.s.want(), Want::kClosed);
}

TEST(ClientSession, GreetingRefusals) {
    {
        Harness h;
        h.reply("554 5.7.1 no mail service here\r\n");
        // RFC 5321 3.1: after a 554 greeting the client still says QUIT.
        EXPECT_EQ(h.drain(), "QUIT\r\n");
        h.reply("221 bye\r\n");
        EXPECT_EQ(h.s.want(), Want::kClosed);
        ASSERT_TRUE(h.s.failure());
        EXPECT_EQ(h.s.failure()->outcome, Outcome::kFailed);
        EXPECT_EQ(h.s.failure()->to_string(), "554 5.7.1 no mail service here");
    }
    {
        Harness h;
        h.reply("421 4.3.2 busy\r\n");
        EXPECT_EQ(h.s.want(), Want::kClosed);   // the server is closing: no QUIT
        EXPECT_EQ(h.s.failure()->outcome, Outcome::kDeferred);
        EXPECT_EQ(h.s.failure()->code, 421);
    }
}

TEST(ClientSession, PipelinedTransactionWithMixedRecipientResults) {
    Harness h;
    h.hello(kFullEhlo);
    const std::string body = "Subject: t\r\n\r\n.leading dot\r\nbye\r\n";
    h.s.begin(make_tx({"ok@x.org", "later@x.org", "nobody@x.org"}, body));
    // RFC 2920: MAIL, every RCPT and DATA in one write.
    EXPECT_EQ(h.drain(),
              "MAIL FROM:<alice@example.net> SIZE=" + std::to_string(body.size()) +
                  "\r\n"
                  "RCPT TO:<ok@x.org>\r\nRCPT TO:<later@x.org>\r\nRCPT TO:<nobody@x.org>\r\nDATA\r\n");
    EXPECT_EQ(h.writes, 1);
    h.reply(
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n450 4.2.1 <later@x.org>: mailbox busy\r\n"
        "550 5.1.1 <nobody@x.org>: unknown\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(h.drain(), "Subject: t\r\n\r\n..leading dot\r\nbye\r\n.\r\n");
    h.reply("250 2.0.0 Ok: queued as 0193A4F2C1D00001\r\n");
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    ASSERT_EQ(r.recipients.size(), 3u);
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kDelivered);
    EXPECT_EQ(r.recipients[0].to_string(), "250 2.0.0 Ok: queued as 0193A4F2C1D00001");
    EXPECT_EQ(r.recipients[1].outcome, Outcome::kDeferred);
    EXPECT_EQ(r.recipients[1].to_string(), "450 4.2.1 <later@x.org>: mailbox busy");
    EXPECT_EQ(r.recipients[2].outcome, Outcome::kFailed);
    EXPECT_EQ(r.recipients[2].enhanced, "5.1.1");
    EXPECT_EQ(r.final.code, 250);
    EXPECT_TRUE(r.dsn_offered);
    // A completed transaction needs no RSET.
    EXPECT_EQ(h.s.want(), Want::kReady);
}

TEST(ClientSession, AllRecipientsRefusedPipelinedSendsRsetAndNoData) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"a@x.org", "b@x.org"}));
    h.drain();
    h.reply("250 2.1.0 Ok\r\n550 5.1.1 no\r\n451 4.3.0 later\r\n554 5.5.1 Error: no valid recipients\r\n");
    // The 554 answers the pipelined DATA: expected, not a failure of anyone.
    EXPECT_EQ(h.drain(), "RSET\r\n");
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kFailed);
    EXPECT_EQ(r.recipients[1].outcome, Outcome::kDeferred);
    EXPECT_EQ(r.recipients[1].code, 451);
    h.reply("250 2.0.0 Ok\r\n");
    EXPECT_EQ(h.s.want(), Want::kReady);
    EXPECT_FALSE(h.s.failure());
}

TEST(ClientSession, AllRefusedButServerSays354SendsLoneDot) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"a@x.org"}));
    h.drain();
    h.reply("250 Ok\r\n550 no\r\n354 go ahead anyway\r\n");
    // An empty message (no body at all) ends what the server started.
    EXPECT_EQ(h.drain(), ".\r\nRSET\r\n");
    h.reply("554 no valid recipients\r\n250 Ok\r\n");
    EXPECT_EQ(h.s.want(), Want::kReady);
    EXPECT_EQ(h.s.take_result().recipients[0].code, 550);
}

TEST(ClientSession, AllRecipientsRefusedWithoutPipelining) {
    Harness h;
    h.hello(kPlainEhlo);
    h.s.begin(make_tx({"a@x.org", "b@x.org"}));
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net>\r\n");
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.drain(), "RCPT TO:<a@x.org>\r\n");
    h.reply("550 no\r\n");
    EXPECT_EQ(h.drain(), "RCPT TO:<b@x.org>\r\n");
    h.reply("550 no\r\n");
    EXPECT_EQ(h.drain(), "RSET\r\n");   // no DATA
    h.reply("250 ok\r\n");
    TransactionResult r = h.s.take_result();
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kFailed);
    EXPECT_EQ(r.recipients[1].outcome, Outcome::kFailed);
}

TEST(ClientSession, ReuseWithoutPipeliningWaitsForRsetBeforeMail) {
    Harness h;
    h.hello(kPlainEhlo);
    h.s.begin(make_tx({"a@x.org"}, "one\r\n"));
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net>\r\n");
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.drain(), "RCPT TO:<a@x.org>\r\n");
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.drain(), "DATA\r\n");
    h.reply("354 go\r\n");
    EXPECT_EQ(h.drain(), "one\r\n.\r\n");
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.s.take_result().recipients[0].outcome, Outcome::kDelivered);
    // Second transaction: RSET alone, MAIL only after its 250.
    h.s.begin(make_tx({"b@x.org"}, "two\r\n"));
    EXPECT_EQ(h.drain(), "RSET\r\n");
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net>\r\n");
}

TEST(ClientSession, RefusedRsetOnReuseEndsTheSessionAndDefers) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"a@x.org"}, "one\r\n"));
    h.drain();
    h.reply("250 ok\r\n250 ok\r\n354 go\r\n");
    h.drain();
    h.reply("250 ok\r\n");
    (void)h.s.take_result();
    h.s.begin(make_tx({"b@x.org"}, "two\r\n"));
    h.drain();
    // The server has lost our session: RSET and everything after it fail.
    h.reply("421 4.4.2 timeout, closing\r\n");
    TransactionResult r = h.s.take_result();
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kDeferred);
    EXPECT_EQ(h.s.want(), ClientSession::Want::kClosed);
}

TEST(ClientSession, PipelinedMailRefusalDecidesEveryone) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"a@x.org", "b@x.org"}));
    h.drain();
    h.reply("553 5.1.8 sender rejected\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need RCPT\r\n");
    EXPECT_EQ(h.drain(), "RSET\r\n");
    TransactionResult r = h.s.take_result();
    for (const auto& d : r.recipients) EXPECT_EQ(d.to_string(), "553 5.1.8 sender rejected");
    EXPECT_EQ(r.final.code, 553);
}

TEST(ClientSession, SmtpUtf8RefusedBeforeMail) {
    Harness h;
    h.hello(kPlainEhlo);
    Transaction tx = make_tx({"jörg@x.org", "b@x.org"});
    tx.smtputf8 = true;
    h.s.begin(std::move(tx));
    EXPECT_EQ(h.s.want(), Want::kReady);   // nothing to send
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    for (const auto& d : r.recipients) {
        EXPECT_EQ(d.outcome, Outcome::kFailed);
        EXPECT_EQ(d.enhanced, "5.6.7");
        EXPECT_EQ(d.code, 0);
        EXPECT_EQ(d.to_string(), "5.6.7 SMTPUTF8 not supported by remote");
    }
    // The session is still good for a transaction that needs no SMTPUTF8.
    h.s.begin(make_tx({"b@x.org"}));
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net>\r\n");
}

TEST(ClientSession, SmtpUtf8OfferedIsRequested) {
    Harness h;
    h.hello(kFullEhlo);
    Transaction tx = make_tx({"jörg@x.org"}, "x\r\n");
    tx.smtputf8 = true;
    tx.body_type = mail::BodyType::k8BitMime;
    h.s.begin(std::move(tx));
    EXPECT_EQ(h.drain().rfind("MAIL FROM:<alice@example.net> SIZE=3 BODY=8BITMIME SMTPUTF8\r\nRCPT", 0), 0u);
}

TEST(ClientSession, SizeLimitRefusedBeforeMail) {
    Harness h;
    h.hello("250-mx\r\n250-SIZE 10\r\n250 PIPELINING\r\n");
    h.s.begin(make_tx({"a@x.org"}, "this body is longer than ten bytes\r\n"));
    EXPECT_EQ(h.s.want(), Want::kReady);
    TransactionResult r = h.s.take_result();
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kFailed);
    EXPECT_EQ(r.recipients[0].enhanced, "5.3.4");
}

TEST(ClientSession, BinaryBodyNeedsBinaryMime) {
    Harness h;
    h.hello(kFullEhlo);
    Transaction tx = make_tx({"a@x.org"});
    tx.body_type = mail::BodyType::kBinaryMime;
    h.s.begin(std::move(tx));
    EXPECT_EQ(h.s.take_result().recipients[0].enhanced, "5.6.3");
}

// RFC 6152 3: no 8-bit data to a server that did not offer 8BITMIME. The
// body goes out quoted-printable (src/mail/eight_bit_downgrade.hpp), and
// SIZE counts what is sent.
TEST(ClientSession, EightBitBodyIsConvertedForAServerWithout8BitMime) {
    const std::string body =
        "Subject: t\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\ngr\xc3\xbc\xc3\x9f\r\n.dot\r\n";
    const std::string sent =
        "Subject: t\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\ngr=C3=BC=C3=9F\r\n.dot\r\n";
    Harness h;
    h.hello("250-mx.example.org\r\n250-PIPELINING\r\n250 SIZE 1000000\r\n");
    Transaction tx = make_tx({"b@x.org"}, body);
    tx.body_type = mail::BodyType::k8BitMime;
    h.s.begin(std::move(tx));
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net> SIZE=" + std::to_string(sent.size()) +
                             "\r\nRCPT TO:<b@x.org>\r\nDATA\r\n");
    h.reply("250 ok\r\n250 ok\r\n354 go\r\n");
    EXPECT_EQ(h.drain(), sent.substr(0, sent.size() - 6) + "..dot\r\n.\r\n");   // stuffed after conversion
    h.reply("250 queued\r\n");
    TransactionResult r = h.s.take_result();
    EXPECT_TRUE(r.converted_to_7bit);
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kDelivered);

    // The same session, a server that offers 8BITMIME: the bytes as they are.
    Harness fast;
    fast.hello(kPlainEhlo);
    tx = make_tx({"b@x.org"}, body);
    tx.body_type = mail::BodyType::k8BitMime;
    fast.s.begin(std::move(tx));
    EXPECT_EQ(fast.drain(), "MAIL FROM:<alice@example.net> BODY=8BITMIME\r\n");
    fast.reply("250 ok\r\n");
    fast.drain();
    fast.reply("250 ok\r\n");
    fast.drain();
    fast.reply("354 go\r\n");
    EXPECT_EQ(fast.drain(), body.substr(0, body.size() - 6) + "..dot\r\n.\r\n");
    fast.reply("250 queued\r\n");
    EXPECT_FALSE(fast.s.take_result().converted_to_7bit);
}

TEST(ClientSession, EightBitThatCannotBeConvertedIsRefusedBeforeMail) {
    Harness h;
    h.hello("250-mx.example.org\r\n250 PIPELINING\r\n");
    Transaction tx = make_tx({"b@x.org", "c@x.org"}, "Subject: gr\xc3\xbc\xc3\x9f\r\n\r\nbody\r\n");
    tx.body_type = mail::BodyType::k8BitMime;
    h.s.begin(std::move(tx));
    EXPECT_EQ(h.s.want(), Want::kReady);   // nothing to send
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    for (const auto& d : r.recipients) {
        EXPECT_EQ(d.outcome, Outcome::kFailed);
        EXPECT_EQ(d.to_string(),
                  "5.6.3 8-bit content cannot be converted for a server without 8BITMIME: 8-bit data in a header field");
    }
    // The session is still good for the next message.
    h.s.begin(make_tx({"b@x.org"}));
    EXPECT_EQ(h.drain().rfind("MAIL FROM:<alice@example.net>\r\n", 0), 0u);
}

// A client that sent 8-bit data without BODY=8BITMIME (common; Postfix's
// cleanup notices it and converts such mail too): the body is scanned only
// for a server without 8BITMIME, converted when it holds 8-bit bytes, and
// sent as it is when the conversion is impossible (it was never declared,
// so no bounce for the sender's mistake; this is what was sent before).
TEST(ClientSession, UndeclaredEightBitIsConvertedForAServerWithout8BitMime) {
    const std::string body = "Subject: t\r\n\r\ngr\xc3\xbc\xc3\x9f\r\n";
    const std::string sent =
        "Subject: t\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=unknown-8bit\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\ngr=C3=BC=C3=9F\r\n";
    Harness h;
    h.hello("250-mx.example.org\r\n250 PIPELINING\r\n");
    h.s.begin(make_tx({"b@x.org"}, body));   // body type 7BIT: undeclared
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net>\r\nRCPT TO:<b@x.org>\r\nDATA\r\n");
    h.reply("250 ok\r\n250 ok\r\n354 go\r\n");
    EXPECT_EQ(h.drain(), sent + ".\r\n");
    h.reply("250 queued\r\n");
    TransactionResult r = h.s.take_result();
    EXPECT_TRUE(r.converted_to_7bit);
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kDelivered);

    // Not convertible (8-bit header): sent unchanged, not bounced.
    const std::string header8 = "Subject: gr\xc3\xbc\xc3\x9f\r\n\r\nbody\r\n";
    Harness h2;
    h2.hello("250-mx.example.org\r\n250 PIPELINING\r\n");
    h2.s.begin(make_tx({"b@x.org"}, header8));
    EXPECT_FALSE(h2.s.has_result());
    EXPECT_EQ(h2.drain(), "MAIL FROM:<alice@example.net>\r\nRCPT TO:<b@x.org>\r\nDATA\r\n");
    h2.reply("250 ok\r\n250 ok\r\n354 go\r\n");
    EXPECT_EQ(h2.drain(), header8 + ".\r\n");
    h2.reply("250 queued\r\n");
    r = h2.s.take_result();
    EXPECT_FALSE(r.converted_to_7bit);
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kDelivered);
}

TEST(ClientSession, BdatPipelinedWithRawBody) {
    Harness h;
    h.hello(kChunkingEhlo);
    // BDAT sends the body as is: no dot stuffing, no terminator.
    const std::string body("Subject: b\r\n\r\n.\r\n\0bin\r\n", 23);
    ASSERT_EQ(body.back(), '\n');
    Transaction tx = make_tx({"a@x.org", "b@x.org"}, body);
    tx.body_type = mail::BodyType::kBinaryMime;
    h.s.begin(std::move(tx));
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net> BODY=BINARYMIME\r\nRCPT TO:<a@x.org>\r\nRCPT TO:<b@x.org>\r\n"
                         "BDAT " + std::to_string(body.size()) + " LAST\r\n" + body);
    EXPECT_EQ(h.s.timeout_kind(), TimeoutKind::kMail);   // the first reply awaited
    h.reply("250 ok\r\n250 ok\r\n550 no\r\n");
    EXPECT_EQ(h.s.timeout_kind(), TimeoutKind::kDataTerm);
    h.reply("250 2.0.0 Message accepted\r\n");
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    EXPECT_TRUE(r.used_bdat);
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kDelivered);
    EXPECT_EQ(r.recipients[1].outcome, Outcome::kFailed);
    EXPECT_EQ(h.s.want(), Want::kReady);
}

TEST(ClientSession, LargeBdatWaitsForRecipients) {
    ClientConfig c = Harness::make_config();
    c.pipelined_bdat_limit = 4;
    Harness h(c);
    h.hello(kChunkingEhlo);
    h.s.begin(make_tx({"a@x.org"}, "0123456789"));
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net>\r\nRCPT TO:<a@x.org>\r\n");
    h.reply("250 ok\r\n550 no\r\n");
    // Every recipient refused: the 10 bytes are never sent.
    EXPECT_EQ(h.drain(), "RSET\r\n");
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.s.take_result().recipients[0].outcome, Outcome::kFailed);

    h.s.begin(make_tx({"a@x.org"}, "0123456789"));
    h.drain();
    h.reply("250 ok\r\n250 ok\r\n");
    EXPECT_EQ(h.drain(), "BDAT 10 LAST\r\n0123456789");
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.s.take_result().recipients[0].outcome, Outcome::kDelivered);
}

TEST(ClientSession, DataStreamedInChunksWithStuffingAcrossBoundaries) {
    ClientConfig c = Harness::make_config();
    c.data_chunk = 1024;   // the minimum: many chunks for this body
    Harness h(c);
    h.hello(kPlainEhlo);
    std::string body;
    std::string expected;
    for (int i = 0; i < 500; ++i) {
        body += ".line " + std::to_string(i) + "\r\n";
        expected += "..line " + std::to_string(i) + "\r\n";
    }
    h.s.begin(make_tx({"a@x.org"}, body));
    h.drain();
    h.reply("250 ok\r\n");
    h.drain();
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.drain(), "DATA\r\n");
    h.reply("354 go\r\n");
    std::string data = h.drain();
    EXPECT_GT(h.writes, 4);
    EXPECT_EQ(data, expected + ".\r\n");
}

TEST(ClientSession, Reply421MidTransactionDefersEveryoneOpen) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"a@x.org", "b@x.org", "c@x.org"}));
    h.drain();
    h.reply("250 ok\r\n250 ok\r\n250 ok\r\n550 5.1.1 unknown\r\n421 4.3.2 shutting down\r\n");
    EXPECT_EQ(h.s.want(), Want::kClosed);
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    EXPECT_EQ(r.recipients[0].to_string(), "421 4.3.2 shutting down");
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kDeferred);
    EXPECT_EQ(r.recipients[1].outcome, Outcome::kDeferred);
    EXPECT_EQ(r.recipients[2].outcome, Outcome::kFailed);   // decided before the 421
    EXPECT_EQ(h.s.failure()->code, 421);
}

TEST(ClientSession, Unsolicited421WhileIdleClosesSession) {
    Harness h;
    h.hello(kFullEhlo);
    // An idle server timing us out: nothing expected, but 421 is understood.
    h.s.feed("421 4.4.2 idle timeout\r\n");
    EXPECT_EQ(h.s.want(), Want::kClosed);
    EXPECT_EQ(h.s.failure()->code, 421);
}

TEST(ClientSession, LostConnectionAfterDataDefersAccepted) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"a@x.org", "b@x.org"}));
    h.drain();
    h.reply("250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n");
    h.drain();
    h.s.connection_lost("connection reset by peer");
    EXPECT_EQ(h.s.want(), Want::kClosed);
    TransactionResult r = h.s.take_result();
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kDeferred);
    EXPECT_EQ(r.recipients[0].to_string(), "4.4.2 lost connection with remote: connection reset by peer");
    EXPECT_EQ(r.recipients[1].outcome, Outcome::kFailed);
}

TEST(ClientSession, TimeoutNamesThePhase) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"a@x.org"}));
    h.drain();
    h.reply("250 ok\r\n250 ok\r\n354 go\r\n");
    h.drain();
    ASSERT_EQ(h.s.timeout_kind(), TimeoutKind::kDataTerm);
    h.s.timed_out();
    TransactionResult r = h.s.take_result();
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kDeferred);
    EXPECT_EQ(r.recipients[0].to_string(), "4.4.2 conversation timed out while waiting for the end of data reply");
}

TEST(ClientSession, GarbageReplyIsProtocolError) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"a@x.org"}));
    h.drain();
    h.reply("250 ok\r\n<html>\r\n");
    EXPECT_EQ(h.s.want(), Want::kClosed);
    TransactionResult r = h.s.take_result();
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kDeferred);
    EXPECT_EQ(r.recipients[0].enhanced, "4.5.0");
}

TEST(ClientSession, ConnectionReuseAcrossTransactions) {
    Harness h;
    h.hello(kFullEhlo);
    // 1: delivered; no RSET right afterwards (an idle connection may just QUIT).
    h.s.begin(make_tx({"a@x.org"}, "one\r\n"));
    h.drain();
    h.reply("250 ok\r\n250 ok\r\n354 go\r\n");
    EXPECT_EQ(h.drain(), "one\r\n.\r\n");
    h.reply("250 2.0.0 queued as 1\r\n");
    EXPECT_EQ(h.s.take_result().recipients[0].outcome, Outcome::kDelivered);
    // 2: the reused connection starts with RSET, pipelined with MAIL; the
    // data is refused; RSET again before the connection is used again.
    h.s.begin(make_tx({"b@x.org"}, "two\r\n"));
    EXPECT_EQ(h.drain().substr(0, 15), "RSET\r\nMAIL FROM");
    h.reply("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    EXPECT_EQ(h.drain(), "two\r\n.\r\n");
    h.reply("554 5.7.1 spam\r\n");
    EXPECT_EQ(h.drain(), "RSET\r\n");
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.s.take_result().recipients[0].outcome, Outcome::kFailed);
    // 3: already reset after the failure: no second RSET; delivered, then QUIT.
    h.s.begin(make_tx({"c@x.org"}, "three\r\n"));
    EXPECT_EQ(h.drain().substr(0, 9), "MAIL FROM");
    h.reply("250 ok\r\n250 ok\r\n354 go\r\n");
    EXPECT_EQ(h.drain(), "three\r\n.\r\n");
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.s.take_result().recipients[0].outcome, Outcome::kDelivered);
    h.s.quit();
    EXPECT_EQ(h.drain(), "QUIT\r\n");
    h.reply("221 bye\r\n");
    EXPECT_EQ(h.s.want(), Want::kClosed);
    EXPECT_FALSE(h.s.failure());
}

TEST(ClientSession, DsnParametersOnlyWhenOffered) {
    auto tx_with_dsn = [] {
        Transaction tx = make_tx({"a@x.org"});
        tx.recipients[0].notify = mail::kNotifySuccess | mail::kNotifyFailure;
        tx.recipients[0].orcpt = "rfc822;a+tag=1@x.org";
        tx.ret = mail::DsnRet::kHeaders;
        tx.envid = "id 42";
        return tx;
    };
    {
        Harness h;
        h.hello(kFullEhlo);
        h.s.begin(tx_with_dsn());
        std::string out = h.drain();
        EXPECT_NE(out.find(" RET=HDRS ENVID=id+2042\r\n"), std::string::npos) << out;
        EXPECT_NE(out.find("RCPT TO:<a@x.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Btag+3D1@x.org\r\n"),
                  std::string::npos)
            << out;
    }
    {
        Harness h;
        h.hello("250-mx\r\n250 PIPELINING\r\n");
        h.s.begin(tx_with_dsn());
        std::string out = h.drain();
        EXPECT_EQ(out, "MAIL FROM:<alice@example.net>\r\nRCPT TO:<a@x.org>\r\nDATA\r\n");
    }
    {
        Harness h;
        h.hello(kFullEhlo);
        Transaction tx = make_tx({"a@x.org"});
        tx.recipients[0].notify = mail::kNotifyNever;
        h.s.begin(std::move(tx));
        EXPECT_NE(h.drain().find("RCPT TO:<a@x.org> NOTIFY=NEVER\r\n"), std::string::npos);
    }
}

TEST(ClientSession, UnsafeAddressesNeverReachTheServer) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"evil@x.org>\r\nRCPT TO:<other@y.org", "good@x.org"}));
    std::string out = h.drain();
    EXPECT_EQ(out.find("evil"), std::string::npos);
    EXPECT_NE(out.find("RCPT TO:<good@x.org>\r\nDATA\r\n"), std::string::npos);
    h.reply("250 ok\r\n250 ok\r\n354 go\r\n");
    h.drain();
    h.reply("250 ok\r\n");
    TransactionResult r = h.s.take_result();
    EXPECT_EQ(r.recipients[0].enhanced, "5.1.3");
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kFailed);
    EXPECT_EQ(r.recipients[1].outcome, Outcome::kDelivered);
}

TEST(ClientSession, StartTlsHookDropsInjectedBytesAndRestartsEhlo) {
    ClientConfig c = Harness::make_config();
    c.tls = TlsPolicy::kMay;
    Harness h(c);
    h.reply("220 mx\r\n");
    h.drain();
    h.reply("250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
    EXPECT_EQ(h.drain(), "STARTTLS\r\n");
    // A reply glued after the 220 came before the handshake: ignored.
    h.reply("220 2.0.0 ready\r\n250 injected\r\n");
    ASSERT_EQ(h.s.want(), Want::kStartTls);
    h.s.tls_started();
    EXPECT_TRUE(h.s.tls_active());
    EXPECT_FALSE(h.s.capabilities().has(kExtPipelining));   // forgotten (RFC 3207 4.2)
    EXPECT_EQ(h.drain(), "EHLO relay.example.net\r\n");
    h.reply("250-mx\r\n250 8BITMIME\r\n");
    EXPECT_EQ(h.s.want(), Want::kReady);   // no second STARTTLS
    EXPECT_TRUE(h.s.capabilities().has(kExt8BitMime));
}

TEST(ClientSession, RefusedStartTlsContinuesInPlainText) {
    ClientConfig c = Harness::make_config();
    c.tls = TlsPolicy::kMay;
    Harness h(c);
    h.reply("220 mx\r\n");
    h.drain();
    h.reply("250-mx\r\n250 STARTTLS\r\n");
    EXPECT_EQ(h.drain(), "STARTTLS\r\n");
    h.reply("454 4.7.0 TLS not available\r\n");
    EXPECT_EQ(h.s.want(), Want::kReady);
    EXPECT_FALSE(h.s.tls_active());
}

// --- STARTTLS by policy (tls_policy.hpp): the session's side of the decision table ---

namespace {

// Greeting and EHLO with or without STARTTLS under `policy`; returns what
// the client sent after the EHLO reply.
std::string ehlo_under(Harness& h, bool offered) {
    h.reply("220 mx.example.org ESMTP\r\n");
    EXPECT_EQ(h.drain(), "EHLO relay.example.net\r\n");
    h.reply(offered ? "250-mx.example.org\r\n250-PIPELINING\r\n250 STARTTLS\r\n" : "250-mx.example.org\r\n250 PIPELINING\r\n");
    return h.drain();
}

ClientConfig with_policy(TlsPolicy p) {
    ClientConfig c = Harness::make_config();
    c.tls = p;
    c.tls_host = "mx.example.org";
    return c;
}

}  // namespace

TEST(ClientSessionTls, DecisionTable) {
    struct Case {
        TlsPolicy policy;
        bool offered;
        const char* sent;   // after the EHLO reply
        Want want;
    };
    const Case cases[] = {
        {TlsPolicy::kNone, true, "", Want::kReady},
        {TlsPolicy::kNone, false, "", Want::kReady},
        {TlsPolicy::kMay, true, "STARTTLS\r\n", Want::kRead},
        {TlsPolicy::kMay, false, "", Want::kReady},
        {TlsPolicy::kEncrypt, true, "STARTTLS\r\n", Want::kRead},
        {TlsPolicy::kEncrypt, false, "QUIT\r\n", Want::kRead},
        {TlsPolicy::kVerify, true, "STARTTLS\r\n", Want::kRead},
        {TlsPolicy::kVerify, false, "QUIT\r\n", Want::kRead},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(tls_policy_name(c.policy)) + (c.offered ? " offered" : " not offered"));
        Harness h(with_policy(c.policy));
        EXPECT_EQ(ehlo_under(h, c.offered), c.sent);
        EXPECT_EQ(h.s.want(), c.want);
        if (std::string_view(c.sent) == "QUIT\r\n") {
            ASSERT_TRUE(h.s.failure().has_value());
            EXPECT_EQ(h.s.failure()->outcome, Outcome::kDeferred);
            EXPECT_EQ(h.s.failure()->to_string(),
                      "4.7.4 TLS is required (policy " + std::string(tls_policy_name(c.policy)) +
                          ") but mx.example.org did not offer STARTTLS");
            h.reply("221 bye\r\n");
            EXPECT_EQ(h.s.want(), Want::kClosed);
        }
    }
}

TEST(ClientSessionTls, RefusedStartTlsDefersWhenRequired) {
    Harness h(with_policy(TlsPolicy::kEncrypt));
    EXPECT_EQ(ehlo_under(h, true), "STARTTLS\r\n");
    h.reply("454 4.7.0 TLS not available\r\n");
    EXPECT_EQ(h.drain(), "QUIT\r\n");
    ASSERT_TRUE(h.s.failure().has_value());
    EXPECT_EQ(h.s.failure()->enhanced, "4.7.4");
    EXPECT_EQ(h.s.failure()->text,
              "TLS is required (policy encrypt) but mx.example.org refused STARTTLS: 454 4.7.0 TLS not available");
}

TEST(ClientSessionTls, FailedHandshakeEndsTheSessionWithAClearReason) {
    Harness h(with_policy(TlsPolicy::kVerify));
    EXPECT_EQ(ehlo_under(h, true), "STARTTLS\r\n");
    h.reply("220 2.0.0 go ahead\r\n");
    ASSERT_EQ(h.s.want(), Want::kStartTls);
    h.s.tls_failed("certificate verification failed for mx.example.org: hostname mismatch");
    EXPECT_EQ(h.s.want(), Want::kClosed);   // no QUIT in clear after a broken handshake
    EXPECT_TRUE(h.s.tls_handshake_failed());
    ASSERT_TRUE(h.s.failure().has_value());
    EXPECT_EQ(h.s.failure()->outcome, Outcome::kDeferred);
    EXPECT_EQ(h.s.failure()->to_string(),
              "4.7.5 TLS is required (policy verify) but the TLS handshake with mx.example.org failed: "
              "certificate verification failed for mx.example.org: hostname mismatch");
}

TEST(ClientSessionTls, FailedHandshakeUnderMayIsMarkedForThePlainRetry) {
    Harness h(with_policy(TlsPolicy::kMay));
    EXPECT_EQ(ehlo_under(h, true), "STARTTLS\r\n");
    h.reply("220 go ahead\r\n");
    h.s.tls_failed("TLS handshake failed: SSL routines: wrong version number");
    EXPECT_TRUE(h.s.tls_handshake_failed());
    EXPECT_EQ(h.s.failure()->enhanced, "4.7.5");
    EXPECT_EQ(h.s.failure()->text,
              "TLS handshake with mx.example.org failed: TLS handshake failed: SSL routines: wrong version number");
    EXPECT_TRUE(retry_plain_after_handshake_failure(TlsPolicy::kMay));
}
