// GroupCommitStage against a fake writer: batching, caps, draining on stop,
// per-request results.
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
// a request whose data is "fail" is rejected on its own.
class FakeWriter : public BatchWriter {
public:
    void write_batch(std::span<AcceptRequest* const> requests, std::vector<Result<void>>& results) override {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::lock_guard lock(mu);
        sizes.push_back(requests.size());
        for (size_t i = 0; i < requests.size(); ++i) {
            if (requests[i]->data == "fail") results[i] = make_error("rejected");
            else committed.push_back(requests[i]->envelope.queue_id);
        }
    }
    std::mutex mu;
    std::vector<size_t> sizes;
    std::vector<std::string> committed;
};

std::unique_ptr<AcceptRequest> request(std::string id, std::string data, std::function<void(const Result<void>&)> done) {
    auto r = std::make_unique<AcceptRequest>();
    r->envelope.queue_id = std::move(id);
    r->data = std::move(data);
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
