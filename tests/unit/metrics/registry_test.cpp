// Counters, histograms and gauges of metrics::Registry: per-thread shards
// summed at scrape (also after their threads exit), label resolution,
// histogram buckets, and collectors.
#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

#include "metrics/registry.hpp"

using namespace ringpost::metrics;

namespace {

// A copy: the snapshot it comes from is a temporary.
FamilySnapshot family(const std::vector<FamilySnapshot>& all, const std::string& name) {
    for (const auto& f : all)
        if (f.name == name) return f;
    throw std::runtime_error("no family " + name);
}

double value_of(const Registry& r, const std::string& name, const std::vector<std::string>& values = {}) {
    const FamilySnapshot f = family(r.snapshot(), name);
    for (const auto& s : f.samples)
        if (s.values == values) return s.value;
    throw std::runtime_error("no sample");
}

TEST(MetricsRegistry, CountsFromSeveralThreadsAreSummed) {
    Registry r;
    Counter c = r.counter("t_events_total", "events").with({});
    constexpr int kThreads = 4, kEach = 100000;
    std::vector<std::thread> threads;
    std::atomic<int> counted{0};
    std::atomic<bool> release{false};
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) c.inc();
            ++counted;
            while (!release) std::this_thread::yield();   // still alive while the scrape reads its shard
        });
    while (counted < kThreads) std::this_thread::yield();
    EXPECT_EQ(value_of(r, "t_events_total"), double(kThreads) * kEach);   // live shards
    release = true;
    for (auto& t : threads) t.join();
    c.inc(5);
    EXPECT_EQ(value_of(r, "t_events_total"), double(kThreads) * kEach + 5);   // exited threads' counts kept
}

TEST(MetricsRegistry, LabelledChildrenAreResolvedOnceAndKeptApart) {
    Registry r;
    CounterFamily& f = r.counter("t_conn_total", "connections", {"protocol", "result"});
    Counter smtp_ok = f.with({"smtp", "accepted"});
    f.with({"imap", "refused"}).inc(2);
    smtp_ok.inc();
    f.with({"smtp", "accepted"}).inc();   // the same child again
    EXPECT_EQ(value_of(r, "t_conn_total", {"smtp", "accepted"}), 2);
    EXPECT_EQ(value_of(r, "t_conn_total", {"imap", "refused"}), 2);
    EXPECT_THROW(f.with({"smtp"}), std::invalid_argument);
    // Registering again with the same labels is the same family.
    EXPECT_EQ(&r.counter("t_conn_total", "connections", {"protocol", "result"}), &f);
    EXPECT_THROW(r.counter("t_conn_total", "x", {"protocol"}), std::invalid_argument);
    EXPECT_THROW(r.counter("bad-name", "x"), std::invalid_argument);
    EXPECT_THROW(r.counter("t_ok", "x", {"le"}), std::invalid_argument);
}

TEST(MetricsRegistry, RegistriesDoNotShareCounts) {
    Registry a, b;
    a.counter("t_same_total", "x").with({}).inc(3);
    b.counter("t_same_total", "x").with({}).inc(4);
    EXPECT_EQ(value_of(a, "t_same_total"), 3);
    EXPECT_EQ(value_of(b, "t_same_total"), 4);
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeWithSumAndCount) {
    Registry r;
    // Observed in microseconds, shown in seconds.
    Histogram h = r.histogram("t_latency_seconds", "latency", {}, {1000, 10000, 100000}, 1e6).with({});
    for (uint64_t v : {500, 1000, 1001, 20000, 5000000}) h.observe(v);
    const FamilySnapshot f = family(r.snapshot(), "t_latency_seconds");
    ASSERT_EQ(f.samples.size(), 1u);
    EXPECT_EQ(f.bounds, (std::vector<double>{0.001, 0.01, 0.1}));
    EXPECT_EQ(f.samples[0].buckets, (std::vector<uint64_t>{2, 3, 4, 5}));   // <= bound; the last is +Inf
    EXPECT_DOUBLE_EQ(f.samples[0].sum, 5.0225010);
    EXPECT_THROW(r.histogram("t_bad", "x", {}, {3, 2}), std::invalid_argument);
}

TEST(MetricsRegistry, GaugeCollectorsRunAtScrapeUntilRemoved) {
    Registry r;
    int depth = 7;
    Collector c = r.gauge("t_depth", "depth", {"site"}, [&](GaugeWriter& w) {
        w.set({"b"}, depth);
        w.set({"a"}, depth * 2);
    });
    depth = 9;
    const FamilySnapshot f = family(r.snapshot(), "t_depth");
    ASSERT_EQ(f.samples.size(), 2u);
    EXPECT_EQ(f.samples[0].values, std::vector<std::string>{"a"});   // sorted by label values
    EXPECT_EQ(f.samples[0].value, 18);
    EXPECT_EQ(f.samples[1].value, 9);
    c.reset();
    EXPECT_TRUE(family(r.snapshot(), "t_depth").samples.empty());
}

TEST(MetricsRegistry, DefaultHandlesCountIntoNothing) {
    Counter c;
    Histogram h;
    c.inc();
    h.observe(12);
    Registry r;
    r.counter("t_x_total", "x");
    EXPECT_EQ(value_of(r, "t_x_total"), 0);
}

}  // namespace
