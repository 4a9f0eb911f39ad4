// The IMAP command parser (see parser.hpp): tag, UID prefix, the command
// table, and the arguments of the connection-level commands (LOGIN,
// AUTHENTICATE, ENABLE, ID). Other commands' arguments are parsed in the
// parse_*.cpp files.
#include "imap/parser.hpp"

#include "imap/chars.hpp"
#include "imap/lexer.hpp"
#include "imap/parser_internal.hpp"
#include "util/ascii.hpp"

namespace ringpost::imap {

namespace {

using detail::ArgParser;

struct Entry {
    std::string_view name;
    CommandType type;
    bool uid;   // may follow "UID"
    ArgParser parse;
};

constexpr Entry kCommands[] = {
    {"CAPABILITY", CommandType::kCapability, false, detail::parse_no_args},
    {"NOOP", CommandType::kNoop, false, detail::parse_no_args},
    {"LOGOUT", CommandType::kLogout, false, detail::parse_no_args},
    {"STARTTLS", CommandType::kStarttls, false, detail::parse_no_args},
    {"LOGIN", CommandType::kLogin, false, detail::parse_login},
    {"AUTHENTICATE", CommandType::kAuthenticate, false, detail::parse_authenticate},
    {"ENABLE", CommandType::kEnable, false, detail::parse_enable},
    {"ID", CommandType::kId, false, detail::parse_id},
    {"NAMESPACE", CommandType::kNamespace, false, detail::parse_no_args},
    {"SELECT", CommandType::kSelect, false, detail::parse_select},
    {"EXAMINE", CommandType::kExamine, false, detail::parse_select},
    {"CREATE", CommandType::kCreate, false, detail::parse_create},
    {"DELETE", CommandType::kDelete, false, detail::parse_mailbox_only},
    {"RENAME", CommandType::kRename, false, detail::parse_rename},
    {"SUBSCRIBE", CommandType::kSubscribe, false, detail::parse_mailbox_only},
    {"UNSUBSCRIBE", CommandType::kUnsubscribe, false, detail::parse_mailbox_only},
    {"LIST", CommandType::kList, false, detail::parse_list},
    {"LSUB", CommandType::kLsub, false, detail::parse_lsub},
    {"STATUS", CommandType::kStatus, false, detail::parse_status},
    {"APPEND", CommandType::kAppend, false, detail::parse_append},
    {"CHECK", CommandType::kCheck, false, detail::parse_no_args},
    {"CLOSE", CommandType::kClose, false, detail::parse_no_args},
    {"UNSELECT", CommandType::kUnselect, false, detail::parse_no_args},
    {"EXPUNGE", CommandType::kExpunge, true, detail::parse_expunge},
    {"SEARCH", CommandType::kSearch, true, detail::parse_search},
    {"FETCH", CommandType::kFetch, true, detail::parse_fetch},
    {"STORE", CommandType::kStore, true, detail::parse_store},
    {"COPY", CommandType::kCopy, true, detail::parse_copy},
    {"MOVE", CommandType::kMove, true, detail::parse_copy},
    {"IDLE", CommandType::kIdle, false, detail::parse_no_args},
};

using util::iequals;

const Entry* find_command(std::string_view name) {
    for (const Entry& e : kCommands) {
        if (iequals(e.name, name)) return &e;
    }
    return nullptr;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = to_upper(c);
    return out;
}

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/' || c == '=';
}

}  // namespace

std::string_view command_name(CommandType type) {
    for (const Entry& e : kCommands) {
        if (e.type == type) return e.name;
    }
    return "?";
}

ParseResult parse_command(std::string_view line, const ParseOptions& options) {
    return parse_command(RawCommand{line, {}}, options);
}

ParseResult parse_command(const RawCommand& raw, const ParseOptions& options) {
    ParseResult r;
    r.command.tag = "*";
    Lexer lx(raw, options);
    if (lx.at_line_end() && raw.literals.empty()) {
        r.error = "Empty command";
        return r;
    }
    // The tag is the line's first word (RFC 3501 9: tag SP command): with a
    // blank before it, the word that follows is not a tag the client sent.
    if (lx.peek() == ' ') {
        r.error = lx.skip_sp() && lx.at_line_end() ? "Empty command" : "Line must start with a tag";
        return r;
    }
    std::string tag;
    if (!lx.tag(tag)) {
        r.error = lx.error();
        return r;
    }
    if (!lx.skip_sp()) {
        // "a(b NOOP": the client's tag is not "a"; do not answer as if it were.
        if (lx.at_line_end()) r.command.tag = std::move(tag);
        r.error = lx.at_line_end() ? "Missing command" : "Invalid tag";
        return r;
    }
    r.command.tag = std::move(tag);
    std::string_view name = lx.word(is_atom_char);
    if (iequals(name, "UID")) {
        r.command.uid = true;
        if (!lx.skip_sp()) {
            r.error = "Missing command after UID";
            return r;
        }
        name = lx.word(is_atom_char);
    }
    const Entry* e = find_command(name);
    if (e == nullptr) {
        r.error = name.empty() ? "Missing command" : "Unknown command";
        return r;
    }
    r.command.type = e->type;
    if (r.command.uid && !e->uid) {
        r.error = "UID is not valid with this command";
        return r;
    }
    if (!e->parse(lx, r.command)) {
        r.error.assign(e->name);
        r.error += ": ";
        r.error += lx.error().empty() ? "Invalid arguments" : lx.error();
        return r;
    }
    r.command.invalid_name = lx.name_error();
    return r;
}

namespace detail {

bool parse_no_args(Lexer& lx, Command&) { return lx.end(); }

bool parse_login(Lexer& lx, Command& cmd) {
    LoginArgs& a = cmd.args.emplace<LoginArgs>();
    return lx.sp() && lx.astring(a.user, "Expected user name") && lx.sp() &&
           lx.astring(a.password, "Expected password") && lx.end();
}

bool parse_authenticate(Lexer& lx, Command& cmd) {
    AuthenticateArgs& a = cmd.args.emplace<AuthenticateArgs>();
    std::string_view mech;
    if (!lx.sp() || !lx.atom(mech, "Expected SASL mechanism")) return false;
    a.mechanism = upper(mech);
    if (lx.skip_sp() && !lx.at_line_end()) {
        std::string_view ir = lx.word(is_base64_char);
        if (ir.empty()) return lx.fail("Invalid initial response");
        a.initial_response.emplace(ir == "=" ? std::string_view() : ir);
    }
    return lx.end();
}

bool parse_enable(Lexer& lx, Command& cmd) {
    EnableArgs& a = cmd.args.emplace<EnableArgs>();
    if (!lx.sp()) return false;
    do {
        if (lx.at_line_end()) break;
        std::string_view cap;
        if (!lx.atom(cap, "Expected capability")) return false;
        a.capabilities.push_back(upper(cap));
    } while (lx.skip_sp());
    if (a.capabilities.empty()) return lx.fail("Expected capability");
    return lx.end();
}

bool parse_id(Lexer& lx, Command& cmd) {
    IdArgs& a = cmd.args.emplace<IdArgs>();
    if (!lx.sp()) return false;
    if (lx.keyword("NIL")) return lx.end();
    if (!lx.expect('(', "Expected NIL or a parameter list")) return false;
    lx.skip_sp();
    while (!lx.eat(')')) {
        if (a.fields.size() >= kMaxIdFields) return lx.fail("Too many ID fields");
        std::string key;
        std::optional<std::string> value;
        if (!lx.string(key, "Expected ID field name") || !lx.sp() || !lx.nstring(value, "Expected ID field value")) {
            return false;
        }
        a.fields.emplace_back(std::move(key), std::move(value));
        if (!lx.skip_sp() && lx.peek() != ')') return lx.fail("Invalid ID parameter list");
    }
    return lx.end();
}

}  // namespace detail

}  // namespace ringpost::imap
