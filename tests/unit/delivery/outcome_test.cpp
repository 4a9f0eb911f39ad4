// plan_outcome / plan_bounce / count_received_headers: the state each
// recipient ends in, the retry time, expiry, and the notifications that are
// due. Notifications are checked as spooled AcceptRequests and, where their
// content matters, parsed by Python's email package (dsn_check.py) -- all of
// them in one Python run for the suite (see dsn_build_test.cpp for why).
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "delivery/outcome.hpp"
#include "dsn_test_util.hpp"

namespace ringpost::delivery {
namespace {

using mail::RcptState;
using test::kNow;
using test::kOriginal;
using test::kReceived;

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;

using test::contains;

mail::Recipient rcpt(std::string address, uint8_t notify = 0, RcptState state = RcptState::kQueued,
                     uint32_t attempts = 0) {
    mail::Recipient r;
    r.address = std::move(address);
    r.notify = notify;
    r.state = state;
    r.attempts = attempts;
    return r;
}

// alice@example.org -> bob@example.org, carol@example.net, dave@example.com
mail::Envelope envelope3() {
    mail::Envelope e = test::make_envelope();
    e.recipients = {rcpt("bob@example.org"), rcpt("carol@example.net"), rcpt("dave@example.com")};
    return e;
}

std::shared_ptr<const std::string> body() { return std::make_shared<const std::string>(kOriginal); }

OutcomePolicy policy() {
    OutcomePolicy p;
    p.reporting_mta = "mx.example.test";
    p.jitter = [] { return 0.5; };   // exactly the schedule's delay
    p.is_local = [](std::string_view address) { return address.ends_with("@example.org"); };
    auto counter = std::make_shared<int>(0);
    p.new_queue_id = [counter] { return "DSN" + std::to_string(++*counter); };
    return p;
}

RecipientResult delivered(size_t index, std::string remote_mta = "mx.example.net") {
    RecipientResult r;
    r.index = index;
    r.diagnostic = {Outcome::kDelivered, 250, "2.0.0", "Ok: queued as 4Fx1"};
    r.remote_mta = std::move(remote_mta);
    return r;
}

RecipientResult delivered_locally(size_t index) {
    RecipientResult r;
    r.index = index;
    r.diagnostic = {Outcome::kDelivered, 0, "2.0.0", "delivered to mailbox"};
    r.local_delivery = true;
    return r;
}

RecipientResult deferred(size_t index) {
    RecipientResult r;
    r.index = index;
    r.diagnostic = {Outcome::kDeferred, 451, "4.7.1", "try again later"};
    r.remote_mta = "mx.example.net";
    return r;
}

RecipientResult deferred_locally(size_t index) {
    RecipientResult r;
    r.index = index;
    r.diagnostic = {Outcome::kDeferred, 0, "4.4.1", "connect to mx.example.net[192.0.2.25]:25: Connection timed out"};
    return r;
}

RecipientResult failed(size_t index) {
    RecipientResult r;
    r.index = index;
    r.diagnostic = {Outcome::kFailed, 550, "5.1.1", "<bob@example.org>: user unknown"};
    r.remote_mta = "mx.example.org";
    return r;
}

RecipientResult failed_locally(size_t index) {
    RecipientResult r;
    r.index = index;
    r.diagnostic = {Outcome::kFailed, 0, "5.4.6", "mail for example.com loops back to myself"};
    return r;
}

PlannedOutcome plan(const mail::Envelope& e, const std::vector<RecipientResult>& results, int64_t now = kNow,
                    const OutcomePolicy& p = policy()) {
    return plan_outcome(e, body(), results, now, p);
}

// ---------------------------------------------------------------------------
// States, attempts, replies, counts.

TEST(PlanOutcome, AppliesEachOutcome) {
    mail::Envelope e = envelope3();
    e.recipients[1].attempts = 2;
    const auto out = plan(e, {delivered(0), deferred(1), failed(2)});
    ASSERT_NE(out.request, nullptr);
    const auto& r = out.request->envelope.recipients;
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].state, RcptState::kDelivered);
    EXPECT_EQ(r[1].state, RcptState::kDeferred);
    EXPECT_EQ(r[2].state, RcptState::kFailed);
    EXPECT_EQ(r[0].attempts, 1u);
    EXPECT_EQ(r[1].attempts, 3u);
    EXPECT_EQ(r[2].attempts, 1u);
    EXPECT_EQ(r[0].last_reply, "250 2.0.0 Ok: queued as 4Fx1");
    EXPECT_EQ(r[1].last_reply, "451 4.7.1 try again later");
    EXPECT_EQ(r[2].last_reply, "550 5.1.1 <bob@example.org>: user unknown");
    EXPECT_EQ(out.delivered, 1u);
    EXPECT_EQ(out.deferred, 1u);
    EXPECT_EQ(out.failed, 1u);
    EXPECT_TRUE(out.request->local_deliveries.empty());
    EXPECT_FALSE(out.request->on_done);
}

TEST(PlanOutcome, CopiesTheEnvelopeAndKeepsTheBody) {
    mail::Envelope e = envelope3();
    e.envid = "QQ314159";
    e.smtputf8 = true;
    auto b = body();
    const auto out = plan_outcome(e, b, {deferred(0)}, kNow, policy());
    const mail::Envelope& after = out.request->envelope;
    EXPECT_EQ(after.queue_id, e.queue_id);
    EXPECT_EQ(after.sender, e.sender);
    EXPECT_EQ(after.envid, "QQ314159");
    EXPECT_TRUE(after.smtputf8);
    EXPECT_EQ(after.received_at, kReceived);
    EXPECT_EQ(after.last_attempt, kNow);
    EXPECT_EQ(out.request->body, b);
    // Recipients without a result keep their state and attempts.
    EXPECT_EQ(after.recipients[1].state, RcptState::kQueued);
    EXPECT_EQ(after.recipients[1].attempts, 0u);
    EXPECT_EQ(after.recipients[1].last_reply, "");
}

TEST(PlanOutcome, LocalReasonsBecomeTheLastReply) {
    const auto out = plan(envelope3(), {deferred_locally(0), failed_locally(1)});
    const auto& r = out.request->envelope.recipients;
    EXPECT_EQ(r[0].last_reply, "4.4.1 connect to mx.example.net[192.0.2.25]:25: Connection timed out");
    EXPECT_EQ(r[1].last_reply, "5.4.6 mail for example.com loops back to myself");
}

TEST(PlanOutcome, IgnoresBadIndicesDuplicatesAndSettledRecipients) {
    mail::Envelope e = envelope3();
    e.recipients[1].state = RcptState::kDelivered;
    e.recipients[1].attempts = 1;
    e.recipients[1].last_reply = "250 ok";
    e.recipients[2].state = RcptState::kFailed;
    e.recipients[2].attempts = 4;
    e.recipients[2].last_reply = "550 no";
    const auto out = plan(e, {deferred(7), deferred(static_cast<size_t>(-1)), failed(1), deferred(2), deferred(0),
                              delivered(0)});
    const auto& r = out.request->envelope.recipients;
    EXPECT_EQ(r[0].state, RcptState::kDeferred);   // the first result for an index counts
    EXPECT_EQ(r[0].attempts, 1u);
    EXPECT_EQ(r[1].state, RcptState::kDelivered);
    EXPECT_EQ(r[1].attempts, 1u);
    EXPECT_EQ(r[1].last_reply, "250 ok");
    EXPECT_EQ(r[2].state, RcptState::kFailed);
    EXPECT_EQ(r[2].attempts, 4u);
    EXPECT_EQ(r[2].last_reply, "550 no");
    EXPECT_EQ(out.delivered, 0u);
    EXPECT_EQ(out.deferred, 1u);
    EXPECT_EQ(out.failed, 0u);
    EXPECT_EQ(out.notifications, 0u);   // the ignored failure does not bounce
}

TEST(PlanOutcome, PreviouslyDeferredRecipientsAreAttemptedAgain) {
    mail::Envelope e = envelope3();
    e.recipients[0].state = RcptState::kDeferred;
    e.recipients[0].attempts = 2;
    const auto out = plan(e, {delivered(0)});
    EXPECT_EQ(out.request->envelope.recipients[0].state, RcptState::kDelivered);
    EXPECT_EQ(out.request->envelope.recipients[0].attempts, 3u);
}

TEST(PlanOutcome, LocalDeliveriesAreListedNotMarked) {
    mail::Envelope e = envelope3();
    e.recipients[2].state = RcptState::kDeferred;   // a mailbox that was over quota
    e.recipients[2].attempts = 1;
    const auto out = plan(e, {delivered_locally(0), delivered(1), delivered_locally(2)});
    const auto& r = out.request->envelope.recipients;
    EXPECT_EQ(out.request->local_deliveries, (std::vector<size_t>{0, 2}));
    EXPECT_EQ(r[0].state, RcptState::kQueued);     // the store marks it delivered
    EXPECT_EQ(r[2].state, RcptState::kDeferred);
    EXPECT_EQ(r[0].attempts, 1u);
    EXPECT_EQ(r[2].attempts, 2u);
    EXPECT_EQ(r[0].last_reply, "2.0.0 delivered to mailbox");
    EXPECT_EQ(r[1].state, RcptState::kDelivered);
    EXPECT_EQ(out.delivered, 3u);
    // Nothing is left to retry: the local ones do not count as pending.
    EXPECT_EQ(out.request->envelope.next_attempt, e.next_attempt);
    EXPECT_EQ(out.notifications, 0u);
}

// ---------------------------------------------------------------------------
// Retry time.

TEST(PlanOutcome, NextAttemptFollowsTheScheduleWithJitter) {
    mail::Envelope e = envelope3();
    e.next_attempt = kNow;
    OutcomePolicy p = policy();
    // bob: first failure -> 5 minutes.
    EXPECT_EQ(plan(e, {deferred(0)}, kNow, p).request->envelope.next_attempt, kNow + 300);
    p.jitter = [] { return 0.0; };
    EXPECT_EQ(plan(e, {deferred(0)}, kNow, p).request->envelope.next_attempt, kNow + 270);   // -10%
    p.jitter = [] { return 1.0; };
    EXPECT_EQ(plan(e, {deferred(0)}, kNow, p).request->envelope.next_attempt, kNow + 330);   // +10%
}

TEST(PlanOutcome, NextAttemptUsesTheMostAttemptsAmongPendingRecipients) {
    mail::Envelope e = envelope3();
    e.recipients[1].state = RcptState::kDeferred;   // not attempted in this round
    e.recipients[1].attempts = 2;
    e.recipients[2].state = RcptState::kFailed;     // not pending: its attempts do not count
    e.recipients[2].attempts = 9;
    const auto out = plan(e, {deferred(0)});
    // max(1, 2) = 2 attempts -> the second delay, 10 minutes.
    EXPECT_EQ(out.request->envelope.next_attempt, kNow + 600);
    EXPECT_EQ(out.request->envelope.recipients[1].attempts, 2u);
}

TEST(PlanOutcome, NextAttemptStaysWithinTheJitteredWindowWithTheDefaultSource) {
    OutcomePolicy p = policy();
    p.jitter = nullptr;   // default_jitter_source()
    mail::Envelope e = envelope3();
    e.recipients[0].attempts = 4;   // the fifth failure: 1 hour
    for (int i = 0; i < 50; ++i) {
        const int64_t next = plan(e, {deferred(0)}, kNow, p).request->envelope.next_attempt;
        EXPECT_GE(next, kNow + 3240);
        EXPECT_LE(next, kNow + 3960);
    }
}

TEST(PlanOutcome, NothingPendingLeavesTheScheduleAlone) {
    mail::Envelope e = envelope3();
    e.next_attempt = kNow - 10;
    const auto out = plan(e, {delivered(0), delivered(1), failed(2)});
    EXPECT_EQ(out.request->envelope.next_attempt, kNow - 10);
    EXPECT_EQ(out.request->envelope.last_attempt, kNow);
}

// ---------------------------------------------------------------------------
// Notifications as spooled messages (no parsing needed).

TEST(PlanOutcome, FailedNotificationIsSpooledFromTheNullSender) {
    mail::Envelope e = envelope3();
    e.smtputf8 = true;
    const auto out = plan(e, {failed(0), delivered(1)});
    ASSERT_EQ(out.notifications, 1u);
    ASSERT_EQ(out.request->notifications.size(), 1u);
    const store::AcceptRequest& n = *out.request->notifications[0];
    EXPECT_EQ(n.envelope.queue_id, "DSN1");
    EXPECT_EQ(n.envelope.sender, "");
    ASSERT_EQ(n.envelope.recipients.size(), 1u);
    EXPECT_EQ(n.envelope.recipients[0].address, "alice@example.org");
    EXPECT_TRUE(n.envelope.recipients[0].local);   // is_local: example.org is ours
    EXPECT_EQ(n.envelope.recipients[0].state, RcptState::kQueued);
    EXPECT_EQ(n.envelope.received_at, kNow);
    EXPECT_EQ(n.envelope.next_attempt, 0);
    EXPECT_EQ(n.envelope.protocol, "local");
    EXPECT_EQ(n.envelope.helo, "mx.example.test");
    EXPECT_EQ(n.envelope.client_ip, "127.0.0.1");
    EXPECT_TRUE(n.envelope.smtputf8);
    EXPECT_EQ(n.envelope.body_size, n.data.size());
    EXPECT_EQ(n.envelope.body_type, dsn_body_type(n.data));
    EXPECT_EQ(n.envelope.body_type, mail::BodyType::k7Bit);   // ASCII original, ASCII report
    EXPECT_FALSE(n.envelope.delay_warned);
    EXPECT_FALSE(n.on_done);
    EXPECT_TRUE(contains(n.data, "Action: failed")) << n.data;
    EXPECT_EQ(test::line_rule_violation(n.data), "");
}

TEST(PlanOutcome, NotificationToARemoteSenderIsNotLocal) {
    mail::Envelope e = envelope3();
    e.sender = "alice@example.net";
    auto out = plan(e, {failed(0)});
    ASSERT_EQ(out.request->notifications.size(), 1u);
    EXPECT_FALSE(out.request->notifications[0]->envelope.recipients[0].local);

    // Without an is_local function nothing is local.
    OutcomePolicy p = policy();
    p.is_local = nullptr;
    out = plan(envelope3(), {failed(0)}, kNow, p);
    ASSERT_EQ(out.request->notifications.size(), 1u);
    EXPECT_EQ(out.request->notifications[0]->envelope.recipients[0].address, "alice@example.org");
    EXPECT_FALSE(out.request->notifications[0]->envelope.recipients[0].local);
}

TEST(PlanOutcome, OneFailedNotificationForAllFailures) {
    const auto out = plan(envelope3(), {failed(0), failed_locally(1), failed(2)});
    ASSERT_EQ(out.notifications, 1u);
    const std::string& data = out.request->notifications[0]->data;
    EXPECT_TRUE(contains(data, "Final-Recipient: rfc822; bob@example.org"));
    EXPECT_TRUE(contains(data, "Final-Recipient: rfc822; carol@example.net"));
    EXPECT_TRUE(contains(data, "Final-Recipient: rfc822; dave@example.com"));
}

TEST(PlanOutcome, NotifyNeverOrWithoutFailureSendsNoBounce) {
    mail::Envelope e = envelope3();
    e.recipients[0].notify = mail::kNotifyNever;
    e.recipients[1].notify = mail::kNotifySuccess | mail::kNotifyDelay;
    const auto out = plan(e, {failed(0), failed(1)});
    EXPECT_EQ(out.failed, 2u);
    EXPECT_EQ(out.notifications, 0u);
    EXPECT_TRUE(out.request->notifications.empty());
    // The recipient with NOTIFY=FAILURE alone is reported.
    e.recipients[2].notify = mail::kNotifyFailure;
    const auto out2 = plan(e, {failed(0), failed(1), failed(2)});
    ASSERT_EQ(out2.notifications, 1u);
    const std::string& data = out2.request->notifications[0]->data;
    EXPECT_TRUE(contains(data, "Final-Recipient: rfc822; dave@example.com"));
    EXPECT_FALSE(contains(data, "Final-Recipient: rfc822; bob@example.org"));
    EXPECT_FALSE(contains(data, "Final-Recipient: rfc822; carol@example.net"));
}

TEST(PlanOutcome, NullSenderNeverGetsANotification) {
    mail::Envelope e = envelope3();
    e.sender = "";
    e.received_at = kNow - 6 * kDay;   // expiry and a delay warning would both be due
    e.recipients[2].notify = mail::kNotifySuccess;
    OutcomePolicy p = policy();
    p.delay_warning = std::chrono::hours(4);
    p.max_queue_lifetime = std::chrono::days(30);
    const auto out = plan(e, {failed(0), deferred(1), delivered_locally(2)}, kNow, p);
    EXPECT_EQ(out.failed, 1u);
    EXPECT_EQ(out.deferred, 1u);
    EXPECT_EQ(out.notifications, 0u);
    EXPECT_TRUE(out.request->notifications.empty());
    // The warning was considered (and is not considered again).
    EXPECT_TRUE(out.request->envelope.delay_warned);

    p.max_queue_lifetime = std::chrono::days(5);
    const auto expired_out = plan(e, {deferred(0)}, kNow, p);
    EXPECT_EQ(expired_out.request->envelope.recipients[0].state, RcptState::kFailed);
    EXPECT_TRUE(expired_out.request->notifications.empty());
}

TEST(PlanOutcome, SuccessReportsOnlyForNotifySuccess) {
    mail::Envelope e = envelope3();
    e.recipients[0].notify = mail::kNotifyFailure;             // no SUCCESS
    e.recipients[1].notify = 0;                                // default: no SUCCESS
    e.recipients[2].notify = mail::kNotifySuccess | mail::kNotifyFailure;
    auto out = plan(e, {delivered_locally(0), delivered_locally(1), delivered_locally(2)});
    ASSERT_EQ(out.notifications, 1u);
    const std::string& data = out.request->notifications[0]->data;
    EXPECT_TRUE(contains(data, "Action: delivered"));
    EXPECT_TRUE(contains(data, "Final-Recipient: rfc822; dave@example.com"));
    EXPECT_FALSE(contains(data, "Final-Recipient: rfc822; bob@example.org"));
    EXPECT_FALSE(contains(data, "Final-Recipient: rfc822; carol@example.net"));
}

TEST(PlanOutcome, RemoteServerWithDsnTakesTheSuccessReport) {
    mail::Envelope e = envelope3();
    for (auto& r : e.recipients) r.notify = mail::kNotifySuccess;
    const auto out = plan(e, {delivered(0), delivered(1), delivered(2)});
    EXPECT_EQ(out.delivered, 3u);
    EXPECT_EQ(out.notifications, 0u);
}

// ---------------------------------------------------------------------------
// Expiry and delay warnings (states; content is parsed below).

TEST(PlanOutcome, ExpiryFailsDeferredRecipientsAttemptedInThisRound) {
    mail::Envelope e = envelope3();
    e.received_at = kNow - 5 * kDay;   // exactly the default lifetime
    e.recipients[2].state = RcptState::kDeferred;   // not attempted now: left for its own attempt
    e.recipients[2].attempts = 3;
    const auto out = plan(e, {deferred(0), delivered(1)});
    const auto& r = out.request->envelope.recipients;
    EXPECT_EQ(r[0].state, RcptState::kFailed);
    EXPECT_EQ(r[0].attempts, 1u);
    EXPECT_EQ(r[0].last_reply, "4.4.7 delivery time expired; last error: 451 4.7.1 try again later");
    EXPECT_EQ(r[1].state, RcptState::kDelivered);
    EXPECT_EQ(r[2].state, RcptState::kDeferred);
    EXPECT_EQ(out.failed, 1u);
    EXPECT_EQ(out.deferred, 0u);
    EXPECT_EQ(out.notifications, 1u);
    EXPECT_EQ(out.request->envelope.next_attempt, kNow + 20 * 60);   // dave: third delay

    // One second younger: retried, not expired.
    e.received_at = kNow - 5 * kDay + 1;
    const auto young = plan(e, {deferred(0)});
    EXPECT_EQ(young.request->envelope.recipients[0].state, RcptState::kDeferred);
    EXPECT_EQ(young.notifications, 0u);
}

TEST(PlanOutcome, ExpiryFollowsTheConfiguredLifetime) {
    mail::Envelope e = envelope3();
    e.received_at = kNow - 2 * kHour;
    OutcomePolicy p = policy();
    p.max_queue_lifetime = std::chrono::hours(1);
    const auto out = plan(e, {deferred_locally(0)}, kNow, p);
    EXPECT_EQ(out.request->envelope.recipients[0].state, RcptState::kFailed);
    EXPECT_EQ(out.request->envelope.recipients[0].last_reply,
              "4.4.7 delivery time expired; last error: 4.4.1 connect to mx.example.net[192.0.2.25]:25: "
              "Connection timed out");
}

TEST(PlanOutcome, DelayWarningIsSentOnce) {
    mail::Envelope e = envelope3();
    e.received_at = kNow - 4 * kHour;
    OutcomePolicy p = policy();
    p.delay_warning = std::chrono::hours(4);
    const auto first = plan(e, {deferred(0)}, kNow, p);
    EXPECT_TRUE(first.request->envelope.delay_warned);
    ASSERT_EQ(first.notifications, 1u);
    EXPECT_TRUE(contains(first.request->notifications[0]->data, "Action: delayed"));

    // The next attempt, with the envelope as it was written.
    const auto second = plan(first.request->envelope, {deferred(0)}, kNow + kHour, p);
    EXPECT_TRUE(second.request->envelope.delay_warned);
    EXPECT_EQ(second.notifications, 0u);
}

TEST(PlanOutcome, NoDelayWarningTooEarlyDisabledOrWithNothingDeferred) {
    mail::Envelope e = envelope3();
    e.received_at = kNow - 4 * kHour + 1;
    OutcomePolicy p = policy();
    p.delay_warning = std::chrono::hours(4);
    auto out = plan(e, {deferred(0)}, kNow, p);
    EXPECT_FALSE(out.request->envelope.delay_warned);
    EXPECT_EQ(out.notifications, 0u);

    e.received_at = kNow - 10 * kHour;
    p.delay_warning = std::chrono::seconds(0);
    out = plan(e, {deferred(0)}, kNow, p);
    EXPECT_FALSE(out.request->envelope.delay_warned);
    EXPECT_EQ(out.notifications, 0u);

    p.delay_warning = std::chrono::hours(4);
    out = plan(e, {delivered(0), delivered(1), delivered(2)}, kNow, p);
    EXPECT_FALSE(out.request->envelope.delay_warned);
    EXPECT_EQ(out.notifications, 0u);
}

TEST(PlanOutcome, DelayWarningIsConsideredOnceEvenWhenNobodyWantsIt) {
    mail::Envelope e = envelope3();
    e.received_at = kNow - 5 * kHour;
    for (auto& r : e.recipients) r.notify = mail::kNotifyFailure;
    OutcomePolicy p = policy();
    p.delay_warning = std::chrono::hours(4);
    const auto out = plan(e, {deferred(0), deferred(1)}, kNow, p);
    EXPECT_TRUE(out.request->envelope.delay_warned);
    EXPECT_EQ(out.notifications, 0u);
}

// ---------------------------------------------------------------------------
// plan_bounce.

TEST(PlanBounce, FailsEveryPendingRecipient) {
    mail::Envelope e = envelope3();
    e.recipients[0].state = RcptState::kDeferred;
    e.recipients[0].attempts = 3;
    e.recipients[1].state = RcptState::kDelivered;
    e.recipients[1].last_reply = "250 ok";
    e.next_attempt = kNow + 600;
    const auto out = plan_bounce(e, body(), "5.7.1 bounced by the administrator", kNow, policy());
    const auto& r = out.request->envelope.recipients;
    EXPECT_EQ(r[0].state, RcptState::kFailed);
    EXPECT_EQ(r[0].attempts, 3u);   // no attempt was made
    EXPECT_EQ(r[0].last_reply, "5.7.1 bounced by the administrator");
    EXPECT_EQ(r[1].state, RcptState::kDelivered);
    EXPECT_EQ(r[1].last_reply, "250 ok");
    EXPECT_EQ(r[2].state, RcptState::kFailed);
    EXPECT_EQ(r[2].attempts, 0u);
    for (const auto& x : r) {
        EXPECT_NE(x.state, RcptState::kQueued);
        EXPECT_NE(x.state, RcptState::kDeferred);
    }
    EXPECT_EQ(out.failed, 2u);
    EXPECT_EQ(out.delivered, 0u);
    EXPECT_TRUE(out.request->local_deliveries.empty());
    ASSERT_EQ(out.notifications, 1u);
    const std::string& data = out.request->notifications[0]->data;
    EXPECT_TRUE(contains(data, "Final-Recipient: rfc822; bob@example.org"));
    EXPECT_TRUE(contains(data, "Final-Recipient: rfc822; dave@example.com"));
    EXPECT_FALSE(contains(data, "Final-Recipient: rfc822; carol@example.net"));
}

TEST(PlanBounce, RespectsNotifyAndTheNullSender) {
    mail::Envelope e = envelope3();
    for (auto& r : e.recipients) r.notify = mail::kNotifyNever;
    auto out = plan_bounce(e, body(), "5.0.0 bounced", kNow, policy());
    EXPECT_EQ(out.failed, 3u);
    EXPECT_EQ(out.notifications, 0u);

    e = envelope3();
    e.sender = "";
    out = plan_bounce(e, body(), "5.0.0 bounced", kNow, policy());
    EXPECT_EQ(out.failed, 3u);
    EXPECT_TRUE(out.request->notifications.empty());
}

TEST(PlanBounce, NothingPendingMeansNothingToReport) {
    mail::Envelope e = envelope3();
    for (auto& r : e.recipients) r.state = RcptState::kDelivered;
    const auto out = plan_bounce(e, body(), "5.0.0 bounced", kNow, policy());
    EXPECT_EQ(out.failed, 0u);
    EXPECT_EQ(out.notifications, 0u);
}

// ---------------------------------------------------------------------------
// Notification content, parsed by Python's email package.

struct Scenario {
    PlannedOutcome plan;
    std::vector<test::Parsed> parsed;   // one per notification, in order
};

PlannedOutcome remote_failure() { return plan(envelope3(), {failed(0), delivered(1), deferred(2)}); }

PlannedOutcome local_failure() { return plan(envelope3(), {failed_locally(0)}); }

PlannedOutcome expiry_remote() {
    mail::Envelope e = envelope3();
    e.received_at = kNow - 6 * kDay;
    return plan(e, {deferred(0)});
}

PlannedOutcome expiry_local() {
    mail::Envelope e = envelope3();
    e.received_at = kNow - 6 * kDay;
    return plan(e, {deferred_locally(0)});
}

PlannedOutcome orcpt() {
    mail::Envelope e = envelope3();
    e.envid = "QQ314159";
    e.recipients[0].orcpt = "rfc822;Bob@Example.ORG";
    return plan(e, {failed(0)});
}

PlannedOutcome delay_warning() {
    mail::Envelope e = envelope3();
    e.received_at = kNow - 5 * kHour;
    e.last_attempt = kNow - kHour;
    e.recipients[1].state = RcptState::kDeferred;   // deferred earlier, not attempted now
    e.recipients[1].attempts = 1;
    e.recipients[1].last_reply = "452 4.2.2 mailbox full";
    e.recipients[2].notify = mail::kNotifyFailure;  // does not want delay warnings
    OutcomePolicy p = policy();
    p.delay_warning = std::chrono::hours(4);
    return plan(e, {deferred_locally(0), deferred(2)}, kNow, p);
}

PlannedOutcome failure_and_delay() {
    mail::Envelope e = envelope3();
    e.received_at = kNow - 5 * kHour;
    OutcomePolicy p = policy();
    p.delay_warning = std::chrono::hours(4);
    return plan(e, {failed(0), deferred(1), delivered(2)}, kNow, p);
}

PlannedOutcome success_local() {
    mail::Envelope e = envelope3();
    e.recipients[0].notify = mail::kNotifySuccess;
    return plan(e, {delivered_locally(0)});
}

PlannedOutcome success_relayed() {
    mail::Envelope e = envelope3();
    e.recipients[1].notify = mail::kNotifySuccess;
    RecipientResult r = delivered(1);
    r.relayed_without_dsn = true;
    return plan(e, {r});
}

// A user rule (bounce_classifier.hpp) decides the class of the DSN.
PlannedOutcome classified_by_rule() {
    OutcomePolicy p = policy();
    BounceRuleSpec rule;
    rule.klass = BounceClass::kInactiveMailbox;
    rule.pattern.text = "user UNKNOWN";
    rule.pattern.where = "test";
    auto classifier = BounceClassifier::compile({rule});
    EXPECT_TRUE(classifier.ok());
    p.bounce_classifier = std::make_shared<const BounceClassifier>(std::move(classifier).value());
    return plan(envelope3(), {failed(0)}, kNow, p);
}

PlannedOutcome bounce() { return plan_bounce(envelope3(), body(), "5.7.1 bounced by the administrator", kNow, policy()); }

PlannedOutcome bounce_without_status() {
    mail::Envelope e = envelope3();
    e.recipients.resize(1);
    return plan_bounce(e, body(), "removed by the postmaster", kNow, policy());
}

const std::map<std::string, std::function<PlannedOutcome()>> kOutcomeScenarios = {
    {"remote_failure", remote_failure},
    {"local_failure", local_failure},
    {"expiry_remote", expiry_remote},
    {"expiry_local", expiry_local},
    {"orcpt", orcpt},
    {"delay_warning", delay_warning},
    {"failure_and_delay", failure_and_delay},
    {"success_local", success_local},
    {"success_relayed", success_relayed},
    {"bounce", bounce},
    {"classified_by_rule", classified_by_rule},
    {"bounce_without_status", bounce_without_status},
};

class OutcomeDsn : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        scenarios_ = new std::map<std::string, Scenario>;
        std::vector<std::string> raws;
        std::vector<std::string> owners;
        for (const auto& [name, make] : kOutcomeScenarios) {
            PlannedOutcome p = make();
            for (const auto& n : p.request->notifications) {
                raws.push_back(n->data);
                owners.push_back(name);
            }
            scenarios_->emplace(name, Scenario{std::move(p), {}});
        }
        auto parsed = test::parse_with_python(raws);
        for (size_t i = 0; i < parsed.size(); ++i) scenarios_->at(owners[i]).parsed.push_back(std::move(parsed[i]));
    }
    static void TearDownTestSuite() {
        delete scenarios_;
        scenarios_ = nullptr;
    }

    // The scenario, after the checks every notification must pass: the line
    // rules, a parse without defects, and as many parses as notifications.
    static const Scenario& get(const std::string& name) {
        const Scenario& s = scenarios_->at(name);
        EXPECT_EQ(s.parsed.size(), s.plan.request->notifications.size()) << name;
        EXPECT_EQ(s.plan.notifications, s.plan.request->notifications.size()) << name;
        for (size_t i = 0; i < s.parsed.size(); ++i) {
            const std::string& raw = s.plan.request->notifications[i]->data;
            EXPECT_EQ(test::line_rule_violation(raw), "") << name;
            EXPECT_EQ(s.parsed[i]["defects"], "0") << name << ": " << s.parsed[i]["defect.0"] << "\n" << raw;
            EXPECT_EQ(s.parsed[i]["header.To"], "alice@example.org") << name;
        }
        return s;
    }

private:
    static std::map<std::string, Scenario>* scenarios_;
};

std::map<std::string, Scenario>* OutcomeDsn::scenarios_ = nullptr;

TEST_F(OutcomeDsn, RemoteFailureReportsTheServersReply) {
    const auto& s = get("remote_failure");
    ASSERT_EQ(s.parsed.size(), 1u);   // carol delivered, dave deferred: no reports for them
    const auto& p = s.parsed[0];
    EXPECT_EQ(p["header.Subject"], "Undelivered Mail Returned to Sender");
    EXPECT_EQ(p["header.Message-ID"], "<0193A4F2C1D00001.1795525200.bounce@mx.example.test>");
    EXPECT_EQ(p["status.message.Reporting-MTA"], "dns; mx.example.test");
    EXPECT_EQ(p["status.message.X-Ringpost-Queue-ID"], "0193A4F2C1D00001");
    EXPECT_EQ(p["status.message.Arrival-Date"], "Tue, 24 Nov 2026 10:00:00 +0000");
    EXPECT_EQ(p["status.blocks"], "2");
    EXPECT_EQ(p["status.rcpt0.Final-Recipient"], "rfc822; bob@example.org");
    EXPECT_EQ(p["status.rcpt0.Action"], "failed");
    EXPECT_EQ(p["status.rcpt0.Status"], "5.1.1");
    EXPECT_EQ(p["status.rcpt0.Remote-MTA"], "dns; mx.example.org");
    EXPECT_EQ(p["status.rcpt0.Diagnostic-Code"], "smtp; 550 5.1.1 <bob@example.org>: user unknown");
    EXPECT_EQ(p["status.rcpt0.Last-Attempt-Date"], "Tue, 24 Nov 2026 13:00:00 +0000");
    // The original comes back in full (RET not given).
    EXPECT_EQ(p["part3.type"], "message/rfc822");
    EXPECT_EQ(p["original.header.Subject"], "Quarterly numbers");
    EXPECT_TRUE(contains(p["text"], "<bob@example.org>: host mx.example.org said: 550 5.1.1")) << p["text"];
    // Why, as a class: an extension field, and in the text.
    EXPECT_EQ(p["status.rcpt0.X-Ringpost-Bounce-Class"], "invalid-recipient");
    EXPECT_TRUE(contains(p["text"], "(bounce class: invalid-recipient)")) << p["text"];
}

TEST_F(OutcomeDsn, TheClassifierOfThePolicyDecidesTheClass) {
    const auto& s = get("classified_by_rule");
    ASSERT_EQ(s.parsed.size(), 1u);
    EXPECT_EQ(s.parsed[0]["status.rcpt0.X-Ringpost-Bounce-Class"], "inactive-mailbox");
}

TEST_F(OutcomeDsn, LocalFailureReportsTheReason) {
    const auto& s = get("local_failure");
    ASSERT_EQ(s.parsed.size(), 1u);
    const auto& p = s.parsed[0];
    EXPECT_EQ(p["status.rcpt0.Action"], "failed");
    EXPECT_EQ(p["status.rcpt0.Status"], "5.4.6");
    EXPECT_EQ(p["status.rcpt0.Diagnostic-Code"], "X-Ringpost; mail for example.com loops back to myself");
    EXPECT_FALSE(p.has("status.rcpt0.Remote-MTA"));
    EXPECT_EQ(p["status.rcpt0.X-Ringpost-Bounce-Class"], "routing");   // x.4.6
}

TEST_F(OutcomeDsn, ExpiryIsAFailureWithStatus447) {
    const auto& s = get("expiry_remote");
    ASSERT_EQ(s.parsed.size(), 1u);
    const auto& p = s.parsed[0];
    EXPECT_EQ(p["header.Subject"], "Undelivered Mail Returned to Sender");
    EXPECT_EQ(p["status.rcpt0.Final-Recipient"], "rfc822; bob@example.org");
    EXPECT_EQ(p["status.rcpt0.Action"], "failed");
    EXPECT_EQ(p["status.rcpt0.Status"], "4.4.7");
    // The server's last reply stays the diagnostic; the text says why it failed.
    EXPECT_EQ(p["status.rcpt0.Diagnostic-Code"], "smtp; 451 4.7.1 try again later");
    EXPECT_EQ(p["status.rcpt0.Remote-MTA"], "dns; mx.example.net");
    EXPECT_TRUE(contains(p["text"], "(delivery time expired)")) << p["text"];
    EXPECT_FALSE(p.has("status.rcpt0.Will-Retry-Until"));
    // Whatever the last error was.
    EXPECT_EQ(p["status.rcpt0.X-Ringpost-Bounce-Class"], "expired");

    const auto& local = get("expiry_local");
    ASSERT_EQ(local.parsed.size(), 1u);
    EXPECT_EQ(local.parsed[0]["status.rcpt0.X-Ringpost-Bounce-Class"], "expired");
    EXPECT_EQ(local.parsed[0]["status.rcpt0.Status"], "4.4.7");
    EXPECT_EQ(local.parsed[0]["status.rcpt0.Action"], "failed");
    EXPECT_EQ(local.parsed[0]["status.rcpt0.Diagnostic-Code"],
              "X-Ringpost; delivery time expired; last error: 4.4.1 connect to mx.example.net[192.0.2.25]:25: "
              "Connection timed out");
}

TEST_F(OutcomeDsn, OrcptAndEnvidAreCarried) {
    const auto& s = get("orcpt");
    ASSERT_EQ(s.parsed.size(), 1u);
    EXPECT_EQ(s.parsed[0]["status.message.Original-Envelope-Id"], "QQ314159");
    EXPECT_EQ(s.parsed[0]["status.rcpt0.Original-Recipient"], "rfc822;Bob@Example.ORG");
}

TEST_F(OutcomeDsn, DelayWarningListsTheDeferredRecipientsThatWantIt) {
    const auto& s = get("delay_warning");
    ASSERT_EQ(s.parsed.size(), 1u);
    EXPECT_TRUE(s.plan.request->envelope.delay_warned);
    const auto& p = s.parsed[0];
    EXPECT_EQ(p["header.Subject"], "Delayed Mail (still being retried)");
    EXPECT_EQ(p["part3.type"], "text/rfc822-headers");
    ASSERT_EQ(p["status.blocks"], "3");   // bob and carol; dave asked for FAILURE only
    EXPECT_EQ(p["status.rcpt0.Final-Recipient"], "rfc822; bob@example.org");
    EXPECT_EQ(p["status.rcpt0.Action"], "delayed");
    EXPECT_EQ(p["status.rcpt0.Status"], "4.4.1");
    EXPECT_EQ(p["status.rcpt0.Diagnostic-Code"],
              "X-Ringpost; connect to mx.example.net[192.0.2.25]:25: Connection timed out");
    EXPECT_EQ(p["status.rcpt0.Last-Attempt-Date"], "Tue, 24 Nov 2026 13:00:00 +0000");
    // Received at 08:00, five days of lifetime.
    EXPECT_EQ(p["status.rcpt0.Will-Retry-Until"], "Sun, 29 Nov 2026 08:00:00 +0000");
    // carol was not attempted now: reported from her stored reply and last attempt.
    EXPECT_EQ(p["status.rcpt1.Final-Recipient"], "rfc822; carol@example.net");
    EXPECT_EQ(p["status.rcpt1.Action"], "delayed");
    EXPECT_EQ(p["status.rcpt1.Status"], "4.2.2");
    EXPECT_EQ(p["status.rcpt1.Diagnostic-Code"], "smtp; 452 4.2.2 mailbox full");
    EXPECT_EQ(p["status.rcpt1.Last-Attempt-Date"], "Tue, 24 Nov 2026 12:00:00 +0000");
    EXPECT_EQ(p["status.rcpt1.Will-Retry-Until"], "Sun, 29 Nov 2026 08:00:00 +0000");
    // Delays are classified too: this attempt's error, or the stored one.
    EXPECT_EQ(p["status.rcpt0.X-Ringpost-Bounce-Class"], "routing");
    EXPECT_EQ(p["status.rcpt1.X-Ringpost-Bounce-Class"], "mailbox-full");
    EXPECT_TRUE(contains(p["text"], "could not be delivered for 5 hours.")) << p["text"];
}

TEST_F(OutcomeDsn, FailureAndDelayAreSeparateNotifications) {
    const auto& s = get("failure_and_delay");
    ASSERT_EQ(s.parsed.size(), 2u);
    EXPECT_EQ(s.parsed[0]["status.rcpt0.Action"], "failed");
    EXPECT_EQ(s.parsed[0]["status.rcpt0.Final-Recipient"], "rfc822; bob@example.org");
    EXPECT_EQ(s.parsed[0]["status.blocks"], "2");
    EXPECT_EQ(s.parsed[1]["status.rcpt0.Action"], "delayed");
    EXPECT_EQ(s.parsed[1]["status.rcpt0.Final-Recipient"], "rfc822; carol@example.net");
    EXPECT_EQ(s.parsed[1]["status.blocks"], "2");
    EXPECT_NE(s.parsed[0]["header.Message-ID"], s.parsed[1]["header.Message-ID"]);
    EXPECT_NE(s.plan.request->notifications[0]->envelope.queue_id,
              s.plan.request->notifications[1]->envelope.queue_id);
}

TEST_F(OutcomeDsn, LocalDeliveryWithNotifySuccessIsReportedDelivered) {
    const auto& s = get("success_local");
    ASSERT_EQ(s.parsed.size(), 1u);
    EXPECT_EQ(s.plan.request->local_deliveries, (std::vector<size_t>{0}));
    const auto& p = s.parsed[0];
    EXPECT_EQ(p["header.Subject"], "Successful Mail Delivery Report");
    EXPECT_EQ(p["status.rcpt0.Final-Recipient"], "rfc822; bob@example.org");
    EXPECT_EQ(p["status.rcpt0.Action"], "delivered");
    EXPECT_EQ(p["status.rcpt0.Status"], "2.0.0");
    EXPECT_EQ(p["part3.type"], "text/rfc822-headers");
    EXPECT_FALSE(p.has("status.rcpt0.X-Ringpost-Bounce-Class"));   // only failures and delays
}

TEST_F(OutcomeDsn, RelayWithoutDsnIsReportedRelayed) {
    const auto& s = get("success_relayed");
    ASSERT_EQ(s.parsed.size(), 1u);
    const auto& p = s.parsed[0];
    EXPECT_EQ(p["status.rcpt0.Final-Recipient"], "rfc822; carol@example.net");
    EXPECT_EQ(p["status.rcpt0.Action"], "relayed");
    EXPECT_EQ(p["status.rcpt0.Remote-MTA"], "dns; mx.example.net");
    EXPECT_EQ(p["status.rcpt0.Diagnostic-Code"], "smtp; 250 2.0.0 Ok: queued as 4Fx1");
}

TEST_F(OutcomeDsn, BounceParsesTheStatusOutOfTheReason) {
    const auto& s = get("bounce");
    ASSERT_EQ(s.parsed.size(), 1u);
    const auto& p = s.parsed[0];
    ASSERT_EQ(p["status.blocks"], "4");
    for (const char* n : {"0", "1", "2"}) {
        const std::string k = std::string("status.rcpt") + n + ".";
        EXPECT_EQ(p[k + "Action"], "failed");
        EXPECT_EQ(p[k + "Status"], "5.7.1");
        EXPECT_EQ(p[k + "Diagnostic-Code"], "X-Ringpost; bounced by the administrator");
        EXPECT_FALSE(p.has(k + "Last-Attempt-Date"));   // never attempted
        EXPECT_EQ(p[k + "X-Ringpost-Bounce-Class"], "policy");   // 5.7.1
    }
    EXPECT_EQ(p["part3.type"], "message/rfc822");

    const auto& plain = get("bounce_without_status");
    ASSERT_EQ(plain.parsed.size(), 1u);
    EXPECT_EQ(plain.parsed[0]["status.rcpt0.Status"], "5.0.0");
    EXPECT_EQ(plain.parsed[0]["status.rcpt0.Diagnostic-Code"], "X-Ringpost; removed by the postmaster");
    EXPECT_EQ(plain.plan.request->envelope.recipients[0].last_reply, "removed by the postmaster");
}

// ---------------------------------------------------------------------------
// count_received_headers.

TEST(CountReceivedHeaders, CountsFieldsInTheHeaderBlock) {
    EXPECT_EQ(count_received_headers(kOriginal), 1u);   // one folded field
    EXPECT_EQ(count_received_headers("Received: a\r\nreceived: b\r\nRECEIVED:c\r\nSubject: x\r\n\r\nbody\r\n"), 3u);
    EXPECT_EQ(count_received_headers(""), 0u);
    EXPECT_EQ(count_received_headers("Subject: none\r\n\r\n"), 0u);
}

TEST(CountReceivedHeaders, FoldedFieldsCountOnce) {
    const std::string msg =
        "Received: from a\r\n"
        "\tby b\r\n"
        " Received: not a field, a continuation\r\n"
        "Received: from c\r\n"
        "  by d; Tue, 24 Nov 2026 10:00:00 +0000\r\n"
        "\r\n";
    EXPECT_EQ(count_received_headers(msg), 2u);
}

TEST(CountReceivedHeaders, LfOnlyLineEnds) {
    EXPECT_EQ(count_received_headers("Received: a\nReceived: b\n\tfolded\nSubject: x\n\nReceived: body\n"), 2u);
}

TEST(CountReceivedHeaders, StopsAtTheEndOfTheHeaderBlock) {
    const std::string msg =
        "Received: from a\r\n"
        "Subject: forwarded\r\n"
        "\r\n"
        "Received: from b\r\n"
        "Received: from c\r\n";
    EXPECT_EQ(count_received_headers(msg), 1u);
    // A message without a body: every line is a header line.
    EXPECT_EQ(count_received_headers("Received: a\r\nReceived: b"), 2u);
    // An empty first line: no header block at all.
    EXPECT_EQ(count_received_headers("\r\nReceived: a\r\n"), 0u);
}

TEST(CountReceivedHeaders, OnlyTheExactFieldName) {
    EXPECT_EQ(count_received_headers("Received : a\r\n\r\n"), 0u);   // no blank before the colon
    EXPECT_EQ(count_received_headers("X-Received: a\r\n\r\n"), 0u);
    EXPECT_EQ(count_received_headers("Received-SPF: pass\r\n\r\n"), 0u);
    EXPECT_EQ(count_received_headers("Receive: a\r\nReceived:\r\n\r\n"), 1u);
    EXPECT_EQ(count_received_headers("Received"), 0u);
}

}  // namespace
}  // namespace ringpost::delivery
