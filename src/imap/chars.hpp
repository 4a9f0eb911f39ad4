// IMAP character classes (RFC 3501 9, RFC 9051 9): which bytes may appear
// in atoms, astrings, tags and LIST patterns. Shared by the reader, the
// parser and the response writers, so what we accept and what we emit
// without quoting are the same sets.
#pragma once

namespace ringpost::imap {

// CHAR minus atom-specials: "(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]".
constexpr bool is_atom_char(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;   // CTL, SP, DEL, 8-bit
    switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
        return false;
    default:
        return true;
    }
}

// ASTRING-CHAR: ATOM-CHAR or resp-specials ("]").
constexpr bool is_astring_char(char c) { return is_atom_char(c) || c == ']'; }

// tag: any ASTRING-CHAR except "+".
constexpr bool is_tag_char(char c) { return is_astring_char(c) && c != '+'; }

// list-char: ATOM-CHAR, list-wildcards ("%" "*") or resp-specials.
constexpr bool is_list_char(char c) { return is_astring_char(c) || c == '%' || c == '*'; }

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

}  // namespace ringpost::imap
