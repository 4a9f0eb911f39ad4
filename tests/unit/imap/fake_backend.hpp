// An in-memory imap::Backend for the session and driver tests: users with
// passwords, mailboxes (the store's five defaults with their special use,
// create/delete/rename/subscribe), messages with strictly ascending UIDs per
// mailbox, flags, internal dates and MIME summaries (mail::summarize_message),
// and change notices: every write tells the watchers of that user and
// mailbox, except the one whose handle is the write's origin, by a post to
// the watcher's ring (or directly when it watched without one).
//
// The semantics and error codes are the store's mailbox API's (store_error.hpp),
// which the real backend (src/server/imap_backend.cpp) passes through. Every
// call first suspends on a ring timer (`latency`), like a call handed to the
// blocking pool, when a ring is current; latency < 0 never suspends.
//
// Setup and inspection helpers (add_user, add_message, ...) are plain
// functions; the write helpers notify like a delivery or another session
// does (origin null).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "imap/backend.hpp"

namespace ringpost::io {
class BlockingPool;
class Ring;
}

namespace ringpost::imap::test {

struct FakeMessage {
    uint32_t uid = 0;
    uint32_t flags = 0;
    int64_t internal_date = 0;
    std::string data;
    mail::MessageSummary summary;
};

struct FakeMailbox {
    uint32_t uidvalidity = 0;
    uint32_t uidnext = 1;
    bool subscribed = false;
    std::string special_use;
    std::vector<FakeMessage> messages;   // ascending UID
    std::vector<std::string> keywords;   // keyword i is flag bit kFirstKeywordBit + i
    uint32_t recent_floor = 0;           // UIDs up to here were handed out as \Recent
};

class FakeBackend : public Backend {
public:
    // Each call suspends this long on the current ring first (< 0: never).
    std::chrono::milliseconds latency{0};
    // Internal date given to appended messages without one (APPEND's "now").
    int64_t now = 1700000000;
    // Logins answer kTempFail (a store outage).
    bool logins_unavailable = false;
    // APPEND answers kInsufficientStorage (below [store] min_free_space).
    bool disk_full = false;
    // When set, create_mailbox first hands a call to this pool, as the real
    // backend hands its work, and answers the pool's refusal (busy: over
    // max_queued; stopped) as the real one does.
    io::BlockingPool* pool = nullptr;
    // Called (once, then cleared) right after the next list_messages took
    // its snapshot and before the caller resumes: a write "racing" the call.
    std::function<void()> after_list_messages;

    // What the session asked for (tests assert on these).
    std::vector<std::string> login_ips;
    int list_messages_calls = 0;
    int read_message_calls = 0;
    int compute_calls = 0;   // work the session handed off its ring (compute)
    int read_message_data_calls = 0;   // those that asked for the whole message
    std::vector<std::pair<uint64_t, uint64_t>> read_ranges;   // (offset, length) per read_range call
    int change_flags_calls = 0;
    int expunge_calls = 0;

    // --- setup and inspection (no suspension) ---

    // A user with the default mailboxes (INBOX, Sent, Drafts, Trash, Junk;
    // the last four with their special use), all subscribed. The name is
    // matched case-insensitively at login; the canonical name is lower case.
    void add_user(const std::string& name, const std::string& password);
    // Appends a message as a delivery would (notifies every watcher).
    // Returns its UID.
    uint32_t add_message(const std::string& user, const std::string& mailbox, std::string data, uint32_t flags = 0,
                         int64_t internal_date = 1700000000);
    // Another party's flag change / expunge (notifies every watcher).
    void set_flags(const std::string& user, const std::string& mailbox, uint32_t uid, uint32_t flags);
    void remove_message(const std::string& user, const std::string& mailbox, uint32_t uid);
    // An earlier session has seen every message of the mailbox: none is
    // \Recent any more (the recent floor is raised to the last UID).
    void settle(const std::string& user, const std::string& mailbox);

    FakeMailbox* mailbox(const std::string& user, const std::string& name);
    const FakeMessage* message(const std::string& user, const std::string& mailbox, uint32_t uid);
    std::vector<uint32_t> uids(const std::string& user, const std::string& mailbox);
    // Live watches of (user, mailbox).
    size_t watchers(const std::string& user, const std::string& mailbox);

    // --- Backend ---

    io::Task<auth::Outcome> login(std::string user, std::string password, std::string client_ip) override;
    io::Task<Result<std::vector<MailboxStatus>>> list_mailboxes(std::string user) override;
    io::Task<Result<std::optional<MailboxStatus>>> mailbox_status(std::string user, std::string name) override;
    io::Task<Result<void>> create_mailbox(std::string user, std::string name, std::string special_use) override;
    io::Task<Result<void>> delete_mailbox(std::string user, std::string name) override;
    io::Task<Result<void>> rename_mailbox(std::string user, std::string from, std::string to) override;
    io::Task<Result<void>> subscribe(std::string user, std::string name, bool subscribed) override;
    io::Task<Result<MailboxSnapshot>> list_messages(std::string user, std::string mailbox) override;
    io::Task<Result<uint32_t>> claim_recent(std::string user, std::string mailbox, uint32_t uidvalidity,
                                            uint32_t upto) override;
    io::Task<Result<std::optional<MessageContent>>> read_message(std::string user, std::string mailbox, uint32_t uid,
                                                                 bool summary, bool data) override;
    io::Task<Result<std::optional<std::string>>> read_range(std::string user, std::string mailbox, uint32_t uid,
                                                            uint64_t offset, uint64_t length) override;
    io::Task<Result<FlagChanges>> change_flags(std::string user, std::string mailbox, std::vector<uint32_t> uids,
                                               uint32_t add, uint32_t remove, bool replace,
                                               const void* origin) override;
    io::Task<Result<std::vector<uint32_t>>> expunge(std::string user, std::string mailbox,
                                                    std::optional<std::vector<uint32_t>> uids, bool require_deleted,
                                                    const void* origin) override;
    io::Task<Result<CopyUids>> copy(std::string user, std::string from, std::vector<uint32_t> uids, std::string to,
                                    bool move, const void* origin) override;
    io::Task<Result<AppendUid>> append(std::string user, std::string mailbox, std::string data, uint32_t flags,
                                       int64_t internal_date, const void* origin) override;
    io::Task<Result<KeywordBits>> keyword_flags(std::string user, std::string mailbox, std::vector<std::string> names,
                                                bool define) override;
    io::Task<Result<void>> compute(std::string user, std::function<void()> work) override;
    std::shared_ptr<void> watch(std::string user, std::string mailbox, std::function<void()> on_change) override;

    // Keywords per mailbox, as in the store (27 bits).
    static constexpr size_t kMaxKeywords = 32 - kFirstKeywordBit;

private:
    struct User {
        std::string password;
        std::map<std::string, FakeMailbox> mailboxes;   // byte order, like the store's listing
        std::set<std::string> orphan_subscriptions;      // subscribed names without a mailbox
    };
    struct Watch {
        std::string user;
        std::string mailbox;
        io::Ring* ring = nullptr;
        std::function<void()> on_change;
    };

    io::Task<void> pause();
    io::Task<Result<void>> hand_to_pool();
    User* find_user(const std::string& name);
    MailboxStatus status_of(const std::string& name, const FakeMailbox& mb) const;
    FakeMailbox& new_mailbox(User& u, const std::string& name, std::string special_use);
    uint32_t store_message(FakeMailbox& mb, std::string data, uint32_t flags, int64_t internal_date);
    // Tells the watchers of (user, mailbox) - all of the user's for an
    // empty mailbox - except `origin`.
    void notify(const std::string& user, const std::string& mailbox, const void* origin);

    std::map<std::string, User> users_;
    std::vector<std::weak_ptr<Watch>> watches_;
    uint32_t next_uidvalidity_ = 1000;
};

}  // namespace ringpost::imap::test
