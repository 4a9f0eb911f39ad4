// INBOX delivery inside a commit batch; see inbox_writer.hpp.
#include "store/inbox_writer.hpp"

#include "store/keys.hpp"
#include "store/message_format.hpp"
#include "util/log.hpp"

namespace ringpost::store {

Result<MailboxMeta> InboxWriter::lookup_meta(const std::string& key, bool& created) {
    created = false;
    auto stored = txn_.read_meta(key);
    if (!stored) return stored.error();
    if (stored->has_value()) return **stored;
    // First delivery to this user: the INBOX comes into being (as
    // ensure_default_mailboxes would make it).
    MailboxMeta meta;
    meta.uidvalidity = impl_.allocate_uidvalidity();
    meta.subscribed = true;
    created = true;
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
        bool created = false;
        auto meta = lookup_meta(key, created);
        if (!meta) return meta.error();
        if (meta->uidnext == UINT32_MAX) return make_error("mailbox of " + user + " has run out of UIDs");
        targets.push_back(Target{std::move(user), std::move(key), meta.value(), created});
    }
    return targets;
}

uint64_t InboxWriter::write(std::vector<Target>& targets, const mail::Envelope& env, std::string_view body) {
    if (targets.empty()) return 0;
    const std::string& qid = env.queue_id;
    std::string subject = extract_subject(body);
    bool created = false;
    for (auto& t : targets) {
        if (!impl_.users.count(t.user))  // deleted since RCPT: keep the mail, but say so
            log::warn("local_rcpt_without_user", {{"qid", qid}, {"user", t.user}});
        MessageRecord msg;
        msg.queue_id = qid;
        msg.prefix = delivery_prefix(env.sender, t.user);
        msg.size = msg.prefix.size() + body.size();
        msg.internal_date = env.received_at;
        msg.subject = subject;
        // Parsed per user: the prefix is part of the message the summary's
        // offsets refer to.
        msg.summary = message_summary(msg.prefix, body);
        uint32_t uid = t.meta.uidnext++;
        t.meta.messages += 1;
        t.meta.unseen += 1;  // delivered without flags
        t.meta.bytes += msg.size;
        created = created || t.created;
        txn_.put(StoreImpl::kMessages, keys::message_key(t.user, keys::kInbox, uid), encode_message(msg));
        txn_.put_meta(t.meta_key, t.meta);
    }
    // Covers every UIDVALIDITY allocated so far, this batch's included.
    if (created) impl_.put_uidvalidity_last(txn_);
    return targets.size();
}

}  // namespace ringpost::store
