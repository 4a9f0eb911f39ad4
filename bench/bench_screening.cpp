// The per-connection and per-recipient lookups of the edge checks: the
// screening's pass cache (one lookup per screened connection) and
// greylisting (one check per recipient of an untrusted client), both
// sharded LRU tables (util/sharded_lru.hpp) full of other clients' records.
// Run by hand: build/bench/bench-screening.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "server/greylist.hpp"
#include "server/screen_cache.hpp"

using namespace ringpost;

namespace {

constexpr int64_t kT0 = 1'700'000'000'000;   // unix ms
constexpr int kClients = 50000;

std::string client_ip(int i) {
    return "10." + std::to_string(i >> 16 & 255) + "." + std::to_string(i >> 8 & 255) + "." + std::to_string(i & 255);
}

void ip16_of(int i, uint8_t out[16]) {
    const uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, static_cast<uint8_t>(i >> 16),
                            static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    for (int k = 0; k < 16; ++k) out[k] = v4[k];
}

// A lookup among kClients that passed both tests: of one of them (a hit,
// Arg 1) or of a client never seen (a miss, Arg 0).
void BM_ScreenCacheLookup(benchmark::State& state) {
    server::ScreenCache cache({3600 * 1000, 86400 * 1000, 100000}, {});
    for (int i = 0; i < kClients; ++i) cache.remember(client_ip(i), {true, false, true}, kT0);
    const std::string ip = state.range(0) ? client_ip(kClients / 2) : "192.0.2.1";
    int64_t now = kT0 + 1000;
    for (auto _ : state) {
        auto passes = cache.lookup(ip, ++now);
        benchmark::DoNotOptimize(passes);
    }
}
BENCHMARK(BM_ScreenCacheLookup)->ArgName("hit")->Arg(1)->Arg(0);

// A confirmed triplet's recipient (the common case of a known sender), in
// a table of kClients confirmed triplets; each pass is saved (a no-op saver).
void BM_GreylistKnownTriplet(benchmark::State& state) {
    config::GreylistConfig cfg;
    cfg.enabled = true;
    cfg.delay_ms = 1000;
    cfg.auto_whitelist_after = 0;
    size_t saved = 0;
    server::Greylist greylist(cfg, [&](auto put, auto removed) { saved += put.size() + removed.size(); });
    uint8_t ip[16];
    for (int i = 0; i < kClients; ++i) {
        ip16_of(i << 8, ip);   // one client per /24
        greylist.check(ip, "sender@example.org", "alice@example.com", kT0);
        greylist.check(ip, "sender@example.org", "alice@example.com", kT0 + 2000);
    }
    ip16_of((kClients / 2) << 8, ip);
    int64_t now = kT0 + 3000;
    for (auto _ : state) {
        auto verdict = greylist.check(ip, "sender@example.org", "alice@example.com", ++now);
        benchmark::DoNotOptimize(verdict);
    }
    benchmark::DoNotOptimize(saved);
}
BENCHMARK(BM_GreylistKnownTriplet);

}  // namespace

BENCHMARK_MAIN();
