// should_send_dsn (RFC 3461 NOTIFY and the null sender), dsn_sender,
// dsn_body_type and action names.
#include <gtest/gtest.h>

#include "delivery/dsn.hpp"
#include "dsn_test_util.hpp"

namespace ringpost::delivery {
namespace {

constexpr DsnAction kAll[] = {DsnAction::kFailed, DsnAction::kDelayed, DsnAction::kDelivered,
                              DsnAction::kRelayed, DsnAction::kExpanded};

mail::Recipient rcpt(uint8_t notify) {
    mail::Recipient r;
    r.address = "bob@example.org";
    r.notify = notify;
    return r;
}

TEST(DsnNotify, UnsetNotifyReportsFailuresAndDelaysOnly) {
    const auto env = test::make_envelope();
    const auto r = rcpt(0);
    EXPECT_TRUE(should_send_dsn(env, r, DsnAction::kFailed));
    EXPECT_TRUE(should_send_dsn(env, r, DsnAction::kDelayed));
    EXPECT_FALSE(should_send_dsn(env, r, DsnAction::kDelivered));
    EXPECT_FALSE(should_send_dsn(env, r, DsnAction::kRelayed));
    EXPECT_FALSE(should_send_dsn(env, r, DsnAction::kExpanded));
}

TEST(DsnNotify, NeverMeansNothing) {
    const auto env = test::make_envelope();
    for (DsnAction a : kAll) {
        EXPECT_FALSE(should_send_dsn(env, rcpt(mail::kNotifyNever), a)) << action_name(a);
        // NEVER wins even if a client combined it with others (the session
        // rejects that, but a stored envelope is not re-validated).
        EXPECT_FALSE(should_send_dsn(env, rcpt(mail::kNotifyNever | mail::kNotifyFailure), a)) << action_name(a);
    }
}

TEST(DsnNotify, NullSenderNeverGetsANotification) {
    auto env = test::make_envelope();
    env.sender.clear();
    const uint8_t all = mail::kNotifySuccess | mail::kNotifyFailure | mail::kNotifyDelay;
    for (DsnAction a : kAll) {
        EXPECT_FALSE(should_send_dsn(env, rcpt(0), a)) << action_name(a);
        EXPECT_FALSE(should_send_dsn(env, rcpt(all), a)) << action_name(a);
    }
}

TEST(DsnNotify, SuccessAndFailure) {
    const auto env = test::make_envelope();
    const auto r = rcpt(mail::kNotifySuccess | mail::kNotifyFailure);
    EXPECT_TRUE(should_send_dsn(env, r, DsnAction::kFailed));
    EXPECT_FALSE(should_send_dsn(env, r, DsnAction::kDelayed));   // DELAY not asked for
    EXPECT_TRUE(should_send_dsn(env, r, DsnAction::kDelivered));
    EXPECT_TRUE(should_send_dsn(env, r, DsnAction::kRelayed));
    EXPECT_TRUE(should_send_dsn(env, r, DsnAction::kExpanded));
}

TEST(DsnNotify, EachFlagAlone) {
    const auto env = test::make_envelope();
    EXPECT_TRUE(should_send_dsn(env, rcpt(mail::kNotifyDelay), DsnAction::kDelayed));
    EXPECT_FALSE(should_send_dsn(env, rcpt(mail::kNotifyDelay), DsnAction::kFailed));
    EXPECT_FALSE(should_send_dsn(env, rcpt(mail::kNotifyDelay), DsnAction::kDelivered));
    EXPECT_TRUE(should_send_dsn(env, rcpt(mail::kNotifyFailure), DsnAction::kFailed));
    EXPECT_FALSE(should_send_dsn(env, rcpt(mail::kNotifyFailure), DsnAction::kDelayed));
    EXPECT_TRUE(should_send_dsn(env, rcpt(mail::kNotifySuccess), DsnAction::kDelivered));
    EXPECT_FALSE(should_send_dsn(env, rcpt(mail::kNotifySuccess), DsnAction::kFailed));
}

TEST(DsnNotify, NotificationsAreSentFromTheNullSender) { EXPECT_EQ(dsn_sender(), ""); }

TEST(DsnNotify, BodyTypeFollowsTheBytes) {
    EXPECT_EQ(dsn_body_type("Subject: x\r\n\r\nascii\r\n"), mail::BodyType::k7Bit);
    EXPECT_EQ(dsn_body_type("Subject: x\r\n\r\ncaf\xC3\xA9\r\n"), mail::BodyType::k8BitMime);
}

TEST(DsnNotify, ActionNamesAreTheRfc3464Values) {
    EXPECT_EQ(action_name(DsnAction::kFailed), "failed");
    EXPECT_EQ(action_name(DsnAction::kDelayed), "delayed");
    EXPECT_EQ(action_name(DsnAction::kDelivered), "delivered");
    EXPECT_EQ(action_name(DsnAction::kRelayed), "relayed");
    EXPECT_EQ(action_name(DsnAction::kExpanded), "expanded");
}

}  // namespace
}  // namespace ringpost::delivery
