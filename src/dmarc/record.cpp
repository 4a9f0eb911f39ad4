#include "dmarc/record.hpp"

#include <charconv>
#include <set>

#include "util/ascii.hpp"

namespace ringpost::dmarc {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
    return s;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Calls `fn(item)` for each `sep`-separated item, blanks around it trimmed.
template <class F>
void for_each_item(std::string_view s, char sep, F&& fn) {
    for (;;) {
        const size_t end = s.find(sep);
        fn(trim(s.substr(0, end)));
        if (end == std::string_view::npos) return;
        s.remove_prefix(end + 1);
    }
}

std::optional<Policy> parse_policy(std::string_view v) {
    if (util::iequals(v, "none")) return Policy::kNone;
    if (util::iequals(v, "quarantine")) return Policy::kQuarantine;
    if (util::iequals(v, "reject")) return Policy::kReject;
    return std::nullopt;
}

std::optional<Alignment> parse_alignment(std::string_view v) {
    if (util::iequals(v, "r")) return Alignment::kRelaxed;
    if (util::iequals(v, "s")) return Alignment::kStrict;
    return std::nullopt;
}

// 1*`max_digits` DIGIT, at most `max`.
std::optional<uint64_t> parse_number(std::string_view v, size_t max_digits, uint64_t max) {
    if (v.empty() || v.size() > max_digits) return std::nullopt;
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n > max) return std::nullopt;
    return n;
}

// fo: "0" / "1" / "d" / "s", colon-separated.
bool valid_fo(std::string_view v) {
    bool ok = true;
    for_each_item(v, ':', [&](std::string_view item) {
        ok = ok && item.size() == 1 && std::string_view("01dsDS").find(item[0]) != std::string_view::npos;
    });
    return ok;
}

// rf: Keyword = ALPHA *(ALPHA / DIGIT), colon-separated (only "afrf" is defined).
bool valid_rf(std::string_view v) {
    bool ok = true;
    for_each_item(v, ':', [&](std::string_view item) {
        ok = ok && !item.empty() && is_alpha(item[0]);
        for (char c : item) ok = ok && (is_alpha(c) || is_digit(c));
    });
    return ok;
}

// A DMARC URI (6.4): an absolute URI (scheme ":" something), then maybe "!" size [k|m|g|t].
bool valid_uri(std::string_view uri) {
    const size_t bang = uri.rfind('!');
    if (bang != std::string_view::npos) {
        std::string_view size = uri.substr(bang + 1);
        if (!size.empty() && std::string_view("kmgtKMGT").find(size.back()) != std::string_view::npos)
            size.remove_suffix(1);
        if (!size.empty() && size.find_first_not_of("0123456789") == std::string_view::npos)
            uri = uri.substr(0, bang);
    }
    const size_t colon = uri.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon + 1 == uri.size() || !is_alpha(uri[0])) return false;
    for (char c : uri.substr(0, colon))
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    for (char c : uri)
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
    return true;
}

std::vector<std::string> parse_uris(std::string_view v) {
    std::vector<std::string> out;
    for_each_item(v, ',', [&](std::string_view item) {
        if (valid_uri(item)) out.emplace_back(item);
    });
    return out;
}

struct Tag {
    std::string name;   // lowercase
    std::string_view value;
};

bool valid_tag_name(std::string_view name) {
    if (name.empty() || !is_alpha(name[0])) return false;
    for (char c : name)
        if (!is_alpha(c) && !is_digit(c) && c != '_') return false;
    return true;
}

// The tag list: name=value pairs separated by ';', blanks around each part;
// empty parts (a trailing ';') are skipped.
Result<std::vector<Tag>> split_tags(std::string_view txt) {
    std::vector<Tag> tags;
    std::string error;
    for_each_item(txt, ';', [&](std::string_view part) {
        if (part.empty() || !error.empty()) return;
        const size_t eq = part.find('=');
        const std::string_view name = trim(part.substr(0, eq));
        if (eq == std::string_view::npos || !valid_tag_name(name)) {
            error = "malformed tag \"" + std::string(part.substr(0, 40)) + "\"";
            return;
        }
        tags.push_back({util::ascii_lower(name), trim(part.substr(eq + 1))});
    });
    if (!error.empty()) return make_error(error);
    return tags;
}

// One tag other than v= into `r`; `p_ok`/`sp_ok` track the two whose
// invalidity 6.6.3 step 6 cares about.
void apply_tag(Record& r, const Tag& t, bool& p_ok, bool& sp_ok) {
    const std::string_view v = t.value;
    if (t.name == "p") {
        if (auto p = parse_policy(v)) {
            r.p = *p;
            p_ok = true;
        }
    } else if (t.name == "sp") {
        r.sp = parse_policy(v);
        sp_ok = r.sp.has_value();
    } else if (t.name == "np") {
        r.np = parse_policy(v);
    } else if (t.name == "adkim") {
        r.adkim = parse_alignment(v).value_or(Alignment::kRelaxed);
    } else if (t.name == "aspf") {
        r.aspf = parse_alignment(v).value_or(Alignment::kRelaxed);
    } else if (t.name == "pct") {
        r.pct = static_cast<int>(parse_number(v, 3, 100).value_or(100));
    } else if (t.name == "fo") {
        if (valid_fo(v)) r.fo = util::ascii_lower(v);
    } else if (t.name == "rf") {
        if (valid_rf(v)) r.rf = util::ascii_lower(v);
    } else if (t.name == "ri") {
        r.ri = static_cast<uint32_t>(parse_number(v, 10, UINT32_MAX).value_or(86400));
    } else if (t.name == "rua") {
        r.rua = parse_uris(v);
    } else if (t.name == "ruf") {
        r.ruf = parse_uris(v);
    }
}

}  // namespace

std::string_view policy_name(Policy p) {
    switch (p) {
        case Policy::kNone: return "none";
        case Policy::kQuarantine: return "quarantine";
        case Policy::kReject: return "reject";
    }
    return "none";
}

bool is_dmarc_record(std::string_view txt) {
    const size_t semi = txt.find(';');
    const std::string_view first = trim(txt.substr(0, semi));
    const size_t eq = first.find('=');
    return eq != std::string_view::npos && util::iequals(trim(first.substr(0, eq)), "v") &&
           trim(first.substr(eq + 1)) == "DMARC1";
}

Result<Record> parse_record(std::string_view txt) {
    if (!is_dmarc_record(txt)) return make_error("not a DMARC record: it does not start with v=DMARC1");
    auto tags = split_tags(txt);
    if (!tags) return tags.error();
    Record r;
    bool p_ok = false;
    bool sp_ok = true;
    std::set<std::string> seen{"v"};
    for (const Tag& t : tags.value())
        if (seen.insert(t.name).second) apply_tag(r, t, p_ok, sp_ok);
    if (!p_ok || !sp_ok) {
        if (r.rua.empty()) return make_error(p_ok ? "invalid sp= tag" : "no valid p= tag");
        // 6.6.3 step 6: act as if the record were "v=DMARC1; p=none" (its rua kept).
        r.p = Policy::kNone;
        r.sp.reset();
        r.np.reset();
        r.p_defaulted = true;
    }
    return r;
}

}  // namespace ringpost::dmarc
