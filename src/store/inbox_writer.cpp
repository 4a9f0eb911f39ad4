// INBOX delivery inside a commit batch; see inbox_writer.hpp.
#include "store/inbox_writer.hpp"

#include <ctime>

#include "store/keys.hpp"
#include "store/message_format.hpp"
#include "util/log.hpp"

namespace ringpost::store {

Result<MailboxMeta> InboxWriter::lookup_meta(const std::string& key) {
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

Result<std::vector<InboxWriter::Target>> InboxWriter::plan(const mail::Envelope& env,
                                                           std::span<const size_t> recipients) {
    const std::string& qid = env.queue_id;
    std::vector<Target> targets;
    for (size_t index : recipients) {
        if (index >= env.recipients.size())
            return make_error("recipient index " + std::to_string(index) + " out of range in " + qid);
        const auto& rcpt = env.recipients[index];
        if (!rcpt.local) return make_error("recipient " + rcpt.address + " of " + qid + " is not local");
        std::string user = keys::lower_address(rcpt.address);
        if (!keys::valid_component(user)) return make_error("invalid local recipient in " + qid);
        bool seen = false;
        for (const auto& t : targets) seen = seen || t.user == user;
        if (seen) continue;  // the same user twice gets one copy
        std::string key = keys::mailbox_key(user, keys::kInbox);
        auto meta = lookup_meta(key);
        if (!meta) return meta.error();
        if (meta->uidnext == UINT32_MAX) return make_error("mailbox of " + user + " has run out of UIDs");
        targets.push_back(Target{std::move(user), std::move(key), meta.value()});
    }
    return targets;
}

uint64_t InboxWriter::write(std::vector<Target>& targets, const mail::Envelope& env, std::string_view body) {
    if (targets.empty()) return 0;
    const std::string& qid = env.queue_id;
    std::string subject = extract_subject(body);
    for (auto& t : targets) {
        if (!impl_.users.count(t.user))  // deleted since RCPT: keep the mail, but say so
            log::warn("local_rcpt_without_user", {{"qid", qid}, {"user", t.user}});
        MessageRecord msg;
        msg.queue_id = qid;
        msg.prefix = delivery_prefix(env.sender, t.user);
        msg.size = msg.prefix.size() + body.size();
        msg.internal_date = env.received_at;
        msg.subject = subject;
        uint32_t uid = t.meta.uidnext++;
        t.meta.messages += 1;
        t.meta.bytes += msg.size;
        batch_.Put(impl_.cf(Store::Impl::kMessages), keys::message_key(t.user, keys::kInbox, uid),
                   encode_message(msg));
        batch_.Put(impl_.cf(Store::Impl::kMailboxes), t.meta_key, encode_mailbox_meta(t.meta));
        dirty_[t.meta_key] = t.meta;
    }
    return targets.size();
}

}  // namespace ringpost::store
