#include "spf/record.hpp"

#include <algorithm>


#include "spf/macro.hpp"
#include "util/ascii.hpp"

namespace ringpost::spf {
namespace {

using util::iequals;
using util::is_alnum;

bool is_alpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool valid_toplabel(std::string_view label) {
    if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back())) return false;
    bool alpha_or_dash = false;
    for (char ch : label) {
        if (ch != '-' && !is_alnum(ch)) return false;
        if (ch == '-' || is_alpha(ch)) alpha_or_dash = true;
    }
    return alpha_or_dash;
}

// Whether a valid macro-string ends with a macro-expand ("%{d}", "%%", ...).
bool ends_with_macro(std::string_view text) {
    bool last_macro = false;
    for (size_t i = 0; i < text.size();) {
        if (text[i] != '%') {
            last_macro = false;
            ++i;
        } else if (text[i + 1] == '{') {
            i = text.find('}', i) + 1;
            last_macro = true;
        } else {
            i += 2;
            last_macro = true;
        }
    }
    return last_macro;
}

// A CIDR length: digits without a leading zero, at most `max`.
bool parse_cidr(std::string_view digits, unsigned max, unsigned& out) {
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) return false;
    unsigned n = 0;
    for (char ch : digits) {
        if (ch < '0' || ch > '9') return false;
        n = n * 10 + static_cast<unsigned>(ch - '0');
    }
    if (n > max) return false;
    out = n;
    return true;
}

// Removes a trailing "/digits" (after `slashes` slashes) from `arg` into `out`.
bool take_cidr(std::string_view& arg, std::string_view slashes, unsigned max, unsigned& out, bool& bad) {
    size_t at = arg.rfind(slashes);
    if (at == std::string_view::npos) return false;
    std::string_view digits = arg.substr(at + slashes.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) return false;
    if (slashes.size() == 1 && at > 0 && arg[at - 1] == '/') return false;   // part of "//n"
    if (!parse_cidr(digits, max, out)) bad = true;
    arg = arg.substr(0, at);
    return true;
}

// [":" domain-spec] after a, mx, ptr; required after include and exists.
bool take_domain(std::string_view arg, bool required, Term& term, std::string& error) {
    if (arg.empty()) {
        if (required) error = "missing domain";
        return !required;
    }
    if (arg[0] != ':') {
        error = "unexpected '" + std::string(arg) + "'";
        return false;
    }
    arg.remove_prefix(1);
    if (!valid_domain_spec(arg)) {
        error = "invalid domain-spec '" + std::string(arg) + "'";
        return false;
    }
    term.domain_spec = arg;
    return true;
}

bool parse_network(std::string_view arg, bool v6, Term& term, std::string& error) {
    if (arg.empty() || arg[0] != ':') {
        error = "missing network";
        return false;
    }
    arg.remove_prefix(1);
    const size_t slash = arg.find('/');
    auto ip = v6 ? parse_ip6(arg.substr(0, slash)) : parse_ip4(arg.substr(0, slash));
    unsigned& cidr = v6 ? term.cidr6 : term.cidr4;
    if (!ip || (slash != std::string_view::npos && !parse_cidr(arg.substr(slash + 1), v6 ? 128 : 32, cidr))) {
        error = "invalid network '" + std::string(arg) + "'";
        return false;
    }
    term.network = *ip;
    return true;
}

bool parse_arguments(std::string_view arg, Term& term, std::string& error) {
    switch (term.mechanism) {
        case Mechanism::kAll:
            if (!arg.empty()) error = "unexpected '" + std::string(arg) + "' after all";
            return arg.empty();
        case Mechanism::kInclude:
        case Mechanism::kExists: return take_domain(arg, true, term, error);
        case Mechanism::kPtr: return take_domain(arg, false, term, error);
        case Mechanism::kIp4: return parse_network(arg, false, term, error);
        case Mechanism::kIp6: return parse_network(arg, true, term, error);
        case Mechanism::kA:
        case Mechanism::kMx: break;
    }
    bool bad = false;
    take_cidr(arg, "//", 128, term.cidr6, bad);
    take_cidr(arg, "/", 32, term.cidr4, bad);
    if (bad) {
        error = "invalid CIDR length";
        return false;
    }
    return take_domain(arg, false, term, error);
}

struct MechanismName {
    std::string_view name;
    Mechanism mechanism;
};
constexpr MechanismName kMechanisms[] = {
    {"all", Mechanism::kAll}, {"include", Mechanism::kInclude}, {"a", Mechanism::kA},
    {"mx", Mechanism::kMx},   {"ptr", Mechanism::kPtr},         {"ip4", Mechanism::kIp4},
    {"ip6", Mechanism::kIp6}, {"exists", Mechanism::kExists},
};

bool parse_mechanism(std::string_view token, Record& record, std::string& error) {
    Term term;
    switch (token[0]) {
        case '+': term.qualifier = Result::kPass; break;
        case '-': term.qualifier = Result::kFail; break;
        case '~': term.qualifier = Result::kSoftFail; break;
        case '?': term.qualifier = Result::kNeutral; break;
        default: break;
    }
    if (std::string_view("+-~?").find(token[0]) != std::string_view::npos) token.remove_prefix(1);
    const size_t end = token.find_first_of(":/");
    const std::string_view name = token.substr(0, end);
    const MechanismName* found = nullptr;
    for (const auto& m : kMechanisms)
        if (iequals(name, m.name)) found = &m;
    if (!found) {
        error = "unknown mechanism '" + std::string(name) + "'";
        return false;
    }
    term.mechanism = found->mechanism;
    if (!parse_arguments(token.substr(name.size()), term, error)) return false;
    if (term.mechanism == Mechanism::kAll) record.has_all = true;
    record.terms.push_back(std::move(term));
    return true;
}

// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=": a modifier.
size_t modifier_name_length(std::string_view token) {
    if (token.empty() || !is_alpha(token[0])) return 0;
    size_t i = 1;
    while (i < token.size() && (is_alnum(token[i]) || token[i] == '-' || token[i] == '_' || token[i] == '.')) ++i;
    return i < token.size() && token[i] == '=' ? i : 0;
}

bool parse_modifier(std::string_view name, std::string_view value, Record& record, std::string& error) {
    const bool redirect = iequals(name, "redirect");
    if (redirect || iequals(name, "exp")) {
        std::string& slot = redirect ? record.redirect : record.exp;
        if (!slot.empty()) {
            error = std::string(redirect ? "redirect" : "exp") + "= given twice";   // 6/2
            return false;
        }
        if (!valid_domain_spec(value)) {
            error = "invalid domain-spec '" + std::string(value) + "'";
            return false;
        }
        slot = value;
        return true;
    }
    // Unknown modifiers are ignored, but their macros must be valid (A/3).
    if (!valid_macros(value, MacroScope::kDomain)) {
        error = "invalid macro in '" + std::string(name) + "='";
        return false;
    }
    return true;
}

}  // namespace

std::vector<std::string_view> spf_records(const std::vector<std::string>& texts) {
    std::vector<std::string_view> out;
    for (const auto& t : texts)
        if (util::istarts_with(t, "v=spf1") && (t.size() == 6 || t[6] == ' ')) out.push_back(t);
    return out;
}

bool valid_domain_spec(std::string_view spec) {
    if (spec.empty() || !valid_macros(spec, MacroScope::kDomain)) return false;
    if (ends_with_macro(spec)) return true;
    if (spec.back() == '.') spec.remove_suffix(1);
    const size_t dot = spec.rfind('.');
    return dot != std::string_view::npos && valid_toplabel(spec.substr(dot + 1));
}

std::optional<Record> parse_record(std::string_view text, std::string& error) {
    for (unsigned char ch : text)
        if (ch < 0x20 || ch > 0x7e) {
            error = "control or non-ASCII character in the record";   // 3.1
            return std::nullopt;
        }
    Record record;
    text.remove_prefix(std::min(text.size(), size_t{6}));   // the "v=spf1" that spf_records() found
    while (!text.empty()) {
        const size_t space = text.find(' ');
        const std::string_view token = text.substr(0, space);
        text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
        if (token.empty()) continue;
        const size_t name = modifier_name_length(token);
        const bool ok = name ? parse_modifier(token.substr(0, name), token.substr(name + 1), record, error)
                             : parse_mechanism(token, record, error);
        if (!ok) return std::nullopt;
    }
    return record;
}

}  // namespace ringpost::spf
