// SEARCH arguments (RFC 3501 6.4.4, RFC 9051 6.4.4) as an expression tree
// of SearchKey (command.hpp). Nesting depth and the number of keys are
// bounded: a command may carry megabytes through literals, and the tree is
// later walked recursively for each message.
#include "imap/chars.hpp"
#include "imap/parser_internal.hpp"

namespace ringpost::imap::detail {

namespace {

constexpr int kMaxDepth = 32;
constexpr size_t kMaxKeys = 10000;

struct SearchParser {
    Lexer& lx;
    size_t keys = 0;

    bool key(SearchKey& k, int depth);
    bool group(SearchKey& k, int depth);
};

bool is_upper(std::string_view s, std::string_view upper) {
    if (s.size() != upper.size()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        if (to_upper(s[i]) != upper[i]) return false;
    }
    return true;
}

SearchKey flag_key(std::string_view flag) {
    SearchKey k;
    k.kind = SearchKind::kFlag;
    k.value.assign(flag);
    return k;
}

SearchKey not_key(SearchKey inner) {
    SearchKey k;
    k.kind = SearchKind::kNot;
    k.children.push_back(std::move(inner));
    return k;
}

struct FlagKey {
    std::string_view name;
    std::string_view flag;
    bool negated;
};

constexpr FlagKey kFlagKeys[] = {
    {"ANSWERED", "\\Answered", false}, {"DELETED", "\\Deleted", false}, {"DRAFT", "\\Draft", false},
    {"FLAGGED", "\\Flagged", false},   {"SEEN", "\\Seen", false},       {"RECENT", "\\Recent", false},
    {"UNANSWERED", "\\Answered", true}, {"UNDELETED", "\\Deleted", true}, {"UNDRAFT", "\\Draft", true},
    {"UNFLAGGED", "\\Flagged", true},   {"UNSEEN", "\\Seen", true},       {"OLD", "\\Recent", true},
};

struct NamedKind {
    std::string_view name;
    SearchKind kind;
};

constexpr NamedKind kStringKeys[] = {
    {"FROM", SearchKind::kFrom}, {"TO", SearchKind::kTo},       {"CC", SearchKind::kCc},
    {"BCC", SearchKind::kBcc},   {"SUBJECT", SearchKind::kSubject}, {"BODY", SearchKind::kBody},
    {"TEXT", SearchKind::kText},
};

constexpr NamedKind kDateKeys[] = {
    {"SINCE", SearchKind::kSince},         {"BEFORE", SearchKind::kBefore},
    {"ON", SearchKind::kOn},               {"SENTSINCE", SearchKind::kSentSince},
    {"SENTBEFORE", SearchKind::kSentBefore}, {"SENTON", SearchKind::kSentOn},
};

bool SearchParser::group(SearchKey& k, int depth) {
    lx.eat('(');
    k.kind = SearchKind::kAnd;
    lx.skip_sp();
    while (!lx.eat(')')) {
        if (lx.at_line_end()) return lx.fail("Unterminated search group");
        if (!key(k.children.emplace_back(), depth + 1)) return false;
        if (!lx.skip_sp() && lx.peek() != ')') {
            return lx.fail(lx.at_line_end() ? "Unterminated search group" : "Invalid search group");
        }
    }
    if (k.children.empty()) return lx.fail("Empty search group");
    if (k.children.size() == 1) {
        SearchKey only = std::move(k.children.front());
        k = std::move(only);
    }
    return true;
}

bool SearchParser::key(SearchKey& k, int depth) {
    if (depth > kMaxDepth) return lx.fail("Search nested too deeply");
    if (++keys > kMaxKeys) return lx.fail("Search has too many keys");
    char c = lx.peek();
    if (c == '(') return group(k, depth);
    if (is_digit(c) || c == '*' || c == '$') {
        k.kind = SearchKind::kSequence;
        return lx.sequence_set(k.set);
    }
    std::string_view name = lx.word(is_atom_char);
    if (name.empty()) return lx.fail("Expected search key");
    if (is_upper(name, "ALL")) {
        k.kind = SearchKind::kAll;
        return true;
    }
    for (const FlagKey& f : kFlagKeys) {
        if (is_upper(name, f.name)) {
            k = f.negated ? not_key(flag_key(f.flag)) : flag_key(f.flag);
            return true;
        }
    }
    if (is_upper(name, "NEW")) {
        k.kind = SearchKind::kAnd;
        k.children.push_back(flag_key("\\Recent"));
        k.children.push_back(not_key(flag_key("\\Seen")));
        return true;
    }
    if (is_upper(name, "KEYWORD") || is_upper(name, "UNKEYWORD")) {
        std::string_view kw;
        if (!lx.sp() || !lx.atom(kw, "Expected keyword")) return false;
        k = name.size() == 7 ? flag_key(kw) : not_key(flag_key(kw));
        return true;
    }
    for (const NamedKind& s : kStringKeys) {
        if (is_upper(name, s.name)) {
            k.kind = s.kind;
            return lx.sp() && lx.astring(k.value, "Expected search string");
        }
    }
    if (is_upper(name, "HEADER")) {
        k.kind = SearchKind::kHeader;
        return lx.sp() && lx.astring(k.field, "Expected header field name") && lx.sp() &&
               lx.astring(k.value, "Expected search string");
    }
    for (const NamedKind& d : kDateKeys) {
        if (is_upper(name, d.name)) {
            k.kind = d.kind;
            return lx.sp() && lx.date(k.date);
        }
    }
    if (is_upper(name, "LARGER") || is_upper(name, "SMALLER")) {
        k.kind = is_upper(name, "LARGER") ? SearchKind::kLarger : SearchKind::kSmaller;
        return lx.sp() && lx.number64(k.number, "Expected size");
    }
    if (is_upper(name, "UID")) {
        k.kind = SearchKind::kUid;
        return lx.sp() && lx.sequence_set(k.set);
    }
    if (is_upper(name, "NOT")) {
        k.kind = SearchKind::kNot;
        return lx.sp() && key(k.children.emplace_back(), depth + 1);
    }
    if (is_upper(name, "OR")) {
        k.kind = SearchKind::kOr;
        k.children.resize(2);
        return lx.sp() && key(k.children[0], depth + 1) && lx.sp() && key(k.children[1], depth + 1);
    }
    return lx.fail("Unknown search key");
}

}  // namespace

bool parse_search(Lexer& lx, Command& cmd) {
    SearchArgs& a = cmd.args.emplace<SearchArgs>();
    if (!lx.sp()) return false;
    if (lx.keyword("RETURN")) return lx.fail("SEARCH RETURN (ESEARCH) is not supported");
    if (lx.keyword("CHARSET")) {
        if (!lx.sp() || !lx.astring(a.charset, "Expected charset") || !lx.sp()) return false;
        for (char& c : a.charset) c = to_upper(c);
    }
    SearchParser p{lx};
    a.key.kind = SearchKind::kAnd;
    do {
        if (lx.at_line_end() && !a.key.children.empty()) break;
        if (!p.key(a.key.children.emplace_back(), 1)) return false;
    } while (lx.skip_sp());
    if (a.key.children.size() == 1) {
        SearchKey only = std::move(a.key.children.front());
        a.key = std::move(only);
    }
    return lx.end();
}

}  // namespace ringpost::imap::detail
