// The hold queue (Spool::hold / release, spool_hold.cpp): a held message
// has no schedule entry, so the delivery engine's scan never returns it,
// `queue flush` leaves it alone, an outcome written meanwhile keeps the
// hold, and recover() does not give it an entry back. Release makes it due.
#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace ringpost;
using namespace ringpost::store;
using namespace ringpost::store::testing;

namespace {

// The unit tests are one unity build: names of their own.
constexpr int64_t kArrival = 1700000000;
constexpr size_t kAnyBytes = 1u << 30;

class HoldTest : public StoreFixture {
protected:
    std::string spool(bool held = false) {
        auto env = make_envelope("s@example.org", {{"r@remote.example", false}, {"alice@localhost", true}}, kArrival);
        env.held = held;
        if (held) {
            env.hold_reason = "looks odd";
            env.hold_milter = "scripted";
        }
        EXPECT_TRUE(accept(*store, env, "Subject: x\r\n\r\nbody\r\n").ok());
        return env.queue_id;
    }
    std::vector<std::string> due(int64_t now) {
        auto r = store->spool().load_due(now, 0, 100, kAnyBytes, [](std::string_view) { return false; });
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        std::vector<std::string> out;
        if (r.ok())
            for (const auto& m : r->messages) out.push_back(m.envelope.queue_id);
        return out;
    }
    static HoldTarget one(const std::string& qid) { return HoldTarget{qid, {}}; }
};

}  // namespace

// A milter's quarantine: the accept spools the message held, in its own
// batch, with no entry; nothing is due, local recipients included.
TEST_F(HoldTest, HeldAcceptHasNoScheduleEntryAndIsNeverDue) {
    const std::string held = spool(true);
    const std::string normal = spool();
    EXPECT_FALSE(scheduled(kArrival, held));
    EXPECT_TRUE(scheduled(kArrival, normal));
    EXPECT_EQ(due(kArrival + 100000), (std::vector<std::string>{normal}));
    const mail::Envelope env = stored_envelope(held);
    EXPECT_TRUE(env.held);
    EXPECT_EQ(env.hold_reason, "looks odd");
    EXPECT_EQ(env.hold_milter, "scripted");
    auto stats = store->spool().stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->messages, 2u);
    EXPECT_EQ(stats->held, 1u);
}

TEST_F(HoldTest, HoldSkipsFlushAndReleaseMakesDueAtOnce) {
    const std::string qid = spool();
    auto held = store->spool().hold(one(qid), "checking");
    ASSERT_TRUE(held.ok()) << held.error().message;
    EXPECT_EQ(*held, (std::vector<std::string>{qid}));
    EXPECT_TRUE(store->spool().hold(one(qid), "again")->empty()) << "held already";
    EXPECT_EQ(stored_envelope(qid).hold_reason, "checking");
    EXPECT_EQ(stored_envelope(qid).hold_milter, "");
    EXPECT_EQ(count(keys::kSchedule), 0u);
    EXPECT_TRUE(due(kArrival + 100000).empty());

    // `queue flush` is no release.
    EXPECT_EQ(store->spool().reschedule_all(kArrival + 500).value(), 0u);
    EXPECT_EQ(count(keys::kSchedule), 0u);

    auto released = store->spool().release(one(qid), kArrival + 50);
    ASSERT_TRUE(released.ok()) << released.error().message;
    EXPECT_EQ(*released, (std::vector<std::string>{qid}));
    EXPECT_TRUE(store->spool().release(one(qid), kArrival + 60)->empty()) << "not held any more";
    const mail::Envelope env = stored_envelope(qid);
    EXPECT_FALSE(env.held);
    EXPECT_EQ(env.hold_reason, "");
    EXPECT_EQ(env.next_attempt, kArrival + 50);
    EXPECT_TRUE(scheduled(kArrival + 50, qid));
    EXPECT_EQ(count(keys::kSchedule), 1u);
    EXPECT_EQ(due(kArrival + 50), (std::vector<std::string>{qid}));
}

TEST_F(HoldTest, HoldAllOrBySelectorAndMissingIdIsAnError) {
    const std::string a = spool(), b = spool();
    spool(true);
    auto held = store->spool().hold(HoldTarget{"", [&](const mail::Envelope& e) { return e.queue_id == b; }}, "");
    ASSERT_TRUE(held.ok());
    EXPECT_EQ(*held, (std::vector<std::string>{b}));
    held = store->spool().hold(HoldTarget{}, "all");
    ASSERT_TRUE(held.ok());
    EXPECT_EQ(*held, (std::vector<std::string>{a})) << "the others were held already";
    EXPECT_TRUE(due(kArrival + 100000).empty());
    auto released = store->spool().release(HoldTarget{}, kArrival);
    ASSERT_TRUE(released.ok());
    EXPECT_EQ(released->size(), 3u);
    EXPECT_EQ(due(kArrival).size(), 3u);
    EXPECT_FALSE(store->spool().hold(one("00000000000000AA"), "x").ok());
}

// The engine loaded the message, then the operator held it: the attempt's
// outcome keeps the hold and writes no entry for what is still pending.
TEST_F(HoldTest, OutcomeOfAnAttemptInFlightKeepsTheHold) {
    const std::string qid = spool();
    auto loaded = store->spool().get_envelope(qid);
    ASSERT_TRUE(loaded.ok() && loaded->has_value());
    ASSERT_TRUE(store->spool().hold(one(qid), "wait").ok());

    mail::Envelope env = **loaded;   // as the engine loaded it: not held
    env.recipients[0].state = mail::RcptState::kDeferred;
    env.recipients[0].attempts = 1;
    env.next_attempt = kArrival + 600;
    ASSERT_TRUE(write_outcome(*store, make_outcome(env)).ok());
    const mail::Envelope after = stored_envelope(qid);
    EXPECT_TRUE(after.held);
    EXPECT_EQ(after.hold_reason, "wait");
    EXPECT_EQ(after.recipients[0].attempts, 1u);
    EXPECT_EQ(count(keys::kSchedule), 0u);
    EXPECT_TRUE(due(kArrival + 100000).empty());
}

// recover() restores "entry iff pending and not held": no entry is rebuilt
// for a held message, and a stray one is removed.
TEST_F(HoldTest, RecoverNeitherRebuildsNorKeepsAnEntryOfAHeldMessage) {
    const std::string qid = spool(true);
    ASSERT_TRUE(test_hooks::raw_put(*store, keys::kSchedule, keys::schedule_key(kArrival, qid), "").ok());
    EXPECT_TRUE(due(kArrival).empty()) << "a stray entry does not deliver a held message";
    ASSERT_TRUE(store->recovery().recover().ok());
    EXPECT_EQ(count(keys::kSchedule), 0u);
    EXPECT_TRUE(stored_envelope(qid).held);
}
