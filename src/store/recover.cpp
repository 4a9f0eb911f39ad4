// Recovery::recover(): the startup consistency pass.
//
// Every accept, delivery outcome, flush and delete is one atomic batch, so a
// crash cannot leave half a message behind. What can drift is the schedule
// index, which is derived data (envelope -> due time): this pass rebuilds the
// entry of any envelope with pending recipients that has none and deletes
// entries that point at nothing (or at an envelope with nothing pending, or
// at a stale time). Local recipients are no longer delivered at accept: they
// stay pending, with their entry, until an outcome writes the mailbox copy,
// so the same rule covers them. A held envelope (`queue hold`, a milter's
// quarantine) has no entry: one found is stale and deleted. An envelope with nothing pending is never
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
namespace {

// qid -> its schedule keys (normally exactly one).
using ScheduleIndex = std::unordered_map<std::string, std::vector<std::string>>;

struct RecoverCounts {
    uint64_t removed = 0, rebuilt = 0, messages = 0, pending = 0, corrupt = 0, missing_bodies = 0;
};

// The schedule changes the pass decides on, written after every read.
struct ScheduleRepairs {
    std::vector<std::string> deletes, puts;
};

// Every schedule entry by queue id; an unparsable key is to be deleted.
Result<void> read_schedule(WriteTxn& txn, ScheduleIndex& scheduled, ScheduleRepairs& repairs, RecoverCounts& counts) {
    return txn.scan(StoreImpl::kSchedule, "", [&](std::string_view key, std::string_view) {
        if (auto parsed = keys::parse_schedule_key(key)) {
            scheduled[parsed->queue_id].emplace_back(key);
        } else {
            repairs.deletes.emplace_back(key);
            ++counts.removed;
        }
        return true;
    });
}

// Takes `expected` out of the qid's entries in `scheduled`; false if it
// was not there.
bool take_schedule_key(ScheduleIndex& scheduled, const std::string& qid, const std::string& expected) {
    auto it = scheduled.find(qid);
    if (it == scheduled.end()) return false;
    auto& list = it->second;
    for (size_t i = 0; i < list.size(); ++i)
        if (list[i] == expected) {
            list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
            return true;
        }
    return false;
}

// Every envelope: counted, its body checked, and its schedule entry taken
// out of `scheduled` (or, missing, to be rebuilt). Whatever is left in
// scheduled[qid] afterwards is stale.
Result<void> check_envelopes(WriteTxn& txn, ScheduleIndex& scheduled, ScheduleRepairs& repairs,
                             RecoverCounts& counts) {
    Result<void> read_error{};
    auto r = txn.scan(StoreImpl::kEnvelopes, "", [&](std::string_view key, std::string_view value) {
        std::string qid(key);
        auto env = decode_envelope(value);
        if (!env) {
            log::error("recover_corrupt_envelope", {{"qid", qid}, {"error", env.error().message}});
            ++counts.corrupt;
            scheduled.erase(qid);  // leave its index entry alone too
            return true;
        }
        ++counts.messages;
        for (const auto& rc : env->recipients)
            if (mail::is_pending(rc.state)) ++counts.pending;

        auto refs = txn.get(StoreImpl::kBodyRefs, qid);
        if (!refs) {
            read_error = refs.error();
            return false;
        }
        if (!refs->has_value()) {
            log::error("recover_missing_body", {{"qid", qid}});
            ++counts.missing_bodies;
        }

        if (mail::has_pending_recipients(*env) && !env->held) {
            std::string expected = keys::schedule_key(env->next_attempt, qid);
            if (!take_schedule_key(scheduled, qid, expected)) {
                log::warn("recover_schedule_rebuilt", {{"qid", qid}, {"next_attempt", env->next_attempt}});
                repairs.puts.push_back(expected);
                ++counts.rebuilt;
            }
        }
        return true;
    });
    if (!r) return r;
    return read_error;
}

// Reads, then the repairs (into `txn`'s batch).
Result<void> recover_pass(WriteTxn& txn, RecoverCounts& counts) {
    ScheduleIndex scheduled;
    ScheduleRepairs repairs;
    if (auto r = read_schedule(txn, scheduled, repairs, counts); !r) return r;
    if (auto r = check_envelopes(txn, scheduled, repairs, counts); !r) return r;

    for (const auto& [qid, list] : scheduled)
        for (const auto& key : list) {
            log::warn("recover_schedule_orphan", {{"qid", qid}});
            repairs.deletes.push_back(key);
            ++counts.removed;
        }
    for (const auto& key : repairs.deletes) txn.del(StoreImpl::kSchedule, key);
    for (const auto& key : repairs.puts) txn.put(StoreImpl::kSchedule, key, "");
    return {};
}

}  // namespace

Result<void> Recovery::recover() {
    const bool fix = !impl_.options.read_only;
    RecoverCounts counts;
    // Run as a request of the commit stage when fixing (so no accept or
    // outcome interleaves), directly when only reporting (the batch is
    // never written).
    auto pass = [&](WriteTxn& txn) -> Result<void> { return recover_pass(txn, counts); };

    if (fix) {
        if (auto r = impl_.run_write(pass); !r) return r;
    } else {
        WriteTxn reading(impl_);
        if (auto r = pass(reading); !r) return r;
    }
    log::info("store_recovered", {{"messages", counts.messages},
                                  {"recipients_pending", counts.pending},
                                  {"schedule_rebuilt", counts.rebuilt},
                                  {"schedule_removed", counts.removed},
                                  {"corrupt_envelopes", counts.corrupt},
                                  {"missing_bodies", counts.missing_bodies},
                                  {"repaired", fix ? "yes" : "no (read-only)"}});
    return {};
}

}  // namespace ringpost::store
