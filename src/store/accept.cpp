// The commit thread's half of the store: turning a batch of AcceptRequests
// into one atomic, synced WriteBatch (Store::Impl::write_batch).
//
// Per request: the body once (bodies CF), one INBOX message per distinct
// local recipient (UID from the mailbox meta, prefix with Return-Path and
// Delivered-To), the envelope + schedule entry if a remote recipient is still
// pending, and body_refs = number of those references.
//
// Each request does all its reads first and only then adds to the batch, so
// a request that fails (bad queue ID, read error) leaves no trace in the
// batch and the others still commit. Mailbox metas changed by the batch are
// kept aside and only enter the cache once the write is durable, so a failed
// write cannot leave the cache ahead of the database.
#include <ctime>
#include <set>

#include "store/keys.hpp"
#include "store/message_format.hpp"
#include "store/store_impl.hpp"
#include "util/log.hpp"

namespace ringpost::store {
namespace {

// Bound on the meta cache (one small entry per active mailbox); past it the
// cache is simply dropped and refilled from the database on demand.
constexpr size_t kMaxCachedMailboxes = 100000;

using MetaMap = std::map<std::string, MailboxMeta, std::less<>>;

struct LocalTarget {
    std::string user;      // lower-cased address = user name
    std::string meta_key;  // mailboxes CF key of the user's INBOX
    MailboxMeta meta;      // as of before this request
};

class BatchBuilder {
public:
    BatchBuilder(Store::Impl& impl, rocksdb::WriteBatch& batch) : impl_(impl), batch_(batch) {}

    Result<void> apply(AcceptRequest& request);
    MetaMap& dirty() { return dirty_; }

private:
    Result<MailboxMeta> lookup_meta(const std::string& key);

    Store::Impl& impl_;
    rocksdb::WriteBatch& batch_;
    MetaMap dirty_;                        // metas written by this batch so far
    std::set<std::string, std::less<>> queue_ids_;  // accepted into this batch so far
};

Result<MailboxMeta> BatchBuilder::lookup_meta(const std::string& key) {
    if (auto it = dirty_.find(key); it != dirty_.end()) return it->second;
    if (auto it = impl_.meta_cache.find(key); it != impl_.meta_cache.end()) return it->second;
    auto stored = impl_.get(Store::Impl::kMailboxes, key);
    if (!stored) return stored.error();
    MailboxMeta meta;
    if (stored->has_value()) {
        auto decoded = decode_mailbox_meta(**stored);
        if (!decoded) return decoded.error();
        meta = decoded.value();
    } else {
        // First delivery to this user: the INBOX comes into being.
        meta.uidvalidity = static_cast<uint32_t>(std::time(nullptr));
        meta.uidnext = 1;
    }
    // Committed state (write_mu is held), so it may go straight to the cache.
    impl_.meta_cache.emplace(key, meta);
    return meta;
}

Result<void> BatchBuilder::apply(AcceptRequest& request) {
    mail::Envelope& env = request.envelope;
    const std::string& qid = env.queue_id;
    if (!is_valid_queue_id(qid)) return make_error("invalid queue id '" + qid + "'");
    if (env.recipients.empty()) return make_error("message " + qid + " has no recipients");
    if (queue_ids_.count(qid)) return make_error("queue id " + qid + " submitted twice");
    auto existing = impl_.get(Store::Impl::kBodyRefs, qid);
    if (!existing) return existing.error();
    if (existing->has_value()) return make_error("queue id " + qid + " already in the store");

    // --- reads: resolve each distinct local user's INBOX meta ---
    std::vector<LocalTarget> targets;
    for (const auto& rcpt : env.recipients) {
        if (!rcpt.local) continue;
        std::string user = keys::lower_address(rcpt.address);
        if (!keys::valid_component(user)) return make_error("invalid local recipient in " + qid);
        bool seen = false;
        for (const auto& t : targets) seen = seen || t.user == user;
        if (seen) continue;  // the same user twice gets one copy
        std::string key = keys::mailbox_key(user, keys::kInbox);
        auto meta = lookup_meta(key);
        if (!meta) return meta.error();
        if (meta->uidnext == UINT32_MAX) return make_error("mailbox of " + user + " has run out of UIDs");
        targets.push_back(LocalTarget{std::move(user), std::move(key), meta.value()});
    }

    // --- writes: nothing below can fail ---
    uint64_t refs = 0;
    if (!targets.empty()) {
        std::string subject = extract_subject(request.data);
        for (auto& t : targets) {
            if (!impl_.users.count(t.user))  // deleted since RCPT: keep the mail, but say so
                log::warn("local_rcpt_without_user", {{"qid", qid}, {"user", t.user}});
            MessageRecord msg;
            msg.queue_id = qid;
            msg.prefix = delivery_prefix(env.sender, t.user);
            msg.size = msg.prefix.size() + request.data.size();
            msg.internal_date = env.received_at;
            msg.subject = subject;
            uint32_t uid = t.meta.uidnext++;
            t.meta.messages += 1;
            t.meta.bytes += msg.size;
            batch_.Put(impl_.cf(Store::Impl::kMessages), keys::message_key(t.user, keys::kInbox, uid),
                       encode_message(msg));
            batch_.Put(impl_.cf(Store::Impl::kMailboxes), t.meta_key, encode_mailbox_meta(t.meta));
            dirty_[t.meta_key] = t.meta;
            ++refs;
        }
        for (auto& rcpt : env.recipients)
            if (rcpt.local) rcpt.state = mail::RcptState::kDelivered;
    }

    env.body_size = request.data.size();
    if (has_pending_recipients(env)) {
        if (env.next_attempt == 0) env.next_attempt = env.received_at;  // due at once
        batch_.Put(impl_.cf(Store::Impl::kEnvelopes), qid, encode_envelope(env));
        batch_.Put(impl_.cf(Store::Impl::kSchedule), keys::schedule_key(env.next_attempt, qid), rocksdb::Slice());
        ++refs;
    }
    if (refs > 0) {
        batch_.Put(impl_.cf(Store::Impl::kBodies), qid, request.data);
        batch_.Put(impl_.cf(Store::Impl::kBodyRefs), qid, encode_refcount(refs));
    }
    queue_ids_.insert(qid);
    return {};
}

}  // namespace

bool has_pending_recipients(const mail::Envelope& envelope) {
    for (const auto& r : envelope.recipients)
        if (r.state == mail::RcptState::kQueued || r.state == mail::RcptState::kDeferred) return true;
    return false;
}

void Store::Impl::write_batch(std::span<AcceptRequest* const> requests, std::vector<Result<void>>& results) {
    if (auto w = require_writable(); !w) {
        for (auto& r : results) r = w.error();
        return;
    }
    std::lock_guard lock(write_mu);
    if (meta_cache.size() > kMaxCachedMailboxes) meta_cache.clear();

    rocksdb::WriteBatch batch;
    BatchBuilder builder(*this, batch);
    // users is only modified with write_mu held, which we hold: the shared
    // lock is for the ring threads' user_exists() readers, not for us.
    std::shared_lock users_lock(users_mu);
    size_t applied = 0;
    for (size_t i = 0; i < requests.size(); ++i) {
        results[i] = builder.apply(*requests[i]);
        if (results[i]) ++applied;
        else log::warn("accept_rejected", {{"qid", requests[i]->envelope.queue_id}, {"error", results[i].error().message}});
    }
    users_lock.unlock();
    if (applied == 0) return;

    auto written = write_synced(batch, "committing accepted messages");
    if (!written) {
        for (auto& r : results)
            if (r) r = written.error();
        return;
    }
    for (auto& [key, meta] : builder.dirty()) meta_cache[key] = meta;
}

}  // namespace ringpost::store
