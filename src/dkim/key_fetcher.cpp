#include "dkim/key_fetcher.hpp"

#include "dns/resolver.hpp"

namespace ringpost::dkim {

io::Task<dns::RecordSet> ResolverKeyFetcher::lookup(std::string name, uint16_t type) {
    // A named task: no std::string temporary inside the co_await (g++ 12).
    auto looking = resolver_.lookup(std::move(name), type);
    co_return co_await std::move(looking);
}

}  // namespace ringpost::dkim
