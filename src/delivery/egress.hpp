// Egress sources and pools (issue 13; docs/BULK.md). A source is a local
// address that outbound connections are bound to, with the EHLO name they
// give; a pool is sources with weights. Each message carries the name of
// its pool, chosen when it was accepted (mail::Envelope::pool, src/server's
// egress_pool); at each delivery attempt the engine picks one source of
// that pool for the whole message by smooth weighted round-robin (nginx's
// upstream algorithm): after any number of picks each source has had its
// weight's share to within one pick, interleaved rather than in runs.
// Pure apart from the chooser's counters; the ring thread owns the chooser.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringpost::delivery {

struct EgressSource {
    std::string name;      // [egress.sources.NAME]: in logs as source=NAME
    std::string address;   // IPv4 or IPv6 literal to bind to
    std::string ehlo;      // the EHLO name given over its connections
    bool operator==(const EgressSource&) const = default;
};

struct EgressPool {
    std::string name;
    std::vector<size_t> sources;    // indices into EgressConfig::sources
    std::vector<uint32_t> weights;  // one per source, each at least 1
    bool operator==(const EgressPool&) const = default;
};

struct EgressConfig {
    std::vector<EgressSource> sources;
    std::vector<EgressPool> pools;
    // The pool of messages that name none (or one that no longer exists);
    // "" = no pool: the kernel picks the address, EHLO gives the hostname.
    std::string default_pool;
    // The pool called `name`; null if there is none.
    const EgressPool* find_pool(std::string_view name) const;
};

// Smooth weighted round-robin: each pick adds every weight to its
// counter, takes the largest counter (the first on a tie) and subtracts
// the total from it. Deterministic, so a run's proportions are exact.
class WeightedChoice {
public:
    explicit WeightedChoice(std::vector<uint32_t> weights);
    // The index of the next pick (weights must not be empty).
    size_t next();

private:
    std::vector<uint32_t> weights_;
    std::vector<int64_t> current_;
    int64_t total_ = 0;
};

// One WeightedChoice per pool of a config.
class SourceChooser {
public:
    explicit SourceChooser(const EgressConfig& config);
    struct Choice {
        const EgressSource* source = nullptr;   // null: no pool, today's unbound connections
        bool unknown_pool = false;              // `pool` named no pool: the default pool's source
    };
    // The source for the next message of pool `pool` ("" = the default pool).
    Choice choose(std::string_view pool);

private:
    const EgressConfig& config_;
    std::vector<WeightedChoice> choices_;   // by index of config_.pools
    const EgressSource* pick(const EgressPool& pool);
};

}  // namespace ringpost::delivery
