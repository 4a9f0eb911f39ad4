// Log-linear latency histogram (see histogram.hpp).
#include "load/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ringpost::load {

LatencyHistogram::LatencyHistogram() : buckets_(kLinear + (kMaxBit - 9) * kSub, 0) {}

unsigned LatencyHistogram::index(uint64_t v) {
    if (v < kLinear) return static_cast<unsigned>(v);
    const uint64_t cap = (uint64_t{1} << (kMaxBit + 1)) - 1;
    if (v > cap) v = cap;
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));   // >= 10
    const unsigned shift = msb - 9;                                        // v >> shift in [512, 1023]
    return kLinear + (msb - 10) * kSub + static_cast<unsigned>((v >> shift) - kSub);
}

double LatencyHistogram::middle(unsigned idx) {
    if (idx < kLinear) return idx;
    const unsigned rel = idx - kLinear;
    const unsigned shift = rel / kSub + 1;
    const uint64_t low = (uint64_t{rel % kSub} + kSub) << shift;
    return static_cast<double>(low) + static_cast<double>((uint64_t{1} << shift) - 1) / 2.0;
}

void LatencyHistogram::add(uint64_t micros) {
    ++buckets_[index(micros)];
    ++count_;
    max_ = std::max(max_, micros);
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
    for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
}

double LatencyHistogram::quantile(double q) const {
    if (count_ == 0) return 0;
    const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
        seen += buckets_[i];
        if (seen >= rank) return std::min(middle(static_cast<unsigned>(i)), static_cast<double>(max_));
    }
    return static_cast<double>(max_);
}

}  // namespace ringpost::load
