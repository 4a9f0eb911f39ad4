// The feeder thread: finds spooled messages that are due (retries, flushed
// messages, whatever a restart left) with blocking Spool::load_due scans,
// claims them, and hands them to the delivery ring.
//
// Scans start at `floor`, a due time below which nothing unclaimed is left:
// after a scan it moves up to where the scan stopped, and every schedule
// entry written since (note_scheduled) pulls it back down. So a scan visits
// the new entries, not the whole queue nor the deleted keys of delivered
// mail (RocksDB tombstones that would make every scan slower).
#include <pthread.h>

#include <algorithm>
#include <climits>
#include <ctime>

#include "delivery/engine_impl.hpp"
#include "store/spool.hpp"
#include "util/log.hpp"

namespace ringpost::delivery {
namespace {

// Even with nothing announced, look at the spool this often (entries
// written by another process, e.g. the CLI while the server was stopped
// cannot be: it holds the store; this is a safety net, not a mechanism).
constexpr int64_t kMaxSleepSeconds = 60;
// When the engine is full: check again this often.
constexpr auto kFullBackoff = std::chrono::milliseconds(50);

int64_t unix_now() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

void DeliveryEngine::Impl::note_scheduled(int64_t due) {
    {
        std::lock_guard lock(feed_mu);
        floor = std::min(floor, due);
        if (due <= unix_now()) rescan = true;
        else if (wake_at == 0 || due < wake_at) wake_at = due;
    }
    feed_cv.notify_one();
}

void DeliveryEngine::Impl::feeder_main() {
    pthread_setname_np(pthread_self(), "rp-feeder");
    std::unique_lock lock(feed_mu);
    while (wait_for_due(lock)) {
        const int64_t from = floor;
        rescan = false;
        wake_at = 0;
        // Announcements during the scan lower these; see the file comment.
        floor = LLONG_MAX;
        lock.unlock();

        const FeedScan scan = scan_due(from);
        lock.lock();
        if (scan.wake_at != 0 && (wake_at == 0 || scan.wake_at < wake_at)) wake_at = scan.wake_at;
        floor = std::min(floor, scan.resume);
        if (scan.rescan || scan.resume <= scan.now) rescan = true;
    }
}

bool DeliveryEngine::Impl::wait_for_due(std::unique_lock<std::mutex>& lock) {
    // Sleep until something is due, announced, or the safety interval.
    for (;;) {
        if (feed_stop) return false;
        int64_t now = unix_now();
        if (rescan || (wake_at != 0 && wake_at <= now)) return true;
        int64_t until = wake_at != 0 ? std::min(wake_at, now + kMaxSleepSeconds) : now + kMaxSleepSeconds;
        auto deadline = std::chrono::system_clock::from_time_t(static_cast<time_t>(until));
        if (feed_cv.wait_until(lock, deadline) == std::cv_status::timeout && unix_now() >= until) {
            if (wake_at == 0 || wake_at > until) rescan = true;  // the periodic safety scan
        }
    }
}

DeliveryEngine::Impl::FeedScan DeliveryEngine::Impl::scan_due(int64_t from) {
    size_t room = 0, room_bytes = 0;
    {
        std::lock_guard claims(claims_mu);
        room = config.max_messages_in_memory > claimed.size() ? config.max_messages_in_memory - claimed.size() : 0;
        room_bytes = config.max_bytes_in_memory > claimed_bytes ? config.max_bytes_in_memory - claimed_bytes : 0;
    }
    FeedScan out;
    out.now = unix_now();
    out.resume = out.now + 1;   // where the next scan starts if this one sees everything
    if (room == 0) {
        std::this_thread::sleep_for(kFullBackoff);
        out.resume = from;
        out.rescan = true;
        return out;
    }
    auto scan = spool.load_due(out.now, from, std::min<size_t>(room, 1000), std::max<size_t>(room_bytes, 1),
                               [this](std::string_view qid) { return is_claimed(qid); });
    if (!scan) {
        log::error("spool_scan_failed", {{"error", scan.error().message}});
        std::this_thread::sleep_for(std::chrono::seconds(1));
        out.resume = from;
        return out;
    }
    if (scan->next_due != 0 && scan->next_due <= out.now) out.resume = scan->next_due;  // stopped by a limit
    hand_to_ring(claim_loaded(scan->messages));
    if (scan->next_due > out.now) out.wake_at = scan->next_due;
    return out;
}

std::vector<std::shared_ptr<InFlight>> DeliveryEngine::Impl::claim_loaded(std::vector<store::DueMessage>& messages) {
    std::vector<std::shared_ptr<InFlight>> batch;
    for (auto& due : messages) {
        auto& env = due.envelope;
        if (!try_claim(env.queue_id, due.body->size())) continue;
        // The claim is ours now, so no outcome can race us any more;
        // but one may have landed between the scan and the claim:
        // check the message is still what was loaded.
        auto current = spool.get_envelope(env.queue_id);
        // Held since the scan (`queue hold`): it stays in the spool.
        if (!current || !*current || (*current)->next_attempt != env.next_attempt || (*current)->held) {
            release(env.queue_id, due.body->size());
            continue;
        }
        auto m = std::make_shared<InFlight>();
        m->envelope = std::move(**current);
        m->body = std::move(due.body);
        batch.push_back(std::move(m));
    }
    return batch;
}

void DeliveryEngine::Impl::hand_to_ring(std::vector<std::shared_ptr<InFlight>> batch) {
    if (batch.empty()) return;
    std::lock_guard claims(claims_mu);
    if (ring) {
        ring->post([this, batch = std::move(batch)]() mutable {
            for (auto& m : batch) begin(std::move(m));
        });
    }
}

}  // namespace ringpost::delivery
