// What counting costs the hot path (build/bench/bench-metrics): a counter
// increment and a histogram observation into the per-thread shards, from
// one thread and from two at once (each thread writes only its own cells,
// so two threads should cost what one does: no shared cache line). Beside
// them, for scale, a relaxed atomic fetch_add on one shared counter -- what
// a counter shared by all threads (prometheus-cpp's own) costs.
#include <benchmark/benchmark.h>

#include <atomic>

#include "metrics/registry.hpp"

using namespace ringpost;

namespace {

metrics::Registry& registry() {
    static metrics::Registry r;
    return r;
}

void BM_CounterIncrement(benchmark::State& state) {
    static const metrics::Counter c = registry().counter("bench_events_total", "events").with({});
    for (auto _ : state) c.inc();
    state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_CounterIncrement)->Threads(1)->Threads(2);

void BM_LabelledCounterIncrement(benchmark::State& state) {
    static const metrics::Counter c =
        registry().counter("bench_replies_total", "replies", {"class"}).with({"2xx"});
    for (auto _ : state) c.inc();
    state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_LabelledCounterIncrement)->Threads(1)->Threads(2);

void BM_HistogramObserve(benchmark::State& state) {
    static const metrics::Histogram h =
        registry().histogram("bench_latency_seconds", "latency", {}, {50, 100, 250, 500, 1000, 2500, 5000}, 1e6).with({});
    uint64_t v = 0;
    for (auto _ : state) h.observe(v++ & 4095);
    state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

std::atomic<uint64_t> g_shared{0};

void BM_SharedAtomicFetchAdd(benchmark::State& state) {
    for (auto _ : state) g_shared.fetch_add(1, std::memory_order_relaxed);
    state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_SharedAtomicFetchAdd)->Threads(1)->Threads(2);

// A scrape of a registry of about the server's size.
void BM_RenderText(benchmark::State& state) {
    static metrics::Registry r;
    static bool filled = [] {
        for (int f = 0; f < 30; ++f) {
            auto& family = r.counter("bench_family_" + std::to_string(f) + "_total", "a family", {"a", "b"});
            for (int i = 0; i < 10; ++i) family.with({"x" + std::to_string(i), "y"}).inc(i);
        }
        return true;
    }();
    benchmark::DoNotOptimize(filled);
    for (auto _ : state) benchmark::DoNotOptimize(r.render_text());
}
BENCHMARK(BM_RenderText);

}  // namespace

BENCHMARK_MAIN();
