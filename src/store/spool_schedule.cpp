// The schedule index from the delivery engine's and the administrator's
// side: loading the messages that are due (Spool::load_due) and `queue
// flush` (Spool::reschedule_all).
//
// load_due reads through one snapshot, so an envelope and its body are seen
// as of the same moment: a message deleted meanwhile is either loaded whole
// (its outcome then finds it gone) or not at all, never half. (A secondary
// instance refuses snapshots, but its view is fixed once it has caught up at
// open, so it needs none.)
#include <memory>

#include "store/keys.hpp"
#include "store/store_impl.hpp"
#include "store/write_txn.hpp"
#include "util/log.hpp"

namespace ringpost::store {
namespace {

void skipped(std::string_view qid, std::string_view reason) {
    log::warn("due_entry_skipped", {{"qid", qid}, {"reason", reason}});
}

}  // namespace

Result<DueScan> Spool::load_due(int64_t now, int64_t from, size_t max_messages, size_t max_bytes,
                                const std::function<bool(std::string_view queue_id)>& skip) {
    // A stopped database (a write failed, e.g. ENOSPC) cannot record the
    // outcome of an attempt; handing out due mail would have the engine
    // retry it at once, in a loop, delivering remote mail again each time.
    // The feeder backs off on a failed scan until the space watch resumes.
    if (impl_.space && impl_.space->stopped())
        return make_error("the database is stopped after a failed write (full disk?); delivery waits for it to resume");
    DueScan out;
    rocksdb::DB* db = impl_.db;
    SnapshotGuard snapshot(db, /*take=*/!impl_.options.read_only);  // store_impl.hpp
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot.get();
    // No iterate_upper_bound at `now`: next_due needs the first entry after
    // it. The scan stops there anyway, so it reads at most one key too many.
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, impl_.cf(StoreImpl::kSchedule)));

    auto read = [&](StoreImpl::Cf which, std::string_view key, std::string& value) -> Result<bool> {
        rocksdb::Status s = db->Get(ro, impl_.cf(which), rocksdb::Slice(key.data(), key.size()), &value);
        if (s.IsNotFound()) return false;
        if (!s.ok()) return db_error(std::string("reading ") + impl_.cf(which)->GetName(), s);
        return true;
    };

    size_t bytes = 0;
    std::string value;
    for (it->Seek(keys::schedule_key(from, "")); it->Valid(); it->Next()) {
        auto key = keys::parse_schedule_key(std::string_view(it->key().data(), it->key().size()));
        if (!key) continue;  // malformed; recover() removes it
        const std::string& qid = key->queue_id;
        if (skip && skip(qid)) continue;
        const int64_t due = static_cast<int64_t>(key->next_attempt);
        if (due > now) {
            out.next_due = due;  // everything due was returned
            break;
        }

        auto found = read(StoreImpl::kEnvelopes, qid, value);
        if (!found) return found.error();
        if (!found.value()) {
            skipped(qid, "envelope missing");
            continue;
        }
        auto env = decode_envelope(value);
        if (!env) {
            skipped(qid, "envelope undecodable: " + env.error().message);
            continue;
        }
        // A key left at an old due time (recover() removes it): the envelope
        // is due when its own next_attempt says, through its current key.
        // Compared through the key encoding, which clamps negative times.
        if (keys::schedule_key(env->next_attempt, qid) != keys::schedule_key(due, qid)) continue;
        // A held message has no entry; one left over (recover() removes
        // it) must not deliver it.
        if (env->held) continue;
        if (out.messages.size() >= max_messages) {
            out.next_due = due;  // a limit stopped the scan: more is due now
            break;
        }

        found = read(StoreImpl::kBodies, qid, value);
        if (!found) return found.error();
        if (!found.value()) {
            skipped(qid, "body missing");
            continue;
        }
        if (!out.messages.empty() && bytes + value.size() > max_bytes) {
            out.next_due = due;
            break;
        }
        bytes += value.size();
        out.messages.push_back(DueMessage{std::move(env).value(), std::make_shared<const std::string>(std::move(value))});
        value = std::string();
    }
    if (!it->status().ok()) return db_error("scanning the schedule", it->status());
    return out;
}

Result<uint64_t> Spool::reschedule_all(int64_t when) {
    return reschedule_if(when, [](const mail::Envelope&) { return true; });
}

Result<uint64_t> Spool::reschedule_if(int64_t when, const std::function<bool(const mail::Envelope&)>& which) {
    if (auto w = impl_.require_writable(); !w) return w.error();
    // A request of the commit stage, like every outcome: no outcome can slip
    // between this scan and its write.
    uint64_t moved = 0;
    auto written = impl_.run_write([&](WriteTxn& txn) -> Result<void> {
        std::vector<std::pair<std::string, mail::Envelope>> changed;
        auto r = txn.scan(StoreImpl::kEnvelopes, "", [&](std::string_view key, std::string_view value) {
            auto env = decode_envelope(value);
            if (!env) {  // logged by recover(); a flush is no reason to fail
                log::warn("reschedule_skipped", {{"qid", key}, {"error", env.error().message}});
                return true;
            }
            // Held mail stays held: `queue flush` is no release.
            if (!mail::has_pending_recipients(*env) || env->held || env->next_attempt <= when || !which(*env)) return true;
            changed.emplace_back(std::string(key), std::move(env).value());
            return true;
        });
        if (!r) return r;
        for (auto& [qid, env] : changed) {
            txn.del(StoreImpl::kSchedule, keys::schedule_key(env.next_attempt, qid));
            env.next_attempt = when;
            txn.put(StoreImpl::kEnvelopes, qid, encode_envelope(env));
            txn.put(StoreImpl::kSchedule, keys::schedule_key(when, qid), "");
        }
        moved = changed.size();
        return {};
    });
    if (!written) return written.error();
    log::info("queue_rescheduled", {{"messages", moved}, {"due", when}});
    return moved;
}

}  // namespace ringpost::store
