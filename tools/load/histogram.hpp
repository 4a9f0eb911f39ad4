// LatencyHistogram: fixed-size log-linear histogram of microseconds (exact
// below 1024 us, then 512 buckets per power of two: < 0.2 % error), so
// recording a latency never allocates. Mergeable across threads.
#pragma once

#include <cstdint>
#include <vector>

namespace ringpost::load {

class LatencyHistogram {
public:
    LatencyHistogram();
    void add(uint64_t micros);
    void merge(const LatencyHistogram& other);
    uint64_t count() const { return count_; }
    uint64_t max() const { return max_; }
    // The value at quantile q (0..1], as the middle of its bucket (exact below 1024 us).
    double quantile(double q) const;

private:
    static constexpr unsigned kLinear = 1024;     // exact buckets 0..1023 us
    static constexpr unsigned kSub = 512;         // buckets per power of two above
    static constexpr unsigned kMaxBit = 40;       // values are capped at 2^41-1 us (~25 days)
    static unsigned index(uint64_t v);
    static double middle(unsigned idx);

    std::vector<uint64_t> buckets_;
    uint64_t count_ = 0;
    uint64_t max_ = 0;
};

}  // namespace ringpost::load
