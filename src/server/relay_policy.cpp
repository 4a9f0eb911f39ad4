#include "server/relay_policy.hpp"

#include <ctime>

#include "server/greylist_metrics.hpp"
#include "server/screen_metrics.hpp"
#include "store/commit_stage.hpp"
#include "store/store.hpp"
#include "util/log.hpp"

namespace ringpost::server {

using util::ascii_lower;

RelayPolicy::RelayPolicy(const config::RelayConfig& relay, store::Store& store, RateLimiter* message_rate,
                         Greylist* greylist)
    : relay_networks_(relay.relay_networks), store_(store), message_rate_(message_rate), greylist_(greylist) {
    for (const auto& d : relay.local_domains) local_domains_.insert(ascii_lower(d));
    if (!relay.local_domains.empty()) primary_domain_ = ascii_lower(relay.local_domains.front());
}

bool RelayPolicy::is_local_domain(std::string_view domain) const {
    return local_domains_.count(ascii_lower(domain)) != 0;
}

bool RelayPolicy::relay_allowed(const uint8_t addr16[16]) const {
    return config::networks_contain(relay_networks_, addr16);
}

smtp::RcptVerdict RelayPolicy::check_recipient(std::string_view address, const smtp::ClientInfo& client) {
    auto at = address.rfind('@');
    if (at == std::string_view::npos) {
        // RFC 5321 4.5.1: "postmaster" without a domain must be accepted;
        // it is the postmaster of our first local domain.
        if (ascii_lower(address) == "postmaster" && !primary_domain_.empty()) {
            return store_.users().exists("postmaster@" + primary_domain_) ? smtp::RcptVerdict::kAcceptLocal
                                                                        : smtp::RcptVerdict::kUnknownUser;
        }
        return smtp::RcptVerdict::kUnknownUser;
    }
    std::string_view domain = address.substr(at + 1);
    if (is_local_domain(domain)) {
        return store_.users().exists(ascii_lower(address)) ? smtp::RcptVerdict::kAcceptLocal
                                                        : smtp::RcptVerdict::kUnknownUser;
    }
    if (client.relay_allowed || client.authenticated) return smtp::RcptVerdict::kAcceptRelay;
    return smtp::RcptVerdict::kRelayDenied;
}

std::string RelayPolicy::new_queue_id() { return store::new_queue_id(); }

int64_t RelayPolicy::now() { return static_cast<int64_t>(::time(nullptr)); }

bool RelayPolicy::storage_available(uint64_t size) { return store_.can_accept(size); }

std::optional<smtp::PolicyRefusal> RelayPolicy::check_mail(const smtp::ClientInfo& client) {
    if (!message_rate_ || message_rate_->unlimited() || !client.rate_limited) return std::nullopt;
    uint8_t ip16[16];
    if (!config::parse_ip(client.ip, ip16)) return std::nullopt;
    if (message_rate_->hit(ip16) != RateLimiter::Verdict::kOverLimit) return std::nullopt;
    screen_metrics().count(ScreenEvent::kMessageRate);
    log::warn("screen", {{"client", client.ip}, {"result", "message_rate"}, {"limit", message_rate_->limit()}});
    return smtp::PolicyRefusal{450, "4.7.1", "Error: too much mail from " + client.ip};
}

std::optional<smtp::PolicyRefusal> RelayPolicy::check_accepted_recipient(std::string_view sender,
                                                                        std::string_view recipient,
                                                                        const smtp::ClientInfo& client) {
    // The same clients as the inbound checks': trusted ones never wait.
    if (!greylist_ || client.relay_allowed || client.authenticated) return std::nullopt;
    uint8_t ip16[16];
    if (!config::parse_ip(client.ip, ip16)) return std::nullopt;
    const Greylist::Verdict v = greylist_->check(ip16, sender, recipient, Greylist::wall_clock_ms());
    greylist_metrics().count(v.outcome);
    if (v.outcome == Greylist::Outcome::kPassed) {
        log::info("greylist", {{"client", client.ip}, {"sender", sender}, {"recipient", recipient},
                               {"result", "passed"}, {"waited_ms", v.waited_ms}});
    }
    if (v.outcome != Greylist::Outcome::kGreylisted) return std::nullopt;
    log::info("greylist", {{"client", client.ip}, {"sender", sender}, {"recipient", recipient},
                           {"result", "greylisted"}, {"retry_in_ms", v.retry_in_ms}});
    return smtp::PolicyRefusal{451, "4.7.1", greylist_->reply(v)};
}

bool RelayPolicy::wants_rejections() const { return store_.events().enabled(); }

void RelayPolicy::rejected(const smtp::ClientInfo& client, const smtp::Rejection& r) {
    // No state change to report it with: it joins the next group commit
    // (submit only queues, so the ring thread does not wait).
    auto request = std::make_unique<store::EventRequest>();
    store::Event& e = request->events.emplace_back();
    e.type = "rejected";
    e.client = client.ip;
    e.stage = std::string(r.stage);
    e.code = r.code;
    e.enhanced_code = std::string(r.enhanced);
    e.response = std::string(r.text);
    e.sender = std::string(r.sender);
    e.recipient = std::string(r.recipient);
    store_.commit_stage().submit(std::move(request));
}

}  // namespace ringpost::server
