// `mailbox list|show` (handlers of the command table): a user's INBOX as POP3/IMAP would serve it. `show`
// writes the stored message and nothing else, so `ringpost mailbox show A ID
// > msg.eml` gives exactly what a mail client would download.
#include <fmt/core.h>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "admin/commands.hpp"
#include "admin/json_output.hpp"
#include "store/store.hpp"

namespace ringpost::admin::detail {
namespace {

// Maildir's flag letters (D F R S T, in that order), familiar to operators; "-" if none.
std::string flag_letters(uint32_t flags) {
    std::string s;
    if (flags & store::kFlagDraft) s += 'D';
    if (flags & store::kFlagFlagged) s += 'F';
    if (flags & store::kFlagAnswered) s += 'R';
    if (flags & store::kFlagSeen) s += 'S';
    if (flags & store::kFlagDeleted) s += 'T';
    return s.empty() ? "-" : s;
}

// The same flags by name, for JSON: ["seen", "answered"].
Json flag_names(uint32_t flags) {
    Json names = Json::array();
    if (flags & store::kFlagDraft) names.push_back("draft");
    if (flags & store::kFlagFlagged) names.push_back("flagged");
    if (flags & store::kFlagAnswered) names.push_back("answered");
    if (flags & store::kFlagSeen) names.push_back("seen");
    if (flags & store::kFlagDeleted) names.push_back("deleted");
    return names;
}

// `mailbox list`: one line per message, or {"address": ..., "messages": [...]}.
void messages_text(std::string& out, const std::vector<store::MailboxMessage>& messages) {
    for (const auto& m : messages)
        out += fmt::format("{} {:>9} {} {:<5} {}\n", printable(m.id), m.size, iso_time(m.internal_date),
                           flag_letters(m.flags), printable(m.subject));
}

Json messages_json(const std::string& address, const std::vector<store::MailboxMessage>& messages) {
    Json list = Json::array();
    for (const auto& m : messages)
        list.push_back({{"id", m.id}, {"size", m.size}, {"date", time_or_null(m.internal_date)},
                        {"flags", flag_names(m.flags)}, {"subject", m.subject}});
    return Json{{"address", address}, {"messages", std::move(list)}};
}

// Resolves and checks the user; returns false with `code` set when it is not one.
bool known_user(store::Users& users, const std::string& arg, std::string& address, std::string& err, int& code) {
    address = normalize_address(arg);
    if (address.empty()) {
        code = fail(err, kExitUsage, "\"" + printable(arg) + "\" is not a mail address (expected local@domain)");
        return false;
    }
    auto user = users.get(address);
    if (!user) {
        code = store_fail(err, user.error());
        return false;
    }
    if (!*user) {
        code = fail(err, kExitFailure, "no such user: " + address);
        return false;
    }
    return true;
}

}  // namespace

int mailbox_list(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    std::string address;
    int code = 0;
    if (!known_user(store.users(), operands[0], address, err, code)) return code;
    auto messages = store.mailboxes().list_mailbox(address);
    if (!messages) return store_fail(err, messages.error());
    if (format == OutputFormat::kJson) write_json(out, messages_json(address, *messages));
    else messages_text(out, *messages);
    return kExitOk;
}

int mailbox_show(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    std::string address;
    int code = 0;
    if (!known_user(store.users(), operands[0], address, err, code)) return code;
    auto msg = store.mailboxes().get_mailbox_message(address, operands[1]);
    if (!msg) return store_fail(err, msg.error());
    if (!*msg)
        return fail(err, kExitFailure, "no message " + printable(operands[1]) + " in the mailbox of " + address);
    if (format == OutputFormat::kText) {
        out += **msg;
        return kExitOk;
    }
    Json doc{{"address", address}, {"id", operands[1]}, {"size", (*msg)->size()}};
    add_message(doc, **msg);
    write_json(out, doc);
    return kExitOk;
}

}  // namespace ringpost::admin::detail
