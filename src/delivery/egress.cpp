// Egress pools: the weighted choice of a source (see egress.hpp).
#include "delivery/egress.hpp"

namespace ringpost::delivery {

const EgressPool* EgressConfig::find_pool(std::string_view name) const {
    for (const auto& p : pools)
        if (p.name == name) return &p;
    return nullptr;
}

WeightedChoice::WeightedChoice(std::vector<uint32_t> weights)
    : weights_(std::move(weights)), current_(weights_.size(), 0) {
    for (uint32_t w : weights_) total_ += w;
}

size_t WeightedChoice::next() {
    size_t best = 0;
    for (size_t i = 0; i < weights_.size(); ++i) {
        current_[i] += weights_[i];
        if (current_[i] > current_[best]) best = i;
    }
    current_[best] -= total_;
    return best;
}

SourceChooser::SourceChooser(const EgressConfig& config) : config_(config) {
    for (const auto& p : config_.pools) choices_.emplace_back(p.weights);
}

const EgressSource* SourceChooser::pick(const EgressPool& pool) {
    if (pool.sources.empty()) return nullptr;
    const size_t index = static_cast<size_t>(&pool - config_.pools.data());
    return &config_.sources[pool.sources[choices_[index].next()]];
}

SourceChooser::Choice SourceChooser::choose(std::string_view pool) {
    Choice c;
    const EgressPool* p = pool.empty() ? nullptr : config_.find_pool(pool);
    c.unknown_pool = !pool.empty() && p == nullptr;
    if (!p && !config_.default_pool.empty()) p = config_.find_pool(config_.default_pool);
    if (p) c.source = pick(*p);
    return c;
}

}  // namespace ringpost::delivery
