// Arguments of the commands that change messages: EXPUNGE / UID EXPUNGE
// (RFC 4315), STORE, COPY and MOVE (RFC 6851).
#include "imap/chars.hpp"
#include "imap/parser_internal.hpp"

namespace ringpost::imap::detail {

bool parse_expunge(Lexer& lx, Command& cmd) {
    if (!cmd.uid) return lx.end();
    UidExpungeArgs& a = cmd.args.emplace<UidExpungeArgs>();
    return lx.sp() && lx.sequence_set(a.set) && lx.end();
}

bool parse_store(Lexer& lx, Command& cmd) {
    StoreArgs& a = cmd.args.emplace<StoreArgs>();
    if (!lx.sp() || !lx.sequence_set(a.set) || !lx.sp()) return false;
    if (lx.eat('+')) {
        a.mode = StoreMode::kAdd;
    } else if (lx.eat('-')) {
        a.mode = StoreMode::kRemove;
    }
    // "FLAGS" or "FLAGS.SILENT": '.' is an atom character, so read the word.
    std::string_view item = lx.word(is_atom_char);
    auto is = [&](std::string_view want) {
        if (item.size() != want.size()) return false;
        for (size_t i = 0; i < want.size(); ++i) {
            if (to_upper(item[i]) != want[i]) return false;
        }
        return true;
    };
    if (is("FLAGS.SILENT")) {
        a.silent = true;
    } else if (!is("FLAGS")) {
        return lx.fail(lx.peek() == '(' ? "Store modifiers are not supported" : "Expected FLAGS, +FLAGS or -FLAGS");
    }
    if (!lx.sp()) return false;
    if (lx.peek() == '(') {
        if (!lx.flag_list(a.flags)) return false;
    } else {
        // RFC 3501: the flags may also be given without parentheses.
        do {
            if (lx.at_line_end()) break;
            std::string f;
            if (!lx.flag(f)) return false;
            a.flags.push_back(std::move(f));
        } while (lx.skip_sp());
        if (a.flags.empty()) return lx.fail("Expected flags");
    }
    return lx.end();
}

bool parse_copy(Lexer& lx, Command& cmd) {
    CopyArgs& a = cmd.args.emplace<CopyArgs>();
    return lx.sp() && lx.sequence_set(a.set) && lx.sp() && lx.mailbox(a.mailbox) && lx.end();
}

}  // namespace ringpost::imap::detail
