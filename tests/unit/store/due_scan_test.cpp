// The schedule index from the delivery engine's side: load_due (order,
// skip, limits, next_due, broken entries) and `queue flush`
// (reschedule_all), including a flush while a message is in flight.
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace ringpost;
using namespace ringpost::store;
using namespace ringpost::store::testing;

namespace {

constexpr int64_t T = 1700000000;
constexpr size_t kNoByteLimit = 1u << 30;

class DueScanTest : public StoreFixture {
protected:
    // Spools a message for a remote recipient, due at `due`; returns its queue ID.
    std::string spool_due(int64_t due, const std::string& data) {
        auto env = make_envelope("s@example.org", {{"r@remote.example", false}}, T);
        env.next_attempt = due;
        EXPECT_TRUE(accept(*store, env, data).ok());
        return env.queue_id;
    }
    DueScan load(int64_t now, int64_t from = 0, size_t max_messages = 100, size_t max_bytes = kNoByteLimit,
                 std::set<std::string> in_flight = {}) {
        auto r = store->spool().load_due(now, from, max_messages, max_bytes,
                                 [&](std::string_view qid) { return in_flight.count(std::string(qid)) != 0; });
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? std::move(r).value() : DueScan{};
    }
    static std::vector<std::string> ids(const DueScan& scan) {
        std::vector<std::string> out;
        for (const auto& m : scan.messages) out.push_back(m.envelope.queue_id);
        return out;
    }
};

}  // namespace

TEST_F(DueScanTest, ReturnsDueMessagesInDueOrderWithNextDue) {
    // Spooled out of due order: the scan follows due times, not queue IDs.
    std::string m2 = spool_due(T + 20, std::string(30, 'c'));
    std::string m0 = spool_due(T, std::string(10, 'a'));
    std::string m1 = spool_due(T + 10, std::string(20, 'b'));
    std::string m3 = spool_due(T + 30, "d");
    std::string m4 = spool_due(T + 40, "e");

    DueScan scan = load(T + 25);
    EXPECT_EQ(ids(scan), (std::vector<std::string>{m0, m1, m2}));
    EXPECT_EQ(scan.next_due, T + 30);  // > now: everything due was returned
    ASSERT_EQ(scan.messages.size(), 3u);
    EXPECT_EQ(*scan.messages[1].body, std::string(20, 'b'));
    EXPECT_EQ(scan.messages[1].envelope.next_attempt, T + 10);
    EXPECT_EQ(scan.messages[1].envelope.body_size, 20u);

    EXPECT_EQ(ids(load(T + 100)), (std::vector<std::string>{m0, m1, m2, m3, m4}));
    EXPECT_EQ(load(T + 100).next_due, 0);  // nothing after
    EXPECT_TRUE(load(T - 1).messages.empty());
    EXPECT_EQ(load(T - 1).next_due, T);
    EXPECT_EQ(ids(load(T + 25, /*from=*/T + 10)), (std::vector<std::string>{m1, m2}));
}

TEST_F(DueScanTest, SkipsMessagesInFlight) {
    std::string m0 = spool_due(T, "a");
    std::string m1 = spool_due(T + 10, "b");
    std::string m2 = spool_due(T + 20, "c");
    std::string m3 = spool_due(T + 30, "d");
    std::string m4 = spool_due(T + 40, "e");

    DueScan scan = load(T + 25, 0, 100, kNoByteLimit, {m1});
    EXPECT_EQ(ids(scan), (std::vector<std::string>{m0, m2}));
    EXPECT_EQ(scan.next_due, T + 30);
    // A skipped entry does not count as the next one due.
    scan = load(T + 25, 0, 100, kNoByteLimit, {m3});
    EXPECT_EQ(scan.next_due, T + 40);
    scan = load(T + 25, 0, 100, kNoByteLimit, {m0, m1, m2, m3, m4});
    EXPECT_TRUE(scan.messages.empty());
    EXPECT_EQ(scan.next_due, 0);
}

TEST_F(DueScanTest, StopsAtMessageAndByteLimits) {
    std::string m0 = spool_due(T, std::string(10, 'a'));
    std::string m1 = spool_due(T + 10, std::string(20, 'b'));
    std::string m2 = spool_due(T + 20, std::string(30, 'c'));

    DueScan scan = load(T + 25, 0, /*max_messages=*/2);
    EXPECT_EQ(ids(scan), (std::vector<std::string>{m0, m1}));
    EXPECT_EQ(scan.next_due, T + 20);  // <= now: a limit stopped the scan

    scan = load(T + 25, 0, 100, /*max_bytes=*/30);
    EXPECT_EQ(ids(scan), (std::vector<std::string>{m0, m1}));  // exactly 30 fits
    EXPECT_EQ(scan.next_due, T + 20);

    scan = load(T + 25, 0, 100, /*max_bytes=*/25);
    EXPECT_EQ(ids(scan), (std::vector<std::string>{m0}));
    EXPECT_EQ(scan.next_due, T + 10);

    // A message larger than the byte limit still comes, alone.
    scan = load(T + 25, 0, 100, /*max_bytes=*/5);
    EXPECT_EQ(ids(scan), (std::vector<std::string>{m0}));
    EXPECT_EQ(scan.next_due, T + 10);
    scan = load(T + 25, T + 20, 100, /*max_bytes=*/5);
    EXPECT_EQ(ids(scan), (std::vector<std::string>{m2}));
}

TEST_F(DueScanTest, SkipsBrokenAndStaleEntries) {
    std::string good = spool_due(T, "good");
    // An entry whose envelope does not exist.
    ASSERT_TRUE(test_hooks::raw_put(*store, keys::kSchedule, keys::schedule_key(T + 1, "00000000000000AA"), "").ok());
    // An envelope whose body is gone.
    std::string no_body = spool_due(T + 2, "x");
    ASSERT_TRUE(test_hooks::raw_delete(*store, keys::kBodies, no_body).ok());
    // A stale key: the envelope is due later, through its own key.
    std::string moved = spool_due(T + 50, "moved");
    ASSERT_TRUE(test_hooks::raw_put(*store, keys::kSchedule, keys::schedule_key(T + 3, moved), "").ok());
    // An envelope that cannot be decoded.
    std::string corrupt = spool_due(T + 4, "y");
    ASSERT_TRUE(test_hooks::raw_put(*store, keys::kEnvelopes, corrupt, "garbage").ok());
    std::string last = spool_due(T + 5, "last");

    DueScan scan = load(T + 10);
    EXPECT_EQ(ids(scan), (std::vector<std::string>{good, last}));
    EXPECT_EQ(scan.next_due, T + 50);  // the moved message's real entry
    EXPECT_EQ(ids(load(T + 60)), (std::vector<std::string>{good, last, moved}));
}

TEST_F(DueScanTest, RescheduleAllMovesEveryLaterMessage) {
    std::string now_due = spool_due(T, "a");
    std::string later = spool_due(T + 1000, "b");
    std::string latest = spool_due(T + 2000, "c");
    auto moved = store->spool().reschedule_all(T + 10);
    ASSERT_TRUE(moved.ok()) << moved.error().message;
    EXPECT_EQ(moved.value(), 2u);

    EXPECT_EQ(stored_envelope(now_due).next_attempt, T);  // already due earlier: untouched
    EXPECT_EQ(stored_envelope(later).next_attempt, T + 10);
    EXPECT_EQ(stored_envelope(latest).next_attempt, T + 10);
    EXPECT_TRUE(scheduled(T, now_due));
    EXPECT_TRUE(scheduled(T + 10, later));
    EXPECT_TRUE(scheduled(T + 10, latest));
    EXPECT_FALSE(scheduled(T + 1000, later));
    EXPECT_FALSE(scheduled(T + 2000, latest));
    EXPECT_EQ(count(keys::kSchedule), 3u);

    EXPECT_EQ(store->spool().reschedule_all(T + 10).value(), 0u);
    EXPECT_EQ(ids(load(T + 10)), (std::vector<std::string>{now_due, later, latest}));
}

// The engine loaded a message, then `queue flush` moved its entry before the
// attempt's outcome was written: the outcome must remove the entry where the
// flush put it, or a stale one would stay behind.
TEST_F(DueScanTest, FlushBetweenLoadAndOutcomeLeavesNoStaleEntry) {
    std::string qid = spool_due(T + 1000, "m");
    DueScan scan = load(T + 5000);
    ASSERT_EQ(ids(scan), (std::vector<std::string>{qid}));

    ASSERT_EQ(store->spool().reschedule_all(T + 10).value(), 1u);
    ASSERT_TRUE(scheduled(T + 10, qid));

    mail::Envelope env = scan.messages[0].envelope;  // still says T + 1000
    env.recipients[0].state = mail::RcptState::kDeferred;
    env.recipients[0].attempts = 1;
    env.next_attempt = T + 6000;
    ASSERT_TRUE(write_outcome(*store, make_outcome(env)).ok());

    EXPECT_TRUE(scheduled(T + 6000, qid));
    EXPECT_FALSE(scheduled(T + 10, qid));
    EXPECT_FALSE(scheduled(T + 1000, qid));
    EXPECT_EQ(count(keys::kSchedule), 1u);
    EXPECT_EQ(stored_envelope(qid).next_attempt, T + 6000);
}

// While the database takes no writes (a full disk stopped it), no outcome
// of a delivery attempt can be recorded: the engine would retry at once,
// in a loop, delivering remote mail again each time. The scan fails
// instead (the feeder backs off a second per failed scan) until the
// database is resumed.
TEST_F(DueScanTest, NothingIsDueWhileTheDatabaseIsStopped) {
    std::string qid = spool_due(T - 10, "due");
    // The watch may resume the (healthy) database between the report and the
    // scan if its 500 ms tick falls right there: a few tries.
    Result<DueScan> stopped = DueScan{};
    for (int i = 0; i < 5 && stopped; ++i) {
        test_hooks::report_write_stop(*store);
        stopped = store->spool().load_due(T, 0, 100, kNoByteLimit, [](std::string_view) { return false; });
    }
    ASSERT_FALSE(stopped.ok());
    EXPECT_NE(stopped.error().message.find("stopped"), std::string::npos) << stopped.error().message;
    // The space watch resumes the (healthy) database within an interval.
    Result<DueScan> resumed = make_error("not yet");
    for (int i = 0; i < 100 && !resumed; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        resumed = store->spool().load_due(T, 0, 100, kNoByteLimit, [](std::string_view) { return false; });
    }
    ASSERT_TRUE(resumed.ok()) << resumed.error().message;
    EXPECT_EQ(ids(resumed.value()), std::vector<std::string>{qid});
}

