// The delivery client against servers that answer wrongly (issue 10, item 2):
// a reply to DATA other than 354, an unsolicited or extra reply line that
// shifts the pipelined replies against their commands, a reply whose class
// does not fit the command, a refused RSET on a reused connection. None of
// them may mark a recipient delivered whose message the server never got;
// a reply that is neither the step's success nor 4xx/5xx is a protocol
// error, which defers (4.5.0) and ends the session.
#include <gtest/gtest.h>

#include <string>

#include "client_session_harness.hpp"

using namespace ringpost;
using namespace ringpost::delivery;
using namespace ringpost::delivery::test;

namespace {

constexpr std::string_view kBody = "Subject: t\r\n\r\nhello\r\n";

// MAIL and RCPT one at a time (no PIPELINING); the session then waits for the DATA reply.
void up_to_data(Harness& h) {
    h.hello(kPlainEhlo);
    h.s.begin(make_tx({"a@x.org"}, kBody));
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net>\r\n");
    h.reply("250 2.1.0 ok\r\n");
    EXPECT_EQ(h.drain(), "RCPT TO:<a@x.org>\r\n");
    h.reply("250 2.1.5 ok\r\n");
    EXPECT_EQ(h.drain(), "DATA\r\n");
}

void expect_protocol_error(Harness& h, const Diagnostic& d, std::string_view reply) {
    EXPECT_EQ(d.outcome, Outcome::kDeferred) << d.to_string();
    EXPECT_EQ(d.enhanced, "4.5.0") << d.to_string();
    EXPECT_NE(d.text.find("protocol error"), std::string::npos) << d.to_string();
    EXPECT_NE(d.text.find(reply), std::string::npos) << d.to_string();
    // The server and we disagree about where we are: nothing more is said.
    EXPECT_EQ(h.drain(), "");
    EXPECT_EQ(h.s.want(), Want::kClosed);
}

}  // namespace

TEST(ClientSessionMisbehaving, Reply250ToDataIsNotDelivery) {
    Harness h;
    up_to_data(h);
    h.reply("250 2.0.0 Ok: queued\r\n");
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    expect_protocol_error(h, r.recipients[0], "250 2.0.0 Ok: queued");
    EXPECT_EQ(r.final.outcome, Outcome::kDeferred);
}

TEST(ClientSessionMisbehaving, Reply250ToPipelinedDataIsNotDelivery) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"a@x.org", "b@x.org"}, kBody));
    h.drain();
    h.reply("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 unknown\r\n250 2.0.0 fine\r\n");
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    expect_protocol_error(h, r.recipients[0], "250 2.0.0 fine");
    EXPECT_EQ(r.recipients[1].outcome, Outcome::kFailed);   // its own RCPT reply decided it
}

TEST(ClientSessionMisbehaving, OtherRepliesToDataEndTheTransactionByClass) {
    struct Case {
        std::string reply;
        Outcome outcome;
        bool protocol_error;
    };
    for (const Case& c : {Case{"451 4.3.0 try later\r\n", Outcome::kDeferred, false},
                          Case{"554 5.7.1 no thanks\r\n", Outcome::kFailed, false},
                          Case{"334 VXNlcm5hbWU6\r\n", Outcome::kDeferred, true},
                          Case{"220 mx.example.org ready\r\n", Outcome::kDeferred, true}}) {
        SCOPED_TRACE(c.reply);
        Harness h;
        up_to_data(h);
        h.reply(c.reply);
        ASSERT_TRUE(h.s.has_result());
        TransactionResult r = h.s.take_result();
        EXPECT_EQ(r.recipients[0].outcome, c.outcome);
        if (c.protocol_error) {
            expect_protocol_error(h, r.recipients[0], c.reply.substr(0, 3));
        } else {
            EXPECT_EQ(r.recipients[0].code, std::stoi(c.reply));
            EXPECT_EQ(h.drain(), "RSET\r\n");   // the body never goes out
        }
    }
}

TEST(ClientSessionMisbehaving, ExtraReplyLineShiftsPipelinedRepliesIntoProtocolError) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"a@x.org"}, kBody));
    h.drain();
    // One reply too many in front: the RCPT's 250 lands on DATA.
    h.reply("250 2.0.0 stray\r\n250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n");
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    expect_protocol_error(h, r.recipients[0], "250 2.1.5 ok");
}

TEST(ClientSessionMisbehaving, ExtraReplyLineShiftsOneAtATimeRepliesIntoProtocolError) {
    Harness h;
    h.hello(kPlainEhlo);
    h.s.begin(make_tx({"a@x.org"}, kBody));
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net>\r\n");
    h.reply("250 2.0.0 stray\r\n");   // taken for the MAIL reply
    EXPECT_EQ(h.drain(), "RCPT TO:<a@x.org>\r\n");
    h.reply("250 2.1.0 ok\r\n");      // the real MAIL reply, taken for the RCPT's
    EXPECT_EQ(h.drain(), "DATA\r\n");
    h.reply("250 2.1.5 ok\r\n");      // the RCPT's, taken for DATA's
    ASSERT_TRUE(h.s.has_result());
    expect_protocol_error(h, h.s.take_result().recipients[0], "250 2.1.5 ok");
}

TEST(ClientSessionMisbehaving, ExtraReplyBehindTheFinalReplyUndoesThatDelivery) {
    Harness h;
    h.hello(kChunkingEhlo);
    h.s.begin(make_tx({"a@x.org"}, kBody));
    EXPECT_EQ(h.drain(), "MAIL FROM:<alice@example.net>\r\nRCPT TO:<a@x.org>\r\nBDAT " +
                             std::to_string(kBody.size()) + " LAST\r\n" + std::string(kBody));
    // A stray 250 in front shifts every reply by one: the RCPT's 250 lands
    // on BDAT and the BDAT's own reply comes behind, unasked for. The
    // matching was off, so the "delivered" cannot be trusted.
    h.reply("250 2.0.0 stray\r\n250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.0.0 queued\r\n");
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    expect_protocol_error(h, r.recipients[0], "250 2.0.0 queued");
    EXPECT_EQ(r.final.outcome, Outcome::kDeferred);
}

TEST(ClientSessionMisbehaving, UnsolicitedReplyBehindARefusalKeepsTheRefusal) {
    Harness h;
    h.hello(kChunkingEhlo);
    h.s.begin(make_tx({"a@x.org", "b@x.org"}, kBody));
    h.drain();
    h.reply("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 unknown\r\n250 2.0.0 queued\r\n250 2.0.0 stray\r\n");
    ASSERT_TRUE(h.s.has_result());
    TransactionResult r = h.s.take_result();
    EXPECT_EQ(r.recipients[0].outcome, Outcome::kDeferred);
    EXPECT_EQ(r.recipients[1].outcome, Outcome::kFailed);   // its RCPT reply came before the mix-up
    EXPECT_EQ(h.s.want(), Want::kClosed);
}

TEST(ClientSessionMisbehaving, WrongClassForTheStepIsProtocolError) {
    // 354 to MAIL, 354 to RCPT, 354 after the dot: never "delivered", never "failed".
    {
        Harness h;
        h.hello(kFullEhlo);
        h.s.begin(make_tx({"a@x.org"}, kBody));
        h.drain();
        h.reply("354 go\r\n");
        ASSERT_TRUE(h.s.has_result());
        expect_protocol_error(h, h.s.take_result().recipients[0], "354 go");
    }
    {
        Harness h;
        h.hello(kFullEhlo);
        h.s.begin(make_tx({"a@x.org"}, kBody));
        h.drain();
        h.reply("250 ok\r\n354 go\r\n");
        ASSERT_TRUE(h.s.has_result());
        expect_protocol_error(h, h.s.take_result().recipients[0], "354 go");
    }
    {
        Harness h;
        up_to_data(h);
        h.reply("354 go\r\n");
        EXPECT_EQ(h.drain(), std::string(kBody) + ".\r\n");
        h.reply("354 go again\r\n");
        ASSERT_TRUE(h.s.has_result());
        expect_protocol_error(h, h.s.take_result().recipients[0], "354 go again");
    }
}

TEST(ClientSessionMisbehaving, RefusedRsetOnReuseDefersInsteadOfBouncing) {
    Harness h;
    h.hello(kFullEhlo);
    h.s.begin(make_tx({"a@x.org"}, kBody));
    h.drain();
    h.reply("250 ok\r\n250 ok\r\n354 go\r\n");
    h.drain();
    h.reply("250 ok\r\n");
    EXPECT_EQ(h.s.take_result().recipients[0].outcome, Outcome::kDelivered);
    h.s.begin(make_tx({"b@x.org"}, kBody));
    EXPECT_EQ(h.drain().substr(0, 6), "RSET\r\n");
    // A 5xx to RSET says nothing about b@x.org: its transaction never began.
    h.reply("502 5.5.1 RSET not implemented\r\n");
    ASSERT_TRUE(h.s.has_result());
    const Diagnostic d = h.s.take_result().recipients[0];
    EXPECT_EQ(d.outcome, Outcome::kDeferred) << d.to_string();
    EXPECT_EQ(d.enhanced[0], '4') << d.to_string();
    EXPECT_NE(d.text.find("502"), std::string::npos) << d.to_string();
}

TEST(ClientSessionMisbehaving, ConnectionClosedRightAfter354Defers) {
    Harness h;
    up_to_data(h);
    h.reply("354 go\r\n");
    // The driver writes what it can, then reads end of file.
    h.s.connection_lost("connection closed by remote");
    ASSERT_TRUE(h.s.has_result());
    const Diagnostic d = h.s.take_result().recipients[0];
    EXPECT_EQ(d.outcome, Outcome::kDeferred);
    EXPECT_EQ(d.enhanced, "4.4.2");
}
