// Address list parsing; see address_list.hpp. A cursor over the unfolded
// value with one step of backtracking (a phrase followed by ':' is a group,
// otherwise it was the start of a mailbox). The top-level loops skip one
// byte whenever a step consumed nothing, so any input ends in linear time.
#include "mail/address_list.hpp"

#include "mail/rfc5322_lex.hpp"
#include "util/ascii.hpp"

namespace ringpost::mail {

namespace {

constexpr std::string_view kSpecials = "()<>[]:;@\\,\"";

// Dots belong to atoms here: "john.doe" and "Q." are one word each, which
// serves both local parts (joined without spaces) and obsolete phrases.
bool is_atom_char(char c) { return !util::is_wsp_or_eol(c) && kSpecials.find(c) == std::string_view::npos; }

// Words that only dots join ("john", ".", "doe"; obs-local-part) are one
// local part; words side by side ("Real", "Name") are a phrase.
bool is_dotted_local_part(const std::vector<std::string>& words) {
    for (size_t i = 1; i < words.size(); ++i)
        if (!words[i - 1].ends_with('.') && !words[i].starts_with('.')) return false;
    return true;
}

std::string join(const std::vector<std::string>& words, std::string_view separator) {
    std::string out;
    for (size_t i = 0; i < words.size(); ++i) {
        if (i > 0) out += separator;
        out += words[i];
    }
    return out;
}

class Parser {
public:
    explicit Parser(std::string_view s) : s_(s) {}

    std::vector<Address> parse_list() {
        while (true) {
            skip_cfws();
            if (done()) break;
            if (s_[i_] == ',') {
                ++i_;
                continue;
            }
            size_t before = i_;
            parse_address();
            if (i_ == before) ++i_;   // a stray special: skip it
        }
        return std::move(out_);
    }

private:
    bool done() const { return i_ >= s_.size(); }
    bool at(char c) const { return !done() && s_[i_] == c; }

    // Whitespace and (nested (comments)); the last comment is kept for an
    // addr-spec without a display name.
    void skip_cfws() { i_ = rfc5322::skip_cfws(s_, i_, last_comment_); }

    // At a '"': its content unescaped; an unclosed string runs to the end.
    std::string quoted_string() { return rfc5322::quoted_string(s_, i_); }

    // Atoms and quoted strings up to the next special.
    std::vector<std::string> words() {
        std::vector<std::string> out;
        while (true) {
            skip_cfws();
            if (done()) break;
            if (s_[i_] == '"') {
                out.push_back(quoted_string());
            } else if (is_atom_char(s_[i_])) {
                size_t start = i_;
                while (!done() && is_atom_char(s_[i_])) ++i_;
                out.emplace_back(s_.substr(start, i_ - start));
            } else {
                break;
            }
        }
        return out;
    }

    // After an '@': atoms and [domain literals], concatenated.
    std::string domain() {
        std::string out;
        while (true) {
            skip_cfws();
            if (done()) break;
            if (s_[i_] == '[') {
                size_t start = i_;
                while (!done() && s_[i_] != ']') {
                    if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
                    ++i_;
                }
                if (!done()) ++i_;
                out += s_.substr(start, i_ - start);
            } else if (is_atom_char(s_[i_])) {
                size_t start = i_;
                while (!done() && is_atom_char(s_[i_])) ++i_;
                out += s_.substr(start, i_ - start);
            } else {
                break;
            }
        }
        return out;
    }

    // address = mailbox / group
    void parse_address() {
        size_t start = i_;
        std::vector<std::string> phrase = words();
        skip_cfws();
        if (at(':')) {
            ++i_;
            parse_group(join(phrase, " "));
            return;
        }
        i_ = start;
        parse_mailbox();
    }

    // group = display-name ":" [mailbox-list] ";" -- after the ':'.
    void parse_group(std::string name) {
        Address start;
        start.kind = Address::Kind::kGroupStart;
        start.mailbox = std::move(name);
        out_.push_back(std::move(start));
        while (true) {
            skip_cfws();
            if (done()) break;
            if (at(';')) {
                ++i_;
                break;
            }
            if (at(',')) {
                ++i_;
                continue;
            }
            size_t before = i_;
            parse_mailbox();
            if (i_ == before) ++i_;
        }
        Address end;
        end.kind = Address::Kind::kGroupEnd;
        out_.push_back(std::move(end));
    }

    // mailbox = [display-name] "<" [route ":"] addr-spec ">" / addr-spec
    void parse_mailbox() {
        skip_cfws();
        last_comment_.clear();   // a comment before the address names nothing
        std::vector<std::string> phrase = words();
        skip_cfws();
        Address a;
        if (at('<')) {
            ++i_;
            a.name = join(phrase, " ");
            parse_angle_addr(a);
        } else if (at('@')) {
            // A bare addr-spec: the words were its local part, and a comment
            // in or after it is the name ("user@domain (Real Name)"), as
            // Dovecot and the old RFC 822 convention have it.
            ++i_;
            a.mailbox = join(phrase, "");
            a.host = domain();
            a.name = last_comment_;
        } else if (!is_dotted_local_part(phrase)) {
            // Words without an address ("Real Name"): a display name, as
            // Dovecot reads them; the address is missing.
            a.name = join(phrase, " ");
        } else {
            if (phrase.empty()) return;
            a.mailbox = join(phrase, "");   // "root": a local part without its domain
            a.name = last_comment_;
        }
        if (a.mailbox.empty()) a.mailbox = kMissingMailbox;
        if (a.host.empty()) a.host = kMissingDomain;
        out_.push_back(std::move(a));
    }

    // After the '<', up to and including the '>'.
    void parse_angle_addr(Address& a) {
        skip_cfws();
        if (at('@')) {   // obsolete source route: "@a,@b:"
            while (at('@') || at(',')) {
                if (at(',')) {
                    ++i_;
                } else {
                    ++i_;
                    if (!a.route.empty()) a.route += ',';
                    a.route += '@';
                    a.route += domain();
                }
                skip_cfws();
            }
            if (at(':')) ++i_;
        }
        a.mailbox = join(words(), "");
        skip_cfws();
        if (at('@')) {
            ++i_;
            a.host = domain();
        }
        // Whatever is left before the '>' is garbage; an unclosed bracket ends
        // at the next separator so that the following address survives.
        while (!done() && s_[i_] != '>' && s_[i_] != ',' && s_[i_] != ';') ++i_;
        if (at('>')) ++i_;
    }

    std::string_view s_;
    size_t i_ = 0;
    std::string last_comment_;
    std::vector<Address> out_;
};

}  // namespace

std::vector<Address> parse_address_list(std::string_view value) { return Parser(value).parse_list(); }

}  // namespace ringpost::mail
