// Arguments of the mailbox commands: SELECT/EXAMINE (RFC 4466 select
// parameters), CREATE (RFC 6154 USE), DELETE, RENAME, (UN)SUBSCRIBE, LIST
// (RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE, RFC 5819 LIST-STATUS), LSUB,
// STATUS and APPEND (RFC 3502 MULTIAPPEND).
#include "imap/chars.hpp"
#include "imap/list_pattern.hpp"
#include "imap/parser_internal.hpp"
#include "util/ascii.hpp"

namespace ringpost::imap::detail {

namespace {

// RFC 6154 2 and RFC 8457 (\Important), in canonical case.
constexpr std::string_view kSpecialUse[] = {"\\All", "\\Archive", "\\Drafts", "\\Flagged",
                                            "\\Junk", "\\Sent", "\\Trash", "\\Important"};

// A command can carry tens of megabytes through literals: bound what each
// literal may add to the parsed command.
constexpr size_t kMaxAppendMessages = 1000;
constexpr size_t kMaxListPatterns = 100;

// RFC 3501 6.3.8 patterns: a bounded number of wildcards (kMaxListWildcards,
// reference and pattern together), so that no LIST costs more than the
// names it lists; and bounded bytes of reference + pattern over all the
// patterns (`total`), since each is compiled with the reference in front
// (list_pattern.hpp: bit masks as long as the pattern).
constexpr size_t kMaxListPatternBytes = 64 * 1024;

bool list_pattern(Lexer& lx, const std::string& reference, std::string& pattern, size_t& total) {
    if (!lx.list_mailbox(pattern)) return false;
    if (count_list_wildcards(reference) + count_list_wildcards(pattern) > kMaxListWildcards) {
        return lx.fail("Too many wildcards in pattern");
    }
    total += reference.size() + pattern.size();
    if (total > kMaxListPatternBytes) return lx.fail("Patterns too long");
    return true;
}

using util::iequals;

// The value of an extension parameter we do not know (RFC 4466
// tagged-ext-val): a number, a sequence set or a parenthesised list. An
// atom after the name is the next parameter's name, not a value.
bool skip_param_value(Lexer& lx) {
    if (lx.peek() != ' ') return true;
    char c = lx.peek_after_spaces();
    if (c != '(' && !is_digit(c) && c != '*') return true;
    lx.skip_sp();
    return lx.skip_value();
}

// "(" param *(SP param) ")" where each param is handled by `one`, which
// reads the name and returns false on error.
template <class F>
bool param_list(Lexer& lx, F one) {
    if (!lx.expect('(', "Expected parameter list")) return false;
    lx.skip_sp();
    while (!lx.eat(')')) {
        if (lx.at_line_end()) return lx.fail("Unterminated parameter list");
        std::string_view name;
        if (!lx.atom(name, "Expected parameter name") || !one(name)) return false;
        if (lx.peek() != ')' && lx.peek() != ' ') return lx.fail("Invalid parameter list");
        lx.skip_sp();
    }
    return true;
}

}  // namespace

bool parse_select(Lexer& lx, Command& cmd) {
    SelectArgs& a = cmd.args.emplace<SelectArgs>();
    if (!lx.sp() || !lx.mailbox(a.mailbox)) return false;
    if (lx.skip_sp() && lx.peek() == '(') {
        bool ok = param_list(lx, [&](std::string_view name) {
            if (iequals(name, "CONDSTORE")) {
                a.condstore = true;
                return true;
            }
            return skip_param_value(lx);
        });
        if (!ok) return false;
    }
    return lx.end();
}

bool parse_create(Lexer& lx, Command& cmd) {
    CreateArgs& a = cmd.args.emplace<CreateArgs>();
    if (!lx.sp() || !lx.new_mailbox(a.mailbox)) return false;
    if (lx.skip_sp() && lx.peek() == '(') {
        bool ok = param_list(lx, [&](std::string_view name) {
            if (!iequals(name, "USE")) return lx.fail("Unknown CREATE parameter");
            if (!lx.sp() || !lx.expect('(', "Expected special-use list")) return false;
            lx.skip_sp();
            while (!lx.eat(')')) {
                std::string use;
                if (lx.peek() != '\\' || !lx.flag(use)) return lx.fail("Invalid special-use attribute");
                for (std::string_view known : kSpecialUse) {
                    if (iequals(known, use)) use.assign(known);
                }
                a.special_use.push_back(std::move(use));
                if (!lx.skip_sp() && lx.peek() != ')') return lx.fail("Invalid special-use list");
            }
            return true;
        });
        if (!ok) return false;
    }
    return lx.end();
}

bool parse_mailbox_only(Lexer& lx, Command& cmd) {
    MailboxArgs& a = cmd.args.emplace<MailboxArgs>();
    return lx.sp() && lx.mailbox(a.mailbox) && lx.end();
}

bool parse_rename(Lexer& lx, Command& cmd) {
    RenameArgs& a = cmd.args.emplace<RenameArgs>();
    return lx.sp() && lx.mailbox(a.from) && lx.sp() && lx.new_mailbox(a.to) && lx.end();
}

bool parse_status_items(Lexer& lx, StatusItems& items) {
    if (!lx.expect('(', "Expected status item list")) return false;
    lx.skip_sp();
    bool any = false;
    while (!lx.eat(')')) {
        std::string_view name;
        if (!lx.atom(name, "Expected status item")) return false;
        if (iequals(name, "MESSAGES")) {
            items.messages = true;
        } else if (iequals(name, "RECENT")) {
            items.recent = true;
        } else if (iequals(name, "UIDNEXT")) {
            items.uidnext = true;
        } else if (iequals(name, "UIDVALIDITY")) {
            items.uidvalidity = true;
        } else if (iequals(name, "UNSEEN")) {
            items.unseen = true;
        } else if (iequals(name, "SIZE")) {
            items.size = true;
        } else if (iequals(name, "DELETED")) {
            items.deleted = true;
        } else if (iequals(name, "HIGHESTMODSEQ")) {
            items.highestmodseq = true;
        } else {
            return lx.fail("Unknown status item");
        }
        any = true;
        if (!lx.skip_sp() && lx.peek() != ')') return lx.fail("Invalid status item list");
    }
    return any || lx.fail("Empty status item list");
}

bool parse_status(Lexer& lx, Command& cmd) {
    StatusArgs& a = cmd.args.emplace<StatusArgs>();
    return lx.sp() && lx.mailbox(a.mailbox) && lx.sp() && parse_status_items(lx, a.items) && lx.end();
}

bool parse_list(Lexer& lx, Command& cmd) {
    ListArgs& a = cmd.args.emplace<ListArgs>();
    if (!lx.sp()) return false;
    if (lx.peek() == '(') {
        a.extended = true;
        bool ok = param_list(lx, [&](std::string_view name) {
            if (iequals(name, "SUBSCRIBED")) {
                a.select_subscribed = true;
            } else if (iequals(name, "REMOTE")) {
                a.select_remote = true;
            } else if (iequals(name, "RECURSIVEMATCH")) {
                a.select_recursive_match = true;
            } else if (iequals(name, "SPECIAL-USE")) {
                a.select_special_use = true;
            } else {
                // Ignoring a selection option would list other mailboxes
                // than the client asked for.
                return lx.fail("Unknown LIST selection option");
            }
            return true;
        });
        if (!ok || !lx.sp()) return false;
        // RFC 5258 3: RECURSIVEMATCH needs a base option to modify.
        if (a.select_recursive_match && !a.select_subscribed && !a.select_special_use) {
            return lx.fail("RECURSIVEMATCH needs another selection option");
        }
    }
    if (!lx.mailbox(a.reference, false) || !lx.sp()) return false;
    size_t pattern_bytes = 0;
    if (lx.peek() == '(') {
        a.extended = true;
        lx.eat('(');
        lx.skip_sp();
        while (!lx.eat(')')) {
            if (a.patterns.size() >= kMaxListPatterns) return lx.fail("Too many patterns");
            std::string pattern;
            if (!list_pattern(lx, a.reference, pattern, pattern_bytes)) return false;
            a.patterns.push_back(std::move(pattern));
            if (!lx.skip_sp() && lx.peek() != ')') return lx.fail("Invalid pattern list");
        }
        if (a.patterns.empty()) return lx.fail("Empty pattern list");
    } else {
        std::string pattern;
        if (!list_pattern(lx, a.reference, pattern, pattern_bytes)) return false;
        a.patterns.push_back(std::move(pattern));
    }
    if (lx.skip_sp() && lx.keyword("RETURN")) {
        a.extended = true;
        if (!lx.sp()) return false;
        bool ok = param_list(lx, [&](std::string_view name) {
            if (iequals(name, "SUBSCRIBED")) {
                a.return_subscribed = true;
            } else if (iequals(name, "CHILDREN")) {
                a.return_children = true;
            } else if (iequals(name, "SPECIAL-USE")) {
                a.return_special_use = true;
            } else if (iequals(name, "STATUS")) {
                a.return_status = true;
                return lx.sp() && parse_status_items(lx, a.status_items);
            } else {
                // RFC 5258 3: an option the server does not know is BAD
                // (the client would wait for data that never comes).
                return lx.fail("Unknown LIST return option");
            }
            return true;
        });
        if (!ok) return false;
    }
    // Selection options imply the matching return options (RFC 5258 3, RFC 6154 4).
    if (a.select_subscribed) a.return_subscribed = true;
    if (a.select_special_use) a.return_special_use = true;
    return lx.end();
}

bool parse_lsub(Lexer& lx, Command& cmd) {
    ListArgs& a = cmd.args.emplace<ListArgs>();
    std::string pattern;
    size_t pattern_bytes = 0;
    if (!lx.sp() || !lx.mailbox(a.reference, false) || !lx.sp()) return false;
    if (!list_pattern(lx, a.reference, pattern, pattern_bytes)) return false;
    a.patterns.push_back(std::move(pattern));
    return lx.end();
}

bool parse_append(Lexer& lx, Command& cmd) {
    AppendArgs& a = cmd.args.emplace<AppendArgs>();
    if (!lx.sp() || !lx.mailbox(a.mailbox)) return false;
    while (lx.skip_sp() && !lx.at_line_end()) {
        if (a.messages.size() >= kMaxAppendMessages) return lx.fail("Too many messages");
        AppendMessage& m = a.messages.emplace_back();
        if (lx.peek() == '(') {
            if (!lx.flag_list(m.flags) || !lx.sp()) return false;
        }
        if (lx.peek() == '"') {
            DateTime dt;
            if (!lx.date_time(dt) || !lx.sp()) return false;
            m.internal_date = dt;
        }
        if (!lx.literal(m.data, "Expected message literal")) return false;
    }
    if (a.messages.empty()) return lx.fail("Expected message literal");
    return lx.end();
}

}  // namespace ringpost::imap::detail
