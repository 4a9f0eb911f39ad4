// The CLI's mailbox reads (mailboxes.hpp, "the CLI's reads"): a mailbox
// listed with subjects, and one message by its printable ID
// (MailboxMessage::id), which names the message but not its mailbox.
#include <charconv>

#include "store/keys.hpp"
#include "store/mailboxes.hpp"
#include "store/store.hpp"
#include "store/store_impl.hpp"

namespace ringpost::store {

namespace {

MailboxMessage to_mailbox_message(const keys::MessageKey& key, MessageRecord&& rec) {
    MailboxMessage m;
    m.user = key.user;
    m.mailbox = key.mailbox;
    m.uid = key.uid;
    m.id = rec.queue_id + "." + std::to_string(key.uid);
    m.queue_id = std::move(rec.queue_id);
    m.size = rec.size;
    m.internal_date = rec.internal_date;
    m.flags = rec.flags;
    m.subject = std::move(rec.subject);
    return m;
}

}  // namespace

Result<std::vector<MailboxMessage>> Mailboxes::list_mailbox(std::string_view user_in, std::string_view mailbox) {
    std::string user = keys::lower_address(user_in);
    if (!keys::valid_component(user) || !keys::valid_component(mailbox)) return make_error("invalid user or mailbox name");
    std::vector<MailboxMessage> out;
    Result<void> bad{};
    auto r = impl_.scan(StoreImpl::kMessages, keys::message_prefix(user, mailbox),
                         [&](std::string_view key, std::string_view value) {
        auto parsed = keys::parse_message_key(key);
        auto rec = decode_message(value);
        if (!parsed || !rec) {
            bad = rec ? make_error("corrupt message key") : rec.error();
            return false;
        }
        out.push_back(to_mailbox_message(*parsed, std::move(rec).value()));
        return true;
    });
    if (!r) return r.error();
    if (!bad) return bad.error();
    return out;
}

Result<std::optional<std::string>> Mailboxes::get_mailbox_message(std::string_view user_in, std::string_view id) {
    using Found = std::optional<std::string>;
    std::string user = keys::lower_address(user_in);
    if (!keys::valid_component(user)) return make_error("invalid user name");

    // id = "<queue_id>.<uid>"; anything else cannot name a message.
    size_t dot = id.find('.');
    if (dot == std::string_view::npos) return Found();
    std::string_view qid = id.substr(0, dot), uid_text = id.substr(dot + 1);
    uint32_t uid = 0;
    auto [end, ec] = std::from_chars(uid_text.data(), uid_text.data() + uid_text.size(), uid);
    if (!is_valid_queue_id(qid) || ec != std::errc() || end != uid_text.data() + uid_text.size() || uid == 0)
        return Found();

    // The id does not name the mailbox: try INBOX, then the user's others.
    std::vector<std::string> mailboxes{std::string(keys::kInbox)};
    const std::string prefix = keys::user_prefix(user);
    auto r = impl_.scan(StoreImpl::kMailboxes, prefix, [&](std::string_view key, std::string_view) {
        std::string_view name = key.substr(prefix.size());
        if (name != keys::kInbox) mailboxes.emplace_back(name);
        return true;
    });
    if (!r) return r.error();

    for (const auto& mailbox : mailboxes) {
        auto stored = impl_.get(StoreImpl::kMessages, keys::message_key(user, mailbox, uid));
        if (!stored) return stored.error();
        if (!stored->has_value()) continue;
        auto rec = decode_message(**stored);
        if (!rec) return rec.error();
        if (rec->queue_id != qid) continue;
        auto body = impl_.get(StoreImpl::kBodies, qid);
        if (!body) return body.error();
        if (!body->has_value()) return make_error("body " + std::string(qid) + " of message " + std::string(id) + " is missing");
        std::string out = std::move(rec->prefix);
        out += **body;
        return Found(std::move(out));
    }
    return Found();
}

}  // namespace ringpost::store
