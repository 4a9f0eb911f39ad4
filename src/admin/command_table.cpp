// The administration commands, their arguments, help texts and handlers
// (command_table.hpp). Help texts are what `ringpost <group> <command>
// --help` prints; docs/CLI.md describes each command in more detail.
#include "admin/command_table.hpp"

#include <algorithm>

#include "admin/admin.hpp"
#include "admin/commands.hpp"
#include "admin/json_output.hpp"

namespace ringpost::admin {
namespace {

using Count = ArgSpec::Count;

constexpr CommandGroup kGroups[] = {
    {"user", "manage mailbox users"},
    {"queue", "inspect and manage the spool"},
    {"mailbox", "read users' mailboxes"},
    {"metrics", "print the running server's metrics (Prometheus text format)"},
};

constexpr ArgSpec kNewAddress[] = {{"ADDRESS", "mail address, e.g. alice@example.test"}};
constexpr ArgSpec kAddress[] = {{"ADDRESS", "mail address"}};
constexpr ArgSpec kQueueIdToShow[] = {{"ID", "queue ID (16 hex digits)"}};
constexpr ArgSpec kQueueId[] = {{"ID", "queue ID"}};
constexpr ArgSpec kQueueIdOptional[] = {{"ID", "queue ID (or --domain)", Count::kOptional}};
constexpr ArgSpec kTarget[] = {{"TARGET", "a destination domain, or a site as `queue summary` names it"}};
constexpr OptionSpec kSuspendOptions[] = {{"for", "DURATION", "until then (\"30m\", \"2h\"); default: until resumed"},
                                          {"reason", "TEXT", "shown in summary and in the held recipients' last reply"}};
constexpr OptionSpec kDomainOption[] = {{"domain", "DOMAIN", "every pending recipient in this domain"}};
constexpr ArgSpec kQueueIds[] = {{"ID", "queue IDs (or --all, or --domain)", Count::kRepeated}};
constexpr OptionSpec kHoldOptions[] = {{"all", "", "every queued message", true},
                                       {"domain", "DOMAIN", "every message with a pending recipient in this domain"},
                                       {"reason", "TEXT", "shown in queue list and show, and in the held event"}};
constexpr OptionSpec kReleaseOptions[] = {{"all", "", "every held message", true}};
constexpr ArgSpec kMessage[] = {{"ADDRESS", "mail address"}, {"ID", "message ID, as printed by mailbox list"}};

constexpr CommandSpec kCommands[] = {
    {"user", "add", "add a user; the password is read from standard input", kNewAddress, true,
     CommandInput::kNewPassword, detail::user_add, {}, true},
    {"user", "list", "list users", {}, false, CommandInput::kNone, detail::user_list, {}, true},
    {"user", "del", "delete a user and its mailbox", kAddress, true, CommandInput::kNone, detail::user_del, {},
     true},

    {"queue", "list", "one line per queued message, then a count", {}, false, CommandInput::kNone,
     detail::queue_list, {}, true},
    {"queue", "show", "envelope, then the stored message", kQueueIdToShow, false, CommandInput::kNone,
     detail::queue_show, {}, true},
    {"queue", "delete", "remove a message from the spool", kQueueId, true, CommandInput::kNone, detail::queue_delete,
     {}, true},
    {"queue", "flush", "retry every deferred message now", {}, true, CommandInput::kNone, detail::queue_flush, {},
     true},
    {"queue", "bounce", "fail a message's (or a domain's) pending recipients and notify the senders",
     kQueueIdOptional, true, CommandInput::kNone, detail::queue_bounce, kDomainOption, true},
    {"queue", "summary", "waiting mail per domain and site, by age (qshape), and the suspensions", {}, false,
     CommandInput::kNone, detail::queue_summary, {}, true},
    {"queue", "suspend", "hold mail to a domain or site (durable)", kTarget, true, CommandInput::kNone,
     detail::queue_suspend, kSuspendOptions, true},
    {"queue", "resume", "end a suspension; its held mail is due now", kTarget, true, CommandInput::kNone,
     detail::queue_resume, {}, true},
    {"queue", "retry", "a domain's deferred mail is due now", {}, true, CommandInput::kNone, detail::queue_retry,
     kDomainOption, true},
    {"queue", "stats", "spool totals", {}, false, CommandInput::kNone, detail::queue_stats, {}, true},
    {"queue", "hold", "put messages on hold: kept, never delivered nor expired until released (postsuper -h)",
     kQueueIds, true, CommandInput::kNone, detail::queue_hold, kHoldOptions, true},
    {"queue", "release", "release held messages: due now (postsuper -H)", kQueueIds, true, CommandInput::kNone,
     detail::queue_release, kReleaseOptions, true},

    {"mailbox", "list", "one line per message: ID size date flags subject", kAddress, false, CommandInput::kNone,
     detail::mailbox_list, {}, true},
    {"mailbox", "show", "the stored message, byte for byte", kMessage, false, CommandInput::kNone,
     detail::mailbox_show, {}, true},

    // Text only: the exposition format is what GET /metrics serves too.
    {"metrics", "", "print the running server's metrics (Prometheus text format)", {}, false, CommandInput::kNone,
     detail::metrics_text, {}, /*renders_json=*/false, /*needs_server=*/true},
};

}  // namespace

std::span<const CommandGroup> command_groups() { return kGroups; }
std::span<const CommandSpec> commands() { return kCommands; }

const CommandSpec* find_command(const std::vector<std::string>& words) {
    if (words.empty()) return nullptr;
    for (const CommandSpec& c : kCommands) {
        if (c.group != words[0]) continue;
        if (c.name.empty()) return &c;
        if (words.size() >= 2 && c.name == words[1]) return &c;
    }
    return nullptr;
}

size_t command_word_count(const CommandSpec& spec) { return spec.name.empty() ? 1 : 2; }

std::string needs_server_message(const CommandSpec& spec) {
    const std::string words = spec.name.empty() ? std::string(spec.group) : std::string(spec.group) + " " + std::string(spec.name);
    return words + " needs the running server (ringpost serve): it reads the server's state over the admin socket, "
                   "and no server answered there";
}

std::string synopsis(const CommandSpec& spec) {
    // Appended piece by piece: `" " + std::string(x)` inserts in front,
    // which g++ 12 -O3 warns about (its bug 105651).
    std::string s = std::string(spec.group);
    if (!spec.name.empty()) s.append(" ").append(spec.name);
    for (const ArgSpec& a : spec.args) {
        switch (a.count) {
            case Count::kRequired: s.append(" ").append(a.name); break;
            case Count::kOptional: s.append(" [").append(a.name).append("]"); break;
            case Count::kRepeated: s.append(" [").append(a.name).append("...]"); break;
        }
    }
    for (const OptionSpec& o : spec.options)
        s += " [--" + std::string(o.name) + (o.flag ? "" : " " + std::string(o.value)) + "]";
    if (spec.input == CommandInput::kNewPassword) s += "  (password on standard input)";
    return s;
}

bool operand_count_ok(const CommandSpec& spec, size_t n) {
    size_t min = 0, max = 0;
    for (const ArgSpec& a : spec.args) {
        if (a.count == Count::kRequired) ++min;
        if (a.count == Count::kRepeated) return n >= min;   // the repeated one comes last
        ++max;
    }
    return n >= min && n <= max;
}

int run_command(const CommandSpec& spec, store::Store& store, const AdminExtras& extras,
                const std::vector<std::string>& operands, std::string_view input, std::string& out,
                std::string& err, OutputFormat format) {
    std::vector<std::string> positional;
    Options options;
    for (const std::string& w : operands) {
        if (!w.starts_with("--")) {
            positional.push_back(w);
            continue;
        }
        const size_t eq = w.find('=');
        const std::string name = w.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        const bool known = std::any_of(spec.options.begin(), spec.options.end(),
                                       [&](const OptionSpec& o) { return o.name == name; });
        if (!known || eq == std::string::npos) return detail::usage(err, synopsis(spec));
        options[name] = w.substr(eq + 1);
    }
    if (!operand_count_ok(spec, positional.size())) return detail::usage(err, synopsis(spec));
    if (format == OutputFormat::kText)
        return spec.run(CommandCall{store, extras, positional, options, input, out, err, format});
    // A JSON caller gets one document for a success and nothing on `out`
    // for a failure: the message (text, on err) and the exit code say it.
    std::string doc;
    const int rc = spec.run(CommandCall{store, extras, positional, options, input, doc, err,
                                        spec.renders_json ? OutputFormat::kJson : OutputFormat::kText});
    if (rc != kExitOk) return rc;
    if (spec.renders_json) out += doc;
    else detail::write_json(out, detail::Json{{"output", doc}});
    return rc;
}

}  // namespace ringpost::admin
