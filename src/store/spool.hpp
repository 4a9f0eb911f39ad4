// The spool concern of the store (Store::spool()): the queued messages --
// bodies, envelopes and the due-time schedule -- as the CLI, the admin socket
// and the delivery engine's feeder see them. Blocking, never on a ring
// thread. Messages enter the spool, and outcomes leave it, through the
// commit stage (commit_stage.hpp); the writers here (remove, reschedule_all)
// are requests of that stage too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/envelope.hpp"
#include "util/result.hpp"

namespace ringpost::store {

struct StoreImpl;

// A spooled message the delivery engine loaded because it is due.
struct DueMessage {
    mail::Envelope envelope;
    std::shared_ptr<const std::string> body;   // the stored message bytes
};

struct DueScan {
    std::vector<DueMessage> messages;     // in due order
    // The due time of the first schedule entry not returned (not counting
    // skipped ones): <= now when a limit stopped the scan, > now when
    // everything due was returned; 0 when there is no further entry.
    int64_t next_due = 0;
};

struct QueueStats {
    uint64_t messages = 0;       // envelopes in the spool
    uint64_t held = 0;           // of them on hold (`queue hold`, a milter's quarantine)
    uint64_t recipients_pending = 0;
    uint64_t bytes = 0;
    int64_t oldest = 0;          // received_at of the oldest message, 0 if empty
};

// The messages a hold or release is about: one queue ID, or every
// message for which `which` is true.
struct HoldTarget {
    std::string queue_id;   // "" = every message `which` picks
    std::function<bool(const mail::Envelope&)> which;
};

// A delivery suspension (`queue suspend`): mail to `target` -- a domain,
// or a site as the delivery engine names it -- waits until `until` (unix
// seconds; 0 = until `queue resume`). Durable, so it holds across restarts.
struct Suspension {
    std::string target;
    int64_t until = 0;
    int64_t since = 0;
    std::string reason;
    bool operator==(const Suspension&) const = default;
};

class Spool {
public:
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    // Every envelope in the spool, in queue ID order (up to `limit`; 0 = all).
    Result<std::vector<mail::Envelope>> list(size_t limit = 0);
    Result<std::optional<mail::Envelope>> get_envelope(std::string_view queue_id);
    Result<std::optional<std::string>> get_body(std::string_view queue_id);
    // Envelope + schedule entry; the body too if nothing else refers to it.
    // Error if the queue ID is not in the spool.
    Result<void> remove(std::string_view queue_id);
    Result<QueueStats> stats();
    // The delivery engine's feeder (its own thread; blocking): the messages
    // whose schedule entry is due at or before `now`, scanning from due time
    // `from`, skipping queue IDs for which skip(id) is true (in flight), up to
    // max_messages messages / max_bytes body bytes (at least one message).
    // An entry whose envelope or body is missing is logged and skipped.
    // Fails while the database is stopped by a write error (Store::can_accept).
    Result<DueScan> load_due(int64_t now, int64_t from, size_t max_messages, size_t max_bytes,
                             const std::function<bool(std::string_view queue_id)>& skip);
    // `queue flush`: every pending message due later than `when` becomes due
    // at `when` (envelope.next_attempt and its schedule entry, one synced
    // write). Returns how many were moved.
    Result<uint64_t> reschedule_all(int64_t when);
    // `queue retry --domain`, `queue resume`: as reschedule_all, for the
    // pending messages for which `which` is true.
    Result<uint64_t> reschedule_if(int64_t when, const std::function<bool(const mail::Envelope&)>& which);

    // `queue hold` (Postfix's postsuper -h): the target's pending messages
    // that are not held yet go on hold with `reason` -- envelope.held, no
    // schedule entry, a "held" event each -- in one synced write (a request
    // of the commit stage). Returns their queue IDs (none: held already).
    // Error if a queue_id target is not in the spool.
    Result<std::vector<std::string>> hold(const HoldTarget& target, const std::string& reason);
    // `queue release` (postsuper -H): the target's held messages are due at
    // `when` (their schedule entry back, a "released" event each). Returns
    // their queue IDs (none: not held).
    Result<std::vector<std::string>> release(const HoldTarget& target, int64_t when);

    // Suspensions: set (replacing one of the same target), clear (false if
    // there was none), list in target order.
    Result<void> suspend(const Suspension& suspension);
    Result<bool> resume(std::string_view target);
    Result<std::vector<Suspension>> suspensions();

private:
    friend class Store;
    explicit Spool(StoreImpl& impl) : impl_(impl) {}
    Result<std::vector<std::string>> change_hold(const HoldTarget& target, bool hold, const std::string& reason,
                                                 int64_t when);
    StoreImpl& impl_;
};

}  // namespace ringpost::store
