// Message filters run in order (see filter_chain.hpp).
#include "server/filter_chain.hpp"

#include <algorithm>

namespace ringpost::server {

FilterChain::FilterChain(std::vector<smtp::MessageFilter*> filters) : filters_(std::move(filters)) {
    std::erase(filters_, nullptr);
}

io::Task<smtp::FilterVerdict> FilterChain::filter(smtp::AcceptedMessage& message) {
    for (smtp::MessageFilter* f : filters_) {
        auto filtering = f->filter(message);
        smtp::FilterVerdict verdict = co_await std::move(filtering);
        if (!verdict.accepted()) co_return verdict;
    }
    co_return smtp::FilterVerdict{};
}

}  // namespace ringpost::server
