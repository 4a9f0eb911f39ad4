// build_dsn end to end: each notification is checked for the line rules
// (CRLF only, <= 998 bytes) and parsed by Python's email package
// (dsn_check.py), whose view of the structure and fields is asserted here.
//
// Every scenario is built and parsed once for the whole suite, in a single
// Python run: starting the interpreter per test costs over a second each on
// a loaded CI machine. A scenario is a named function returning its input.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "delivery/dsn.hpp"
#include "dsn_test_util.hpp"

namespace ringpost::delivery {
namespace {

using test::failed_bob;
using test::kNow;
using test::kOriginal;
using test::kReceived;
using test::make_input;

using test::contains;

// Originals of the scenarios that need their own (DsnInput holds a view).
const std::string kPlanted = "--=_ringpost_0193A4F2C1D00001.1795525200";   // the first boundary candidate
const std::string kOriginalWithBoundary = kOriginal + kPlanted + "\r\n" + kPlanted + "--\r\n";
const std::string kLfOriginal = "Subject: lf only\nFrom: a@example.org\n\nline one\nline two";
const std::string k8BitOriginal = "Subject: hi\r\nContent-Type: text/plain; charset=latin1\r\n\r\ncaf\xE9\r\n";
const std::string kUtf8Original =
    "From: \xC3\xA4lice@ex\xC3\xA4mple.org\r\nTo: b\xC3\xB8" "b@ex\xC3\xA4mple.org\r\n"
    "Subject: Gr\xC3\xBC\xC3\x9F" "e\r\n\r\nHallo B\xC3\xB8" "b\r\n";

DsnInput failure() { return make_input({failed_bob()}); }

DsnInput envid_orcpt() {
    DsnInput in = make_input({failed_bob()});
    in.envelope.envid = "QQ314159";
    in.recipients[0].orcpt = "rfc822;Bob@Example.ORG";
    DsnRecipient carol = failed_bob();
    carol.address = "carol@example.org";
    carol.orcpt = "carol@example.net";   // stored without a type: an RFC 822 address
    in.recipients.push_back(carol);
    return in;
}

DsnInput ret_hdrs() {
    DsnInput in = make_input({failed_bob()});
    in.envelope.ret = mail::DsnRet::kHeaders;
    return in;
}

DsnInput ret_full() {
    DsnInput in = make_input({failed_bob()});
    in.envelope.ret = mail::DsnRet::kFull;
    return in;
}

DsnInput over_cap() {
    DsnInput in = make_input({failed_bob()});
    in.max_returned_size = kOriginal.size() - 1;
    return in;
}

DsnInput at_cap() {
    DsnInput in = make_input({failed_bob()});
    in.max_returned_size = kOriginal.size();
    return in;
}

DsnInput delay() {
    DsnRecipient r;
    r.address = "bob@example.org";
    r.action = DsnAction::kDelayed;
    r.status = "4.4.1";
    r.reason = "connect to mx.example.org[192.0.2.25]:25: Connection timed out";
    r.last_attempt = kNow;
    r.will_retry_until = kReceived + 5 * 86400;
    return make_input({r});
}

DsnInput success() {
    DsnRecipient r;
    r.address = "bob@example.org";
    r.action = DsnAction::kDelivered;
    r.status = "2.0.0";
    r.remote_mta = "mx.example.org";
    r.remote_reply = "250 2.0.0 Ok: queued as 4Fx1";
    DsnInput in = make_input({r});
    in.envelope.ret = mail::DsnRet::kFull;   // RET=FULL is for failures only
    return in;
}

DsnInput mixed() {
    DsnRecipient delayed;
    delayed.address = "carol@example.net";
    delayed.action = DsnAction::kDelayed;
    delayed.status = "not-a-code";   // malformed: replaced by the action's generic code
    delayed.reason = "host unreachable";
    return make_input({delayed, failed_bob()});
}

DsnInput utf8() {
    DsnInput in = make_input({});
    in.envelope.smtputf8 = true;
    in.envelope.sender = "\xC3\xA4lice@ex\xC3\xA4mple.org";
    DsnRecipient bob = failed_bob();
    bob.address = "b\xC3\xB8" "b@ex\xC3\xA4mple.org";
    bob.remote_reply = "550 5.1.1 unbekannter Empf\xC3\xA4nger";
    DsnRecipient carol = failed_bob();
    carol.address = "carol@example.org";
    in.recipients = {bob, carol};
    in.original = kUtf8Original;
    return in;
}

DsnInput utf8_hdrs() {
    DsnInput in = utf8();
    in.envelope.ret = mail::DsnRet::kHeaders;
    return in;
}

DsnInput hostile() {
    DsnRecipient r = failed_bob();
    // A multi-line reply, a bare LF trying to smuggle in a field, 8-bit junk,
    // a long explanation and a 2000-byte word.
    r.remote_reply = "550-5.7.1 first line\r\n550-5.7.1 second line\nX-Injected: yes\r\n550 5.7.1 caf\xC3\xA9 " +
                     std::string(40, 'w') + " " + std::string(40, 'x') + " " + std::string(2000, 'z');
    r.reason = "in reply to end of DATA command\rBcc: evil@example.com";
    return make_input({r});
}

DsnInput boundary_clash() {
    DsnInput in = make_input({failed_bob()});
    in.original = kOriginalWithBoundary;
    return in;
}

DsnInput bare_lf() {
    DsnInput in = make_input({failed_bob()});
    in.original = kLfOriginal;
    return in;
}

DsnInput binary_mime() {
    DsnInput in = make_input({failed_bob()});
    in.envelope.body_type = mail::BodyType::kBinaryMime;
    in.envelope.ret = mail::DsnRet::kFull;
    return in;
}

DsnInput eight_bit() {
    DsnInput in = make_input({failed_bob()});
    in.envelope.body_type = mail::BodyType::k8BitMime;
    in.original = k8BitOriginal;
    return in;
}

DsnInput ipv6_client() {
    DsnInput in = make_input({failed_bob()});
    in.envelope.client_ip = "2001:db8::7";
    return in;
}

const std::map<std::string, std::function<DsnInput()>> kScenarios = {
    {"failure", failure},       {"envid_orcpt", envid_orcpt},       {"ret_hdrs", ret_hdrs},
    {"ret_full", ret_full},     {"over_cap", over_cap},             {"at_cap", at_cap},
    {"delay", delay},           {"success", success},               {"mixed", mixed},
    {"utf8", utf8},             {"utf8_hdrs", utf8_hdrs},           {"hostile", hostile},
    {"boundary_clash", boundary_clash}, {"bare_lf", bare_lf},       {"binary_mime", binary_mime},
    {"eight_bit", eight_bit},   {"ipv6_client", ipv6_client},
};

struct Built {
    std::string raw;
    test::Parsed parsed;
};

class DsnBuild : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::vector<std::string> names, raws;
        for (const auto& [name, make] : kScenarios) {
            names.push_back(name);
            raws.push_back(build_dsn(make()));
        }
        auto parsed = test::parse_with_python(raws);
        built_ = new std::map<std::string, Built>;
        for (size_t i = 0; i < names.size(); ++i) built_->emplace(names[i], Built{raws[i], std::move(parsed[i])});
    }
    static void TearDownTestSuite() {
        delete built_;
        built_ = nullptr;
    }

    // The scenario's notification, after the checks every notification must
    // pass: the line rules and a parse without defects.
    static const Built& get(const std::string& name) {
        const Built& b = built_->at(name);
        EXPECT_EQ(test::line_rule_violation(b.raw), "") << name;
        EXPECT_EQ(b.parsed["defects"], "0") << name << ": " << b.parsed["defect.0"] << "\n" << b.raw;
        return b;
    }

private:
    static std::map<std::string, Built>* built_;
};

std::map<std::string, Built>* DsnBuild::built_ = nullptr;

TEST_F(DsnBuild, FailureIsAMultipartReportWithTheFullOriginal) {
    const auto& [raw, p] = get("failure");
    EXPECT_EQ(p["is_multipart"], "1");
    EXPECT_EQ(p["content_type"], "multipart/report");
    EXPECT_EQ(p["report_type"], "delivery-status");
    EXPECT_EQ(p["header.From"], "Mail Delivery System <MAILER-DAEMON@mx.example.test>");
    EXPECT_EQ(p["header.To"], "alice@example.org");
    EXPECT_EQ(p["header.Subject"], "Undelivered Mail Returned to Sender");
    EXPECT_EQ(p["header.Date"], "Tue, 24 Nov 2026 13:00:00 +0000");
    EXPECT_EQ(p["header.Message-ID"], "<0193A4F2C1D00001.1795525200.bounce@mx.example.test>");
    EXPECT_EQ(p["header.Auto-Submitted"], "auto-replied");
    EXPECT_EQ(p["header.MIME-Version"], "1.0");
    EXPECT_FALSE(p.has("header.Content-Transfer-Encoding"));   // all 7-bit

    ASSERT_EQ(p["parts"], "3");
    EXPECT_EQ(p["part1.type"], "text/plain");
    EXPECT_EQ(p["part1.charset"], "us-ascii");
    EXPECT_EQ(p["part2.type"], "message/delivery-status");
    EXPECT_EQ(p["part3.type"], "message/rfc822");

    const std::string text = p["text"];
    EXPECT_TRUE(contains(text, "This is the mail system at host mx.example.test.")) << text;
    EXPECT_TRUE(contains(text, "could not\r\nbe delivered to one or more recipients. It's attached below.")) << text;
    EXPECT_TRUE(contains(text, "<bob@example.org>: host mx.example.org said: 550 5.1.1 <bob@example.org>: user\r\n"
                               "    unknown"))
        << text;

    // The email package splits message/delivery-status into its blocks.
    EXPECT_EQ(p["status.blocks"], "2");
    EXPECT_EQ(p["status.message.Reporting-MTA"], "dns; mx.example.test");
    EXPECT_EQ(p["status.message.X-Ringpost-Queue-ID"], "0193A4F2C1D00001");
    EXPECT_EQ(p["status.message.X-Ringpost-Sender"], "rfc822; alice@example.org");
    EXPECT_EQ(p["status.message.Received-From-MTA"], "dns; client.example.org ([192.0.2.7])");
    EXPECT_EQ(p["status.message.Arrival-Date"], "Tue, 24 Nov 2026 10:00:00 +0000");
    EXPECT_FALSE(p.has("status.message.Original-Envelope-Id"));

    EXPECT_EQ(p["status.rcpt0.Final-Recipient"], "rfc822; bob@example.org");
    EXPECT_FALSE(p.has("status.rcpt0.Original-Recipient"));
    EXPECT_EQ(p["status.rcpt0.Action"], "failed");
    EXPECT_EQ(p["status.rcpt0.Status"], "5.1.1");
    EXPECT_EQ(p["status.rcpt0.Remote-MTA"], "dns; mx.example.org");
    EXPECT_EQ(p["status.rcpt0.Diagnostic-Code"], "smtp; 550 5.1.1 <bob@example.org>: user unknown");
    EXPECT_EQ(p["status.rcpt0.Last-Attempt-Date"], "Tue, 24 Nov 2026 13:00:00 +0000");
    EXPECT_FALSE(p.has("status.rcpt0.Will-Retry-Until"));

    EXPECT_EQ(p["original.kind"], "message");
    EXPECT_EQ(p["original.header.Subject"], "Quarterly numbers");
    EXPECT_EQ(p["original.header.Message-ID"], "<abc@example.org>");
    EXPECT_EQ(p["original.body"], "Hello Bob,\r\nthe numbers are attached.\r\n");
    // Byte for byte: the original is carried unchanged.
    EXPECT_TRUE(contains(raw, kOriginal));
}

TEST_F(DsnBuild, EnvidAndOrcptAreReported) {
    const auto& p = get("envid_orcpt").parsed;
    EXPECT_EQ(p["status.message.Original-Envelope-Id"], "QQ314159");
    EXPECT_EQ(p["status.blocks"], "3");
    EXPECT_EQ(p["status.rcpt0.Original-Recipient"], "rfc822;Bob@Example.ORG");
    EXPECT_EQ(p["status.rcpt1.Final-Recipient"], "rfc822; carol@example.org");
    EXPECT_EQ(p["status.rcpt1.Original-Recipient"], "rfc822;carol@example.net");
}

TEST_F(DsnBuild, RetHdrsReturnsOnlyTheHeaders) {
    const auto& [raw, p] = get("ret_hdrs");
    EXPECT_EQ(p["part3.type"], "text/rfc822-headers");
    EXPECT_EQ(p["original.kind"], "headers");
    EXPECT_EQ(p["original.header.Subject"], "Quarterly numbers");
    EXPECT_EQ(p["original.header.From"], "Alice <alice@example.org>");
    EXPECT_FALSE(p.has("original.body"));
    EXPECT_FALSE(contains(raw, "the numbers are attached"));
    EXPECT_TRUE(contains(p["text"], "Its headers are attached below.")) << p["text"];
}

TEST_F(DsnBuild, RetFullReturnsTheWholeMessage) {
    const auto& p = get("ret_full").parsed;
    EXPECT_EQ(p["part3.type"], "message/rfc822");
    EXPECT_EQ(p["original.body"], "Hello Bob,\r\nthe numbers are attached.\r\n");
}

TEST_F(DsnBuild, AnOriginalOverTheSizeCapIsReturnedAsHeaders) {
    const auto& [raw, p] = get("over_cap");
    EXPECT_EQ(p["part3.type"], "text/rfc822-headers");
    EXPECT_EQ(p["original.header.Subject"], "Quarterly numbers");
    EXPECT_FALSE(contains(raw, "the numbers are attached"));
    EXPECT_TRUE(contains(p["text"], "The message was too large to be returned in full.")) << p["text"];
    // Exactly at the cap it is still returned whole.
    EXPECT_EQ(get("at_cap").parsed["part3.type"], "message/rfc822");
}

TEST_F(DsnBuild, DelayWarningCarriesRetryUntilAndOnlyHeaders) {
    const auto& p = get("delay").parsed;
    EXPECT_EQ(p["header.Subject"], "Delayed Mail (still being retried)");
    EXPECT_EQ(p["header.Message-ID"], "<0193A4F2C1D00001.1795525200.delay@mx.example.test>");
    EXPECT_EQ(p["status.rcpt0.Action"], "delayed");
    EXPECT_EQ(p["status.rcpt0.Status"], "4.4.1");
    EXPECT_EQ(p["status.rcpt0.Diagnostic-Code"],
              "X-Ringpost; connect to mx.example.org[192.0.2.25]:25: Connection timed out");
    EXPECT_FALSE(p.has("status.rcpt0.Remote-MTA"));
    EXPECT_EQ(p["status.rcpt0.Will-Retry-Until"], "Sun, 29 Nov 2026 10:00:00 +0000");
    // RFC 3461 4.3: reports without a failure return the headers only, RET or not.
    EXPECT_EQ(p["part3.type"], "text/rfc822-headers");
    const std::string text = p["text"];
    EXPECT_TRUE(contains(text, "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #")) << text;
    EXPECT_TRUE(contains(text, "could not be delivered for 3 hours.")) << text;
    EXPECT_TRUE(contains(text, "Sun, 29 Nov 2026 10:00:00 +0000.")) << text;
    EXPECT_TRUE(contains(text, "<bob@example.org>: connect to mx.example.org[192.0.2.25]:25: Connection timed")) << text;
}

TEST_F(DsnBuild, SuccessReport) {
    const auto& p = get("success").parsed;
    EXPECT_EQ(p["header.Subject"], "Successful Mail Delivery Report");
    EXPECT_EQ(p["header.Message-ID"], "<0193A4F2C1D00001.1795525200.success@mx.example.test>");
    EXPECT_EQ(p["status.rcpt0.Action"], "delivered");
    EXPECT_EQ(p["status.rcpt0.Status"], "2.0.0");
    EXPECT_EQ(p["status.rcpt0.Diagnostic-Code"], "smtp; 250 2.0.0 Ok: queued as 4Fx1");
    EXPECT_EQ(p["part3.type"], "text/rfc822-headers");
    EXPECT_TRUE(contains(p["text"], "Your message was successfully delivered")) << p["text"];
}

TEST_F(DsnBuild, MixedReportIsNamedAfterTheFailureAndGroupsRecipients) {
    const auto& p = get("mixed").parsed;
    EXPECT_EQ(p["header.Subject"], "Undelivered Mail Returned to Sender");
    EXPECT_EQ(p["status.rcpt0.Final-Recipient"], "rfc822; carol@example.net");
    EXPECT_EQ(p["status.rcpt0.Status"], "4.0.0");
    EXPECT_EQ(p["status.rcpt1.Status"], "5.1.1");
    const std::string text = p["text"];
    const size_t failed = text.find("Delivery to these recipients failed permanently:");
    const size_t delayed_heading = text.find("Delivery to these recipients is delayed");
    ASSERT_NE(failed, std::string::npos) << text;
    ASSERT_NE(delayed_heading, std::string::npos) << text;
    EXPECT_LT(failed, text.find("<bob@example.org>"));
    EXPECT_LT(text.find("<bob@example.org>"), delayed_heading);
    EXPECT_LT(delayed_heading, text.find("<carol@example.net>: host unreachable"));
}

TEST_F(DsnBuild, Smtputf8OriginalUsesTheGlobalTypes) {
    const auto& [raw, p] = get("utf8");
    EXPECT_EQ(p["report_type"], "global-delivery-status");
    EXPECT_EQ(p["header.Content-Transfer-Encoding"], "8bit");
    EXPECT_EQ(p["header.To"], "\xC3\xA4lice@ex\xC3\xA4mple.org");
    EXPECT_EQ(p["part1.charset"], "utf-8");
    EXPECT_EQ(p["part2.type"], "message/global-delivery-status");
    EXPECT_EQ(p["part3.type"], "message/global");
    EXPECT_EQ(p["status.message.X-Ringpost-Sender"], "utf-8; \xC3\xA4lice@ex\xC3\xA4mple.org");
    EXPECT_EQ(p["status.rcpt0.Final-Recipient"], "utf-8; b\xC3\xB8" "b@ex\xC3\xA4mple.org");
    EXPECT_EQ(p["status.rcpt0.Diagnostic-Code"], "smtp; 550 5.1.1 unbekannter Empf\xC3\xA4nger");
    EXPECT_EQ(p["status.rcpt1.Final-Recipient"], "rfc822; carol@example.org");   // ASCII keeps rfc822
    EXPECT_EQ(p["original.header.Subject"], "Gr\xC3\xBC\xC3\x9F" "e");
    EXPECT_TRUE(contains(p["text"], "<b\xC3\xB8" "b@ex\xC3\xA4mple.org>: host mx.example.org said: 550 5.1.1"))
        << p["text"];
    EXPECT_EQ(dsn_body_type(raw), mail::BodyType::k8BitMime);

    const auto& h = get("utf8_hdrs").parsed;
    EXPECT_EQ(h["part3.type"], "message/global-headers");
    EXPECT_EQ(h["original.header.Subject"], "Gr\xC3\xBC\xC3\x9F" "e");
}

TEST_F(DsnBuild, HostileDiagnosticsCannotAddFieldsOrBreakLines) {
    const auto& [raw, p] = get("hostile");
    EXPECT_FALSE(p.has("status.rcpt0.X-Injected"));
    EXPECT_FALSE(p.has("status.rcpt0.Bcc"));
    EXPECT_EQ(p["status.blocks"], "2");
    const std::string diag = p["status.rcpt0.Diagnostic-Code"];
    EXPECT_EQ(diag.rfind("smtp; 550-5.7.1 first line 550-5.7.1 second line X-Injected: yes 550 5.7.1 caf?? ", 0), 0u)
        << diag;
    EXPECT_EQ(diag.find('\n'), std::string::npos);
    // Not an SMTPUTF8 report: everything of ours stays ASCII.
    EXPECT_EQ(p["part1.charset"], "us-ascii");
    EXPECT_EQ(dsn_body_type(raw), mail::BodyType::k7Bit);
    // The field was folded: its first line stops at 78 columns.
    const size_t at = raw.find("Diagnostic-Code: ");
    ASSERT_NE(at, std::string::npos);
    EXPECT_LE(raw.find("\r\n", at) - at, 78u);
}

TEST_F(DsnBuild, BoundaryNeverOccursInTheReturnedMessage) {
    // The first boundary candidate is planted in the original (think of a
    // forwarded earlier bounce of ours).
    const auto& p = get("boundary_clash").parsed;
    ASSERT_EQ(p["parts"], "3");
    EXPECT_EQ(kOriginalWithBoundary.find(p["boundary"]), std::string::npos) << p["boundary"];
    EXPECT_EQ(p["original.body"],
              "Hello Bob,\r\nthe numbers are attached.\r\n" + kPlanted + "\r\n" + kPlanted + "--\r\n");
}

TEST_F(DsnBuild, BareLineFeedsInTheOriginalBecomeCrlf) {
    const auto& [raw, p] = get("bare_lf");
    EXPECT_EQ(p["original.header.Subject"], "lf only");
    EXPECT_EQ(p["original.body"], "line one\r\nline two\r\n");
    EXPECT_TRUE(contains(raw, "Subject: lf only\r\nFrom: a@example.org\r\n\r\nline one\r\nline two\r\n"));
}

TEST_F(DsnBuild, BinaryMimeOriginalIsReturnedAsHeaders) {
    const auto& p = get("binary_mime").parsed;
    EXPECT_EQ(p["part3.type"], "text/rfc822-headers");
    EXPECT_EQ(p["original.header.Subject"], "Quarterly numbers");
}

TEST_F(DsnBuild, EightBitOriginalIsLabelled8bit) {
    const auto& [raw, p] = get("eight_bit");
    EXPECT_EQ(p["part3.type"], "message/rfc822");
    EXPECT_EQ(p["part3.cte"], "8bit");
    EXPECT_EQ(p["header.Content-Transfer-Encoding"], "8bit");
    EXPECT_EQ(p["part1.charset"], "us-ascii");   // our own text stays ASCII
    EXPECT_EQ(dsn_body_type(raw), mail::BodyType::k8BitMime);
    EXPECT_TRUE(contains(raw, k8BitOriginal));
}

TEST_F(DsnBuild, Ipv6ClientIsTaggedInReceivedFromMta) {
    EXPECT_EQ(get("ipv6_client").parsed["status.message.Received-From-MTA"],
              "dns; client.example.org ([IPv6:2001:db8::7])");
}

}  // namespace
}  // namespace ringpost::delivery
