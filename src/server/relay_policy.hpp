// The SMTP access policy (smtp::Policy): recipients in local_domains are
// accepted from anyone when the user exists; other domains only from
// clients in relay_networks (or authenticated ones, issue 5). MAIL FROM
// counts toward the client's message rate where the listener screens; an
// accepted recipient of an untrusted client is greylisted when [greylist]
// is on (server/greylist.hpp).
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "config/config.hpp"
#include "server/greylist.hpp"
#include "server/rate_limiter.hpp"
#include "smtp/session.hpp"
#include "util/ascii.hpp"

namespace ringpost::store {
class Store;
}

namespace ringpost::server {

class RelayPolicy final : public smtp::Policy {
public:
    // `message_rate`: [smtp] max_message_rate_per_ip, shared by all
    // workers (null = no limit); `greylist`: the same ([greylist], null = off).
    RelayPolicy(const config::RelayConfig& relay, store::Store& store, RateLimiter* message_rate = nullptr,
                Greylist* greylist = nullptr);

    smtp::RcptVerdict check_recipient(std::string_view address, const smtp::ClientInfo& client) override;
    std::string new_queue_id() override;
    int64_t now() override;
    bool storage_available(uint64_t size) override;
    // Over max_message_rate_per_ip: 450 4.7.1 "Error: too much mail from IP" (Postfix's reply).
    std::optional<smtp::PolicyRefusal> check_mail(const smtp::ClientInfo& client) override;
    // Greylisting of clients neither in relay_networks nor authenticated:
    // 451 4.7.1 with [greylist] reply.
    std::optional<smtp::PolicyRefusal> check_accepted_recipient(std::string_view sender, std::string_view recipient,
                                                                const smtp::ClientInfo& client) override;
    // With the event log on: each error reply becomes a "rejected" event.
    bool wants_rejections() const override;
    void rejected(const smtp::ClientInfo& client, const smtp::Rejection& rejection) override;

    bool is_local_domain(std::string_view domain) const;
    // Decided once per connection: is this peer in relay_networks?
    bool relay_allowed(const uint8_t addr16[16]) const;

private:
    std::unordered_set<std::string> local_domains_;
    std::string primary_domain_;   // first of local_domains: home of a bare "postmaster"
    std::vector<config::Network> relay_networks_;
    store::Store& store_;
    RateLimiter* message_rate_;
    Greylist* greylist_;
};

// Lower-cased copy (ASCII only; UTF-8 bytes pass unchanged).
}  // namespace ringpost::server
