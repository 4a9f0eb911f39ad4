// The IMAP tokenizer the parser is built on (internal to src/imap): reads
// atoms, strings, numbers, sequence sets, flags and dates from a RawCommand,
// stepping into literal data only through a literal marker, so bytes inside
// a literal are never read as syntax.
//
// Every reader returns false on a syntax error after recording the first
// error message (later failures keep the first, most specific, message).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/date_time.hpp"
#include "imap/parser.hpp"
#include "imap/raw_command.hpp"
#include "imap/sequence_set.hpp"

namespace ringpost::imap {

class Lexer {
public:
    Lexer(const RawCommand& raw, const ParseOptions& options);

    const ParseOptions& options() const { return options_; }

    // Records `message` (if no error is recorded yet); returns false.
    bool fail(std::string_view message);
    const std::string& error() const { return error_; }
    // The first mailbox name that did not decode (not a syntax error: the
    // command is answered NO); empty if none.
    const std::string& name_error() const { return name_error_; }

    // The next byte, or '\0' at the end of the current line.
    char peek() const { return pos_ < limit() ? text_[pos_] : '\0'; }
    bool at_line_end() const { return pos_ >= limit(); }
    // The byte after the spaces at the current position ('\0' at the end of the line).
    char peek_after_spaces() const {
        size_t p = pos_;
        while (p < limit() && text_[p] == ' ') ++p;
        return p < limit() ? text_[p] : '\0';
    }
    // Consumes `c` if it is next.
    bool eat(char c);
    bool expect(char c, std::string_view message);
    // One or more spaces.
    bool sp();
    // Consumes spaces if a space is next, returning whether one was.
    bool skip_sp();
    // Nothing left but spaces; then the command is complete.
    bool end();

    // A word of `ok` characters (for keywords and the like); may be empty.
    template <class Pred>
    std::string_view word(Pred ok) {
        size_t start = pos_;
        size_t lim = limit();
        while (pos_ < lim && ok(text_[pos_])) ++pos_;
        return text_.substr(start, pos_ - start);
    }
    // An atom, or fails with `what`.
    bool atom(std::string_view& out, std::string_view what);
    // An atom compared case-insensitively with keyword, consumed only on a match.
    bool keyword(std::string_view keyword);

    bool tag(std::string& out);
    bool quoted(std::string& out, std::string_view what);
    // A literal; only APPEND requires one (append-data).
    bool literal(std::string_view& out, std::string_view what);
    bool string(std::string& out, std::string_view what);    // quoted / literal
    bool astring(std::string& out, std::string_view what);   // atom / string
    bool nstring(std::optional<std::string>& out, std::string_view what);
    bool number(uint32_t& out, std::string_view what);
    bool number64(uint64_t& out, std::string_view what);

    // A mailbox: astring, modified UTF-7 decoded (or UTF-8 checked with
    // options.utf8), INBOX spelled in upper case if `normalize`. A name that
    // does not decode is kept as sent and recorded in name_error().
    bool mailbox(std::string& out, bool normalize = true);
    // A name for a mailbox to be made (CREATE, RENAME's target): a mailbox(),
    // and at most kMaxNewMailboxName bytes, as Dovecot's 4,096 (longer
    // names only make every LIST slower), else recorded in name_error().
    static constexpr size_t kMaxNewMailboxName = 4096;
    bool new_mailbox(std::string& out);
    // list-mailbox: a pattern with "%" and "*", decoded like a mailbox.
    bool list_mailbox(std::string& out);
    bool sequence_set(SequenceSet& out);
    // flag: "\Seen" etc. in canonical case, "\Ext", or a keyword atom.
    bool flag(std::string& out);
    // "(" [flag *(SP flag)] ")".
    bool flag_list(std::vector<std::string>& out);
    // date: date-text, bare or quoted.
    bool date(Date& out);
    // date-time: quoted.
    bool date_time(DateTime& out);
    // A parameter value of an extension we do not know: an atom, number,
    // string or parenthesised list (nesting limited).
    bool skip_value();

private:
    // The end of the bytes readable now: the start of the next literal not yet entered.
    size_t limit() const { return next_literal_ < literals_.size() ? literals_[next_literal_].offset : text_.size(); }
    bool decode_name(std::string& name);
    bool skip_value(int depth);

    std::string_view text_;
    std::span<const LiteralSpan> literals_;
    size_t next_literal_ = 0;
    size_t pos_ = 0;
    ParseOptions options_;
    std::string error_;
    std::string name_error_;
};

}  // namespace ringpost::imap
