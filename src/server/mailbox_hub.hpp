// MailboxHub: process-wide change notices for mailboxes, so that an IMAP
// session learns at once that another session (IMAP or POP3, any worker)
// or a local delivery changed the mailbox it has selected. Thread-safe:
// subscribe from a ring thread, publish from any thread; the callback runs
// on the subscriber's ring (posted), never on the publisher's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ringpost::io {
class Ring;
}

namespace ringpost::server {

class MailboxHub {
public:
    // Until the returned handle is destroyed, publish(user, mailbox) posts
    // `on_change` to `ring`. The hub must outlive the handle.
    std::shared_ptr<void> subscribe(std::string user, std::string mailbox, io::Ring* ring,
                                    std::function<void()> on_change);
    // Notify the subscribers of (user, mailbox); an empty mailbox notifies
    // all of the user's subscribers. `origin` (a handle's get()) is the
    // subscriber that made the change: it already knows, so it is skipped.
    void publish(std::string_view user, std::string_view mailbox, const void* origin = nullptr);

    size_t subscribers() const;

private:
    struct Sub {
        std::string user;
        std::string mailbox;
        io::Ring* ring = nullptr;
        std::function<void()> on_change;
        const void* token = nullptr;
    };
    void remove(uint64_t id);

    mutable std::mutex mu_;
    uint64_t next_id_ = 1;
    std::unordered_map<uint64_t, Sub> subs_;
};

}  // namespace ringpost::server
