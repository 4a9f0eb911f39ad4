// outcome_events: the delivery events an outcome carries into its batch --
// one per recipient attempted (delivered, failed, deferred, expired), none
// for a recipient held by a suspension, and one per notification (dsn).
#include <gtest/gtest.h>

#include "delivery/outcome.hpp"
#include "delivery/outcome_events.hpp"
#include "dsn_test_util.hpp"

namespace ringpost::delivery {
namespace {

RecipientResult event_result(size_t index, Outcome outcome, uint16_t code, std::string enhanced, std::string text) {
    RecipientResult r;
    r.index = index;
    r.diagnostic = {outcome, code, std::move(enhanced), std::move(text)};
    r.remote_mta = "mx.example.net";
    return r;
}

OutcomePolicy event_policy() {
    OutcomePolicy p;
    p.reporting_mta = "mx.example.test";
    p.jitter = [] { return 0.5; };
    p.is_local = [](std::string_view) { return false; };
    p.new_queue_id = [] { return std::string("DSNQUEUEID000001"); };
    return p;
}

mail::Envelope event_envelope(size_t recipients) {
    mail::Envelope e = test::make_envelope();
    e.recipients.clear();
    for (size_t i = 0; i < recipients; ++i) {
        mail::Recipient r;
        r.address = "r" + std::to_string(i) + "@Example.NET";
        e.recipients.push_back(r);
    }
    e.body_size = 1234;
    e.pool = "bulk";
    return e;
}

std::vector<store::Event> events_of(const mail::Envelope& before, const std::vector<RecipientResult>& results,
                                    int64_t now = test::kNow) {
    const OutcomePolicy policy = event_policy();
    PlannedOutcome plan = plan_outcome(before, std::make_shared<const std::string>(test::kOriginal), results, now, policy);
    std::vector<std::string> relays(before.recipients.size(), "mx.example.net[192.0.2.25]:25");
    return outcome_events(before, *plan.request, AttemptInfo{&results, &relays, "s2"}, *policy.bounce_classifier);
}

TEST(OutcomeEvents, OnePerRecipientAttemptedWithItsReplyAndADsnEvent) {
    const mail::Envelope before = event_envelope(3);
    const auto events = events_of(before, {event_result(0, Outcome::kDelivered, 250, "2.0.0", "Ok"),
                                           event_result(1, Outcome::kFailed, 550, "5.1.1", "no such user"),
                                           event_result(2, Outcome::kDeferred, 452, "4.2.2", "mailbox full")});
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[0].type, "delivered");
    EXPECT_EQ(events[0].recipient, "r0@Example.NET");
    EXPECT_EQ(events[0].relay, "mx.example.net[192.0.2.25]:25");
    EXPECT_EQ(events[0].source, "s2");
    EXPECT_EQ(events[0].pool, "bulk");
    EXPECT_EQ(events[0].size, 1234u);
    EXPECT_EQ(events[0].attempt, 1u);
    EXPECT_EQ(events[0].bounce_class, "");
    EXPECT_EQ(events[1].type, "failed");
    EXPECT_EQ(events[1].code, 550);
    EXPECT_EQ(events[1].enhanced_code, "5.1.1");
    EXPECT_EQ(events[1].response, "no such user");
    EXPECT_EQ(events[1].bounce_class, "invalid-recipient");
    EXPECT_EQ(events[2].type, "deferred");
    EXPECT_EQ(events[2].bounce_class, "mailbox-full");
    EXPECT_EQ(events[3].type, "dsn");
    EXPECT_EQ(events[3].queue_id, before.queue_id);
    EXPECT_EQ(events[3].recipient, before.sender);
    EXPECT_EQ(events[3].dsn_queue_id, "DSNQUEUEID000001");
    EXPECT_EQ(events[3].reason, "failed");
}

TEST(OutcomeEvents, ADeferralPastTheQueueLifetimeIsExpired) {
    mail::Envelope before = event_envelope(1);
    before.received_at = test::kNow - 6 * 86400;   // past the default 5 days
    before.recipients[0].attempts = 7;
    const auto events = events_of(before, {event_result(0, Outcome::kDeferred, 451, "4.3.0", "later")});
    ASSERT_GE(events.size(), 1u);
    EXPECT_EQ(events[0].type, "expired");
    EXPECT_EQ(events[0].enhanced_code, "4.4.7");
    EXPECT_EQ(events[0].code, 451);
    EXPECT_EQ(events[0].attempt, 8u);
    EXPECT_EQ(events[0].bounce_class, "expired");
}

TEST(OutcomeEvents, ARecipientHeldByASuspensionOrSeenTwiceMakesNoEvent) {
    const mail::Envelope before = event_envelope(2);
    RecipientResult held = event_result(0, Outcome::kDeferred, 0, "4.7.0", "delivery suspended");
    held.held_until = test::kNow + 60;
    const auto events = events_of(before, {held, event_result(1, Outcome::kDelivered, 250, "2.0.0", "Ok"),
                                           event_result(1, Outcome::kFailed, 550, "5.1.1", "late duplicate")});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "delivered");
    EXPECT_EQ(events[0].recipient, "r1@Example.NET");
}

}  // namespace
}  // namespace ringpost::delivery
