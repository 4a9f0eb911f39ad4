// Microbenchmarks for bounce classification (src/delivery/bounce_classifier,
// with the built-in rules of data/bounce-rules.toml): what one deferral or
// failure costs to classify -- a reply the first rule takes, a typical one
// further down, one no rule takes (every regular expression is searched),
// and that one at the 2 KiB the classifier searches at most -- and what
// compiling the rules costs at startup (issue 13).
#include <benchmark/benchmark.h>

#include <string>

#include "config/bounce_rules.hpp"

using namespace ringpost;

namespace {

const delivery::BounceClassifier& defaults() {
    static const auto classifier = config::bounce_classifier(config::default_config());
    return *classifier;
}

void classify(benchmark::State& state, const std::string& reply) {
    const delivery::BounceClassifier& c = defaults();
    for (auto _ : state) benchmark::DoNotOptimize(c.classify(reply));
    state.SetItemsProcessed(int64_t(state.iterations()));
}

void BM_ClassifyFirstRule(benchmark::State& state) {
    classify(state, "450 4.2.0 <bob@example.org>: Recipient address rejected: Greylisted, see "
                    "https://postgrey.schweikert.ch/help/example.org.html");
}

void BM_ClassifyUnknownUser(benchmark::State& state) {
    classify(state, "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table");
}

void BM_ClassifyNoRuleMatches(benchmark::State& state) {
    classify(state, "554 5.0.0 Transaction failed: the remote system could not process the message at this time");
}

void BM_ClassifyNoRuleMatches2KiB(benchmark::State& state) {
    std::string reply = "554 5.0.0";
    while (reply.size() < delivery::ReplyPattern::kMaxMatchedText) reply += " transaction failed, status 17";
    classify(state, reply);
}

void BM_CompileDefaultRules(benchmark::State& state) {
    const auto& rules = config::default_bounce_rules();
    for (auto _ : state) benchmark::DoNotOptimize(delivery::BounceClassifier::compile(rules));
}

}  // namespace

BENCHMARK(BM_ClassifyFirstRule);
BENCHMARK(BM_ClassifyUnknownUser);
BENCHMARK(BM_ClassifyNoRuleMatches);
BENCHMARK(BM_ClassifyNoRuleMatches2KiB);
BENCHMARK(BM_CompileDefaultRules)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
