// Local delivery (INBOX or Junk) inside a commit batch; see inbox_writer.hpp.
#include "store/inbox_writer.hpp"

#include "store/keys.hpp"
#include "store/mailboxes.hpp"
#include "store/message_format.hpp"
#include "util/log.hpp"

namespace ringpost::store {

Result<MailboxMeta> InboxWriter::lookup_meta(const std::string& key, std::string_view special_use, bool& created) {
    created = false;
    auto stored = txn_.read_meta(key);
    if (!stored) return stored.error();
    if (stored->has_value()) return **stored;
    // First delivery to this user (or into this folder): the mailbox comes
    // into being (as ensure_default_mailboxes would make it).
    MailboxMeta meta;
    meta.uidvalidity = impl_.allocate_uidvalidity();
    meta.subscribed = true;
    meta.special_use = special_use;
    created = true;
    return meta;
}

Result<std::string> InboxWriter::junk_mailbox(const std::string& user) {
    const std::string prefix = keys::user_prefix(user);
    std::string found;
    Result<void> bad{};
    auto scanned = txn_.scan(StoreImpl::kMailboxes, prefix, [&](std::string_view key, std::string_view value) {
        auto meta = decode_mailbox_meta(value);
        if (!meta) {
            bad = meta.error();
            return false;
        }
        if (meta->special_use != kJunkUse) return true;
        found = key.substr(prefix.size());
        return false;  // the first in name order
    });
    if (!scanned) return scanned.error();
    if (!bad) return make_error("mailbox of " + user + ": " + bad.error().message);
    if (found.empty()) found = keys::kJunk;
    return found;
}

Result<InboxWriter::Target> InboxWriter::target(std::string user, mail::LocalFolder folder) {
    std::string mailbox(keys::kInbox);
    if (folder == mail::LocalFolder::kJunk) {
        auto junk = junk_mailbox(user);
        if (!junk) return junk.error();
        mailbox = std::move(junk).value();
    }
    std::string key = keys::mailbox_key(user, mailbox);
    bool created = false;
    auto meta = lookup_meta(key, mailbox == keys::kInbox ? std::string_view() : kJunkUse, created);
    if (!meta) return meta.error();
    if (meta->uidnext == UINT32_MAX) return make_error("mailbox " + mailbox + " of " + user + " has run out of UIDs");
    return Target{std::move(user), std::move(mailbox), std::move(key), meta.value(), created};
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
        auto t = target(std::move(user), env.local_folder);
        if (!t) return t.error();
        targets.push_back(std::move(t).value());
    }
    return targets;
}

std::vector<std::string> InboxWriter::mailboxes_of(const std::vector<Target>& targets, const mail::Envelope& env,
                                                   std::span<const size_t> recipients) {
    std::vector<std::string> out;
    for (size_t index : recipients) {
        const std::string user = index < env.recipients.size() ? keys::lower_address(env.recipients[index].address)
                                                               : std::string();
        std::string mailbox(keys::kInbox);
        for (const auto& t : targets)
            if (t.user == user) mailbox = t.mailbox;
        out.push_back(std::move(mailbox));
    }
    return out;
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
        txn_.put(StoreImpl::kMessages, keys::message_key(t.user, t.mailbox, uid), encode_message(msg));
        txn_.put_meta(t.meta_key, t.meta);
        // A new mailbox subscribed takes over a subscription kept without one.
        if (t.created) txn_.del(StoreImpl::kDefault, keys::orphan_subscription_key(t.user, t.mailbox));
    }
    // Covers every UIDVALIDITY allocated so far, this batch's included.
    if (created) impl_.put_uidvalidity_last(txn_);
    return targets.size();
}

}  // namespace ringpost::store
