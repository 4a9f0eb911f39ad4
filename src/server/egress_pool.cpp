// The egress pool of an accepted message and the removal of
// X-Ringpost-Pool (see egress_pool.hpp).
#include "server/egress_pool.hpp"

#include <algorithm>
#include <vector>

#include "mail/header_block.hpp"
#include "util/ascii.hpp"
#include "util/log.hpp"

namespace ringpost::server {

std::optional<std::string> take_header_fields(std::string& message, std::string_view name) {
    const std::string_view data(message);
    mail::HeaderReader reader(data.substr(0, mail::header_section_size(data)));
    mail::HeaderField field;
    std::optional<std::string> first;
    std::vector<std::pair<size_t, size_t>> cuts;   // offset, length
    while (reader.next(field)) {
        if (!util::iequals(field.name, name)) continue;
        if (!first) first = mail::unfold(field.value);
        cuts.emplace_back(static_cast<size_t>(field.raw.data() - data.data()), field.raw.size());
    }
    // From the last, so that the earlier offsets stay right.
    for (auto it = cuts.rbegin(); it != cuts.rend(); ++it) message.erase(it->first, it->second);
    return first;
}

bool EgressPools::has_pool(std::string_view name) const {
    return std::any_of(config_.pools.begin(), config_.pools.end(), [&](const auto& p) { return p.name == name; });
}

void EgressPools::apply(smtp::AcceptedMessage& message) const {
    mail::Envelope& env = message.envelope;
    const smtp::MessageOrigin& origin = message.origin;
    std::optional<std::string> asked = take_header_fields(message.data, kPoolHeader);
    env.body_size = message.data.size();
    const bool trusted = origin.authenticated || origin.relay_allowed;
    if (asked && trusted) {
        env.pool = has_pool(*asked) ? *asked : std::string();
        if (env.pool.empty())
            log::warn("egress_pool_unknown", {{"qid", env.queue_id}, {"pool", *asked},
                                              {"default_pool", config_.default_pool}});
        return;
    }
    if (asked) log::info("egress_pool_ignored", {{"qid", env.queue_id}, {"client", env.client_ip}, {"pool", *asked}});
    env.pool.clear();
    if (origin.authenticated) {
        for (const auto& [login, pool] : config_.users)
            if (login == origin.auth_user) {
                env.pool = pool;
                return;
            }
    }
    const size_t at = env.sender.rfind('@');
    if (at == std::string::npos) return;
    const std::string domain = util::ascii_lower(std::string_view(env.sender).substr(at + 1));
    for (const auto& [d, pool] : config_.sender_domains)
        if (d == domain) {
            env.pool = pool;
            return;
        }
}

io::Task<smtp::FilterVerdict> EgressPoolFilter::filter(smtp::AcceptedMessage& message) {
    pools_.apply(message);
    co_return smtp::FilterVerdict{};
}

}  // namespace ringpost::server
