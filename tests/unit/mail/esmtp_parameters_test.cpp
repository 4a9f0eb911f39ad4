// ESMTP parameters from a stored envelope: what the delivery client sends
// the next hop and the milter client replays to a filter.
#include "mail/esmtp_parameters.hpp"

#include <gtest/gtest.h>

using namespace ringpost::mail;
using Params = std::vector<std::string>;

TEST(EsmtpParameters, XtextEscapesPlusEqualsAndBytesOutsidePrintable) {
    EXPECT_EQ(xtext_encode("a+b=c d\x01\xc3\xa9"), "a+2Bb+3Dc+20d+01+C3+A9");
    EXPECT_EQ(xtext_encode("plain"), "plain");
    EXPECT_EQ(xtext_encode(""), "");
}

TEST(EsmtpParameters, BodyAndSmtputf8) {
    EXPECT_EQ(body_parameters(BodyType::k7Bit, false), Params{});
    EXPECT_EQ(body_parameters(BodyType::k8BitMime, false), Params{"BODY=8BITMIME"});
    EXPECT_EQ(body_parameters(BodyType::kBinaryMime, true), (Params{"BODY=BINARYMIME", "SMTPUTF8"}));
    EXPECT_EQ(body_parameters(BodyType::k7Bit, true), Params{"SMTPUTF8"});
}

TEST(EsmtpParameters, RetAndEnvid) {
    EXPECT_EQ(dsn_mail_parameters(DsnRet::kUnset, ""), Params{});
    EXPECT_EQ(dsn_mail_parameters(DsnRet::kFull, "id 1"), (Params{"RET=FULL", "ENVID=id+201"}));
    EXPECT_EQ(dsn_mail_parameters(DsnRet::kHeaders, ""), Params{"RET=HDRS"});
}

TEST(EsmtpParameters, NotifyInRfcOrderAndOrcpt) {
    EXPECT_EQ(dsn_rcpt_parameters(0, ""), Params{});
    EXPECT_EQ(dsn_rcpt_parameters(kNotifyNever, ""), Params{"NOTIFY=NEVER"});
    EXPECT_EQ(dsn_rcpt_parameters(kNotifyDelay | kNotifySuccess, ""), Params{"NOTIFY=SUCCESS,DELAY"});
    EXPECT_EQ(dsn_rcpt_parameters(kNotifyFailure, "rfc822;a+b@example.org"),
              (Params{"NOTIFY=FAILURE", "ORCPT=rfc822;a+2Bb@example.org"}));
    EXPECT_EQ(dsn_rcpt_parameters(0, "bare@example.org"), Params{"ORCPT=rfc822;bare@example.org"});
}
