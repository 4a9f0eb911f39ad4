// GroupCommitStage against a fake writer: batching, caps, draining on stop,
// per-request results, accepts and outcomes sharing batches.
#include "store/commit_stage_impl.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

using namespace ringpost;
using namespace ringpost::store;

namespace {

// Stands in for the database: each batch takes a while (like an fsync), and
// a request whose data is "fail" (an outcome: whose queue ID is "fail") is
// rejected on its own. Records every batch as "A:<id>"/"O:<id>" entries. If
// `gate` is set, the first batch announces itself (entered) and waits for
// it, so the test can pile up the requests that form the second.
class FakeWriter : public BatchWriter {
public:
    void write_batch(std::span<const CommitRef> requests, std::vector<Result<void>>& results) override {
        if (gate.valid() && batches.empty()) {
            entered.set_value();
            gate.wait();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::lock_guard lock(mu);
        sizes.push_back(requests.size());
        batches.emplace_back();
        for (size_t i = 0; i < requests.size(); ++i) {
            bool fail = false;
            std::string entry;
            if (auto* const* a = std::get_if<AcceptRequest*>(&requests[i])) {
                fail = (*a)->data == "fail";
                entry = "A:" + (*a)->envelope.queue_id;
            } else {
                auto* o = std::get<OutcomeRequest*>(requests[i]);
                fail = o->envelope.queue_id == "fail";
                entry = "O:" + o->envelope.queue_id;
            }
            batches.back().push_back(entry);
            if (fail) results[i] = make_error("rejected");
            else committed.push_back(entry.substr(2));
        }
    }
    std::shared_future<void> gate;
    std::promise<void> entered;
    std::mutex mu;
    std::vector<size_t> sizes;
    std::vector<std::vector<std::string>> batches;
    std::vector<std::string> committed;
};

std::unique_ptr<AcceptRequest> request(std::string id, std::string data, std::function<void(const Result<void>&)> done) {
    auto r = std::make_unique<AcceptRequest>();
    r->envelope.queue_id = std::move(id);
    r->data = std::move(data);
    r->on_done = std::move(done);
    return r;
}

// An outcome whose notifications carry `notification_bytes` bytes in all.
std::unique_ptr<OutcomeRequest> outcome(std::string id, size_t notification_bytes,
                                        std::function<void(const Result<void>&)> done) {
    auto r = std::make_unique<OutcomeRequest>();
    r->envelope.queue_id = std::move(id);
    if (notification_bytes > 0) r->notifications.push_back(request("dsn", std::string(notification_bytes, 'n'), nullptr));
    r->on_done = std::move(done);
    return r;
}

}  // namespace

TEST(CommitStage, GroupsConcurrentSubmissions) {
    FakeWriter writer;
    GroupCommitStage stage(writer);
    constexpr int kThreads = 4, kPerThread = 250;
    std::atomic<int> ok{0}, done{0};
    std::promise<void> all_done;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i)
                stage.submit(request(std::to_string(t * kPerThread + i), "x", [&](const Result<void>& r) {
                    if (r) ok.fetch_add(1);
                    if (done.fetch_add(1) + 1 == kThreads * kPerThread) all_done.set_value();
                }));
        });
    for (auto& th : threads) th.join();
    all_done.get_future().wait();

    EXPECT_EQ(ok.load(), kThreads * kPerThread);
    CommitStats s = stage.stats();
    EXPECT_EQ(s.requests, static_cast<uint64_t>(kThreads * kPerThread));
    EXPECT_LT(s.batches, s.requests);  // at least some requests shared an fsync
    EXPECT_GT(s.max_batch, 1u);
    std::lock_guard lock(writer.mu);
    EXPECT_EQ(writer.committed.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(CommitStage, RespectsRequestAndByteCaps) {
    FakeWriter writer;
    {
        GroupCommitStage stage(writer, CommitLimits{10, 1000});
        for (int i = 0; i < 100; ++i) stage.submit(request(std::to_string(i), std::string(300, 'x'), nullptr));
        stage.stop();  // drains everything
        EXPECT_EQ(stage.stats().requests, 100u);
    }
    size_t total = 0;
    for (size_t n : writer.sizes) {
        EXPECT_LE(n, 3u);  // 3 * 300 bytes fit under 1000, 4 do not
        total += n;
    }
    EXPECT_EQ(total, 100u);

    // A single request larger than the byte cap still goes through, alone.
    FakeWriter big_writer;
    GroupCommitStage big(big_writer, CommitLimits{10, 100});
    std::promise<bool> result;
    big.submit(request("big", std::string(1000, 'x'), [&](const Result<void>& r) { result.set_value(r.ok()); }));
    EXPECT_TRUE(result.get_future().get());
}

TEST(CommitStage, StopDrainsThenRejects) {
    FakeWriter writer;
    GroupCommitStage stage(writer);
    std::atomic<int> ok{0};
    for (int i = 0; i < 50; ++i)
        stage.submit(request(std::to_string(i), "x", [&](const Result<void>& r) { if (r) ok.fetch_add(1); }));
    stage.stop();
    EXPECT_EQ(ok.load(), 50);

    bool called = false, succeeded = true;
    stage.submit(request("late", "x", [&](const Result<void>& r) { called = true; succeeded = r.ok(); }));
    EXPECT_TRUE(called);  // inline, on this thread: there is no commit thread any more
    EXPECT_FALSE(succeeded);
    stage.stop();  // idempotent
}

TEST(CommitStage, ReportsEachRequestsOwnResult) {
    FakeWriter writer;
    GroupCommitStage stage(writer);
    std::promise<Result<void>> a, b;
    stage.submit(request("a", "fail", [&](const Result<void>& r) { a.set_value(r); }));
    stage.submit(request("b", "fine", [&](const Result<void>& r) { b.set_value(r); }));
    auto ra = a.get_future().get();
    EXPECT_FALSE(ra.ok());
    EXPECT_EQ(ra.error().message, "rejected");
    EXPECT_TRUE(b.get_future().get().ok());
}

TEST(CommitStage, AcceptsAndOutcomesShareBatchesInOrder) {
    FakeWriter writer;
    std::promise<void> open_gate;
    writer.gate = open_gate.get_future().share();
    GroupCommitStage stage(writer);
    std::promise<Result<void>> first_done;
    stage.submit(request("gate", "x", [&](const Result<void>& r) { first_done.set_value(r); }));
    // The commit thread now waits in the first batch; everything below
    // forms the next one.
    writer.entered.get_future().wait();
    std::vector<std::string> done_order;
    std::mutex done_mu;
    auto record = [&](std::string what) {
        return [&, what](const Result<void>& r) {
            std::lock_guard lock(done_mu);
            done_order.push_back(what + (r ? "+" : "-"));
        };
    };
    stage.submit(outcome("o1", 0, record("o1")));
    stage.submit(request("a1", "x", record("a1")));
    stage.submit(outcome("fail", 0, record("fail")));
    stage.submit(request("a2", "x", record("a2")));
    open_gate.set_value();
    EXPECT_TRUE(first_done.get_future().get().ok());
    stage.stop();

    std::lock_guard lock(writer.mu);
    // One batch of both kinds, in submission order.
    ASSERT_EQ(writer.batches.size(), 2u);
    EXPECT_EQ(writer.batches[1], (std::vector<std::string>{"O:o1", "A:a1", "O:fail", "A:a2"}));
    // Each callback gets its own result, in batch order, on the commit thread.
    EXPECT_EQ(done_order, (std::vector<std::string>{"o1+", "a1+", "fail-", "a2+"}));
    EXPECT_EQ(stage.stats().requests, 5u);
}

TEST(CommitStage, ByteCapCountsOutcomeNotifications) {
    FakeWriter writer;
    std::promise<void> open_gate;
    writer.gate = open_gate.get_future().share();
    {
        GroupCommitStage stage(writer, CommitLimits{10, 1000});
        stage.submit(request("gate", "x", nullptr));
        writer.entered.get_future().wait();
        stage.submit(outcome("o600", 600, nullptr));
        stage.submit(request("a600", std::string(600, 'x'), nullptr));  // 1200 > 1000: next batch
        stage.submit(outcome("o0", 0, nullptr));                        // an outcome alone weighs nothing
        stage.submit(request("a300", std::string(300, 'x'), nullptr));  // 900 still fits
        stage.submit(outcome("o200", 200, nullptr));                    // 1100 does not
        open_gate.set_value();
        stage.stop();
    }
    std::lock_guard lock(writer.mu);
    ASSERT_EQ(writer.batches.size(), 4u);
    EXPECT_EQ(writer.batches[1], (std::vector<std::string>{"O:o600"}));
    EXPECT_EQ(writer.batches[2], (std::vector<std::string>{"A:a600", "O:o0", "A:a300"}));
    EXPECT_EQ(writer.batches[3], (std::vector<std::string>{"O:o200"}));
}

TEST(CommitStage, OutcomeAfterStopFailsOnTheCallersThread) {
    FakeWriter writer;
    GroupCommitStage stage(writer);
    std::promise<bool> early;
    stage.submit(outcome("early", 0, [&](const Result<void>& r) { early.set_value(r.ok()); }));
    stage.stop();
    EXPECT_TRUE(early.get_future().get());  // drained before stopping

    bool called = false, succeeded = true;
    const auto caller = std::this_thread::get_id();
    std::thread::id ran_on;
    stage.submit(outcome("late", 10, [&](const Result<void>& r) {
        called = true;
        succeeded = r.ok();
        ran_on = std::this_thread::get_id();
    }));
    EXPECT_TRUE(called);
    EXPECT_FALSE(succeeded);
    EXPECT_EQ(ran_on, caller);
    std::lock_guard lock(writer.mu);
    EXPECT_EQ(writer.committed, (std::vector<std::string>{"early"}));
}
