// Microbenchmarks for DKIM signing (src/dkim): the CPU one message costs to
// sign with Ed25519, with RSA-2048, and with both, beside hashing the body
// alone (canonicalization), for 4 KiB and 64 KiB messages -- what acceptance pays per message once
// signing runs before the commit (issue 13).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "dkim/signer.hpp"

using namespace ringpost;
using namespace ringpost::dkim;

namespace {

std::string message_of(size_t body_bytes) {
    std::string m =
        "From: Alice <alice@example.test>\r\nTo: bob@example.org\r\nSubject: benchmark\r\n"
        "Date: Mon, 07 Dec 2026 03:00:00 +0000\r\nMessage-ID: <1@example.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
    const std::string line = "The quick brown fox jumps over the lazy dog, again and again.\r\n";
    while (m.size() < body_bytes) m += line;
    return m;
}

SignatureSpec spec_for(const SigningKey& key, const char* selector) {
    SignatureSpec s;
    s.domain = "example.test";
    s.selector = selector;
    s.key = &key;
    return s;
}

void run(benchmark::State& state, const std::vector<SignatureSpec>& specs) {
    const std::string m = message_of(static_cast<size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(sign(m, specs, 1796000000));
    state.SetItemsProcessed(int64_t(state.iterations()));
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(m.size()));
}

const SigningKey& ed25519() {
    static const SigningKey key = SigningKey::generate(Algorithm::kEd25519Sha256).value();
    return key;
}

const SigningKey& rsa2048() {
    static const SigningKey key = SigningKey::generate(Algorithm::kRsaSha256, 2048).value();
    return key;
}

void BM_CanonicalizeBodyOnly(benchmark::State& state) {
    const std::string m = message_of(static_cast<size_t>(state.range(0)));
    std::string out;
    for (auto _ : state) {
        out.clear();
        BodyCanonicalizer(Canon::kRelaxed).run(m, [&out](std::string_view p) { out.append(p); });
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(m.size()));
}
BENCHMARK(BM_CanonicalizeBodyOnly)->Arg(4096)->Arg(65536);

void BM_SignEd25519(benchmark::State& state) { run(state, {spec_for(ed25519(), "ed")}); }
BENCHMARK(BM_SignEd25519)->Arg(4096)->Arg(65536);

void BM_SignRsa2048(benchmark::State& state) { run(state, {spec_for(rsa2048(), "rsa")}); }
BENCHMARK(BM_SignRsa2048)->Arg(4096)->Arg(65536);

void BM_SignRsaAndEd25519(benchmark::State& state) {
    run(state, {spec_for(rsa2048(), "rsa"), spec_for(ed25519(), "ed")});
}
BENCHMARK(BM_SignRsaAndEd25519)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
