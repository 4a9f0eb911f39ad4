// Store::recover(): the startup consistency pass.
//
// Every accept, delivery outcome, flush and delete is one atomic batch, so a
// crash cannot leave half a message behind. What can drift is the schedule
// index, which is derived data (envelope -> due time): this pass rebuilds the
// entry of any envelope with pending recipients that has none and deletes
// entries that point at nothing (or at an envelope with nothing pending, or
// at a stale time). Local recipients are no longer delivered at accept: they
// stay pending, with their entry, until an outcome writes the mailbox copy,
// so the same rule covers them. An envelope with nothing pending is never
// written (an outcome deletes it instead); should one exist, it keeps no
// entry and is only counted. Anything else odd (undecodable envelope, missing
// body) is logged, never "repaired" by deleting mail. A read-only instance
// only reports.
#include <unordered_map>

#include "store/keys.hpp"
#include "store/store_impl.hpp"
#include "store/write_txn.hpp"
#include "util/log.hpp"

namespace ringpost::store {

Result<void> Store::recover() {
    const bool fix = !impl_->options.read_only;
    uint64_t removed = 0, rebuilt = 0, messages = 0, pending = 0, corrupt = 0, missing_bodies = 0;
    // Reads, then the repairs; run as a request of the commit stage when
    // fixing (so no accept or outcome interleaves), directly when only
    // reporting (the batch is never written).
    auto pass = [&](WriteTxn& txn) -> Result<void> {
        // qid -> its schedule keys (normally exactly one).
        std::unordered_map<std::string, std::vector<std::string>> scheduled;
        std::vector<std::string> schedule_deletes, schedule_puts;
        auto r = txn.scan(Impl::kSchedule, "", [&](std::string_view key, std::string_view) {
            if (auto parsed = keys::parse_schedule_key(key)) {
                scheduled[parsed->queue_id].emplace_back(key);
            } else {
                schedule_deletes.emplace_back(key);
                ++removed;
            }
            return true;
        });
        if (!r) return r;

        Result<void> read_error{};
        r = txn.scan(Impl::kEnvelopes, "", [&](std::string_view key, std::string_view value) {
            std::string qid(key);
            auto env = decode_envelope(value);
            if (!env) {
                log::error("recover_corrupt_envelope", {{"qid", qid}, {"error", env.error().message}});
                ++corrupt;
                scheduled.erase(qid);  // leave its index entry alone too
                return true;
            }
            ++messages;
            for (const auto& rc : env->recipients)
                if (rc.state == mail::RcptState::kQueued || rc.state == mail::RcptState::kDeferred) ++pending;

            auto refs = txn.get(Impl::kBodyRefs, qid);
            if (!refs) {
                read_error = refs.error();
                return false;
            }
            if (!refs->has_value()) {
                log::error("recover_missing_body", {{"qid", qid}});
                ++missing_bodies;
            }

            auto it = scheduled.find(qid);
            if (has_pending_recipients(*env)) {
                std::string expected = keys::schedule_key(env->next_attempt, qid);
                bool found = false;
                if (it != scheduled.end()) {
                    auto& list = it->second;
                    for (size_t i = 0; i < list.size(); ++i)
                        if (list[i] == expected) {
                            list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
                            found = true;
                            break;
                        }
                }
                if (!found) {
                    log::warn("recover_schedule_rebuilt", {{"qid", qid}, {"next_attempt", env->next_attempt}});
                    schedule_puts.push_back(expected);
                    ++rebuilt;
                }
            }
            return true;  // whatever is left in scheduled[qid] is stale
        });
        if (!r) return r;
        if (!read_error) return read_error;

        for (const auto& [qid, list] : scheduled)
            for (const auto& key : list) {
                log::warn("recover_schedule_orphan", {{"qid", qid}});
                schedule_deletes.push_back(key);
                ++removed;
            }
        for (const auto& key : schedule_deletes) txn.del(Impl::kSchedule, key);
        for (const auto& key : schedule_puts) txn.put(Impl::kSchedule, key, "");
        return {};
    };

    if (fix) {
        if (auto r = impl_->run_write(pass); !r) return r;
    } else {
        WriteTxn reading(*impl_);
        if (auto r = pass(reading); !r) return r;
    }
    log::info("store_recovered", {{"messages", messages},
                                  {"recipients_pending", pending},
                                  {"schedule_rebuilt", rebuilt},
                                  {"schedule_removed", removed},
                                  {"corrupt_envelopes", corrupt},
                                  {"missing_bodies", missing_bodies},
                                  {"repaired", fix ? "yes" : "no (read-only)"}});
    return {};
}

}  // namespace ringpost::store
