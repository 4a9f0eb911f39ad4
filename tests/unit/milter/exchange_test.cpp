// A message's milter exchange: which commands go out, where the exchange
// waits for a reply, and what the replies decide.
#include "milter/exchange.hpp"

#include <gtest/gtest.h>

#include "milter/protocol.hpp"
#include "recipient.hpp"

namespace ringpost::milter {
namespace {

using test::recipient;

// The codes of the packets in `out` (macros as 'D' + the command they precede).
std::string codes(const std::string& out) {
    std::string c;
    size_t pos = 0;
    while (pos + 5 <= out.size()) {
        const auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(out[pos + i])); };
        const uint32_t len = b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
        c += out[pos + 4];
        if (out[pos + 4] == cmd::kMacro) c += out[pos + 5];
        pos += 4 + len;
    }
    EXPECT_EQ(pos, out.size());
    return c;
}

Reply reply(char code) {
    Reply r;
    r.code = code;
    return r;
}

class ExchangeTest : public ::testing::Test {
protected:
    void SetUp() override {
        env.queue_id = "00000000000000AB";
        env.sender = "a@example.org";
        env.helo = "client.example";
        env.client_ip = "192.0.2.1";
        env.recipients.push_back(recipient("b@example.net"));
        env.recipients.push_back(recipient("c@example.net"));
        t.envelope = &env;
        t.data = data;
        t.hostname = "mx.example.org";
    }
    // Writes and answers every waiting command with `answer` until the end
    // of the body; returns the codes written.
    std::string run_to_end(Exchange& ex, char answer = rep::kContinue) {
        std::string all;
        for (int guard = 0; guard < 100 && !ex.finished(); ++guard) {
            std::string out;
            ex.write(out);
            all += codes(out);
            if (all.back() == cmd::kEndOfBody) break;
            EXPECT_TRUE(ex.awaiting());
            EXPECT_TRUE(ex.on_reply(reply(answer)).ok());
        }
        return all;
    }

    mail::Envelope env;
    std::string data = "Received: from x\r\n\tby y\r\nSubject: hi\r\n\r\nbody\r\n";
    Transaction t;
};

TEST_F(ExchangeTest, EveryStepAnsweredInOrder) {
    Exchange ex(t, 0);
    // connect (with its macros), helo, mail, two rcpts, data, two headers, eoh, body, eob.
    EXPECT_EQ(run_to_end(ex), "DCCHDMMDRRDRRDTTLLNBDEE");
    EXPECT_TRUE(ex.awaiting());
    ASSERT_TRUE(ex.on_reply(reply(rep::kAccept)).ok());
    EXPECT_TRUE(ex.finished());
    EXPECT_TRUE(ex.message_closed());
    EXPECT_EQ(ex.outcome().verdict, Verdict::kAccept);
}

TEST_F(ExchangeTest, TlsMacrosAtHeloAndEsmtpParametersReplayed) {
    t.client_port = 40000;
    t.tls_version = "TLSv1.3";
    t.tls_cipher = "TLS_AES_256_GCM_SHA384";
    t.tls_cipher_bits = 256;
    env.body_type = mail::BodyType::k8BitMime;
    env.ret = mail::DsnRet::kHeaders;
    env.envid = "env 1";
    env.recipients[0].notify = mail::kNotifySuccess | mail::kNotifyFailure;
    env.recipients[0].orcpt = "rfc822;b@example.net";
    env.recipients[1].local = true;
    Exchange ex(t, kNoReplyConnect | kNoReplyHelo | kNoReplyMail | kNoReplyRcpt | kNoReplyData | kNoReplyHeader |
                       kNoReplyEndOfHeaders | kNoReplyBody);
    std::string out;
    ex.write(out);
    // A macro packet for HELO now: connect, helo macros, helo, ...
    EXPECT_EQ(codes(out), "DCCDHHDMMDRRDRRDTTLLNBDEE");
    auto has = [&](std::string_view bytes) { return out.find(bytes) != std::string::npos; };
    EXPECT_TRUE(has(std::string("{tls_version}\0TLSv1.3\0{cipher}\0TLS_AES_256_GCM_SHA384\0{cipher_bits}\0" "256\0", 70)));
    EXPECT_TRUE(has(std::string("{client_port}\0" "40000\0", 20)));
    EXPECT_TRUE(has(std::string("4\x9c\x40" "192.0.2.1\0", 13))) << "the port in SMFIC_CONNECT";
    EXPECT_TRUE(has(std::string("<a@example.org>\0BODY=8BITMIME\0RET=HDRS\0ENVID=env+201\0", 53)));
    EXPECT_TRUE(has(std::string("<b@example.net>\0NOTIFY=SUCCESS,FAILURE\0ORCPT=rfc822;b@example.net\0", 66)));
    EXPECT_TRUE(has(std::string("{rcpt_host}\0example.net\0{rcpt_mailer}\0smtp\0", 43)));
    EXPECT_TRUE(has(std::string("{rcpt_mailer}\0local\0", 20)));
}

TEST_F(ExchangeTest, NoReplyStepsGoOutInOneBurst) {
    // What rspamd asks for: no replies before the end of the body.
    const uint32_t nr = kNoReplyConnect | kNoReplyHelo | kNoReplyMail | kNoReplyRcpt | kNoReplyData |
                        kNoReplyHeader | kNoReplyEndOfHeaders | kNoReplyBody;
    Exchange ex(t, nr);
    std::string out;
    ex.write(out);
    EXPECT_EQ(codes(out), "DCCHDMMDRRDRRDTTLLNBDEE");
    EXPECT_TRUE(ex.awaiting());
}

TEST_F(ExchangeTest, LeftOutStepsAreNotSent) {
    Exchange ex(t, kNoConnect | kNoHelo | kNoRcpt | kNoHeaders | kNoBody | kNoData | kNoEndOfHeaders);
    EXPECT_EQ(run_to_end(ex), "DMMDEE");
}

TEST_F(ExchangeTest, HeaderValuesLoseLeadingBlankAndCr) {
    Exchange ex(t, kNoReplyConnect | kNoReplyHelo | kNoReplyMail | kNoReplyRcpt | kNoReplyData | kNoReplyHeader |
                       kNoReplyEndOfHeaders | kNoReplyBody);
    std::string out;
    ex.write(out);
    EXPECT_NE(out.find(std::string("Received\0from x\n\tby y\0", 22)), std::string::npos);
    EXPECT_NE(out.find(std::string("Subject\0hi\0", 11)), std::string::npos);
}

TEST_F(ExchangeTest, RejectAtRcptEndsTheMessage) {
    Exchange ex(t, 0);
    std::string out;
    for (int i = 0; i < 3; ++i) {   // connect, helo, mail
        ex.write(out);
        ASSERT_TRUE(ex.on_reply(reply(rep::kContinue)).ok());
    }
    out.clear();
    ex.write(out);
    EXPECT_EQ(codes(out), "DRR");
    ASSERT_TRUE(ex.on_reply(reply(rep::kReject)).ok());
    EXPECT_TRUE(ex.finished());
    EXPECT_FALSE(ex.message_closed());   // the milter needs an ABORT before reuse
    EXPECT_EQ(ex.outcome().verdict, Verdict::kReject);
}

TEST_F(ExchangeTest, ProgressKeepsWaiting) {
    Exchange ex(t, 0);
    std::string out;
    ex.write(out);
    ASSERT_TRUE(ex.on_reply(reply(rep::kProgress)).ok());
    EXPECT_TRUE(ex.awaiting());
    ASSERT_TRUE(ex.on_reply(reply(rep::kContinue)).ok());
    EXPECT_FALSE(ex.awaiting());
}

TEST_F(ExchangeTest, SkipJumpsToEndOfBody) {
    data = "Subject: x\r\n\r\n" + std::string(kBodyChunk * 2 + 10, 'a');
    t.data = data;
    Exchange ex(t, kNoConnect | kNoHelo | kNoMail | kNoRcpt | kNoData | kNoHeaders | kNoEndOfHeaders);
    std::string out;
    ex.write(out);
    EXPECT_EQ(codes(out), "B");
    ASSERT_TRUE(ex.on_reply(reply(rep::kSkip)).ok());
    out.clear();
    ex.write(out);
    EXPECT_EQ(codes(out), "DEE");
}

TEST_F(ExchangeTest, EditsAtTheEndOfTheBody) {
    Exchange ex(t, 0);
    run_to_end(ex);
    Reply h = reply(rep::kAddHeader);
    h.name = "X-Spam";
    h.value = "No";
    ASSERT_TRUE(ex.on_reply(h).ok());
    Reply q = reply(rep::kQuarantine);
    q.text = "suspicious";
    ASSERT_TRUE(ex.on_reply(q).ok());
    ASSERT_TRUE(ex.on_reply(reply(rep::kContinue)).ok());
    ASSERT_TRUE(ex.finished());
    ASSERT_EQ(ex.outcome().edits.size(), 1u);
    EXPECT_EQ(ex.outcome().edits[0].name, "X-Spam");
    EXPECT_TRUE(ex.outcome().quarantined);
    EXPECT_EQ(ex.outcome().quarantine_reason, "suspicious");
}

TEST_F(ExchangeTest, ReplyCodeDecidesAndDropsEdits) {
    Exchange ex(t, 0);
    run_to_end(ex);
    ASSERT_TRUE(ex.on_reply(reply(rep::kAddHeader)).ok());
    Reply y = reply(rep::kReplyCode);
    y.text = "554 5.7.1 Gtube pattern";
    ASSERT_TRUE(ex.on_reply(y).ok());
    EXPECT_EQ(ex.outcome().verdict, Verdict::kReject);
    EXPECT_EQ(ex.outcome().reply.code, 554);
    EXPECT_EQ(ex.outcome().reply.text, "Gtube pattern");
    EXPECT_TRUE(ex.outcome().edits.empty());
    Exchange later(t, 0);
    run_to_end(later);
    y.text = "451 4.7.1 later";
    ASSERT_TRUE(later.on_reply(y).ok());
    EXPECT_EQ(later.outcome().verdict, Verdict::kTempfail);
}

TEST_F(ExchangeTest, ProtocolViolations) {
    Exchange ex(t, 0);
    std::string out;
    EXPECT_FALSE(ex.on_reply(reply(rep::kContinue)).ok());   // nothing asked yet
    ex.write(out);
    EXPECT_FALSE(ex.on_reply(reply(rep::kAddHeader)).ok());  // an edit before the end of the body
}

}  // namespace
}  // namespace ringpost::milter
