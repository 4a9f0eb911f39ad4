#include "server/mailbox_hub.hpp"

#include <vector>

#include "io/ring.hpp"

namespace ringpost::server {

std::shared_ptr<void> MailboxHub::subscribe(std::string user, std::string mailbox, io::Ring* ring,
                                            std::function<void()> on_change) {
    // The handle owns a token whose address names the subscription (the
    // origin a subscriber's own writes are published with); its deleter
    // unsubscribes.
    auto* token = new uint64_t(0);
    {
        std::lock_guard lock(mu_);
        *token = next_id_++;
        subs_.emplace(*token, Sub{std::move(user), std::move(mailbox), ring, std::move(on_change), token});
    }
    return std::shared_ptr<void>(static_cast<void*>(token), [this](void* p) {
        auto* t = static_cast<uint64_t*>(p);
        remove(*t);
        delete t;
    });
}

void MailboxHub::remove(uint64_t id) {
    std::lock_guard lock(mu_);
    subs_.erase(id);
}

void MailboxHub::publish(std::string_view user, std::string_view mailbox, const void* origin) {
    std::vector<std::pair<io::Ring*, std::function<void()>>> targets;
    {
        std::lock_guard lock(mu_);
        for (const auto& [id, s] : subs_)
            if (s.user == user && (mailbox.empty() || s.mailbox == mailbox) && s.token != origin)
                targets.emplace_back(s.ring, s.on_change);
    }
    for (auto& [ring, fn] : targets) ring->post(std::move(fn));
}

size_t MailboxHub::subscribers() const {
    std::lock_guard lock(mu_);
    return subs_.size();
}

}  // namespace ringpost::server
