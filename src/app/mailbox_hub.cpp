#include "app/mailbox_hub.hpp"

#include <vector>

#include "io/ring.hpp"

namespace ringpost::app {

std::shared_ptr<void> MailboxHub::subscribe(std::string user, std::string mailbox, io::Ring* ring,
                                            std::function<void()> on_change) {
    uint64_t id;
    {
        std::lock_guard lock(mu_);
        id = next_id_++;
        subs_.emplace(id, Sub{std::move(user), std::move(mailbox), ring, std::move(on_change)});
    }
    // The handle: an empty object whose deleter unsubscribes.
    return std::shared_ptr<void>(static_cast<void*>(nullptr), [this, id](void*) { remove(id); });
}

void MailboxHub::remove(uint64_t id) {
    std::lock_guard lock(mu_);
    subs_.erase(id);
}

void MailboxHub::publish(std::string_view user, std::string_view mailbox) {
    std::vector<std::pair<io::Ring*, std::function<void()>>> targets;
    {
        std::lock_guard lock(mu_);
        for (const auto& [id, s] : subs_)
            if (s.user == user && (mailbox.empty() || s.mailbox == mailbox)) targets.emplace_back(s.ring, s.on_change);
    }
    for (auto& [ring, fn] : targets) ring->post(std::move(fn));
}

size_t MailboxHub::subscribers() const {
    std::lock_guard lock(mu_);
    return subs_.size();
}

}  // namespace ringpost::app
