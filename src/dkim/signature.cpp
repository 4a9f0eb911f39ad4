#include "dkim/signature.hpp"

#include <limits>

#include "dkim/tag_list.hpp"
#include "mail/header_block.hpp"
#include "util/ascii.hpp"
#include "util/base64.hpp"

namespace ringpost::dkim {
namespace {


bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// A decimal tag value; values too large for the type are clamped (an l=
// or x= that large means "no limit" in practice). nullopt: not digits.
template <class T>
std::optional<T> parse_number(std::string_view s) {
    if (!all_digits(s)) return std::nullopt;
    constexpr T kMax = std::numeric_limits<T>::max();
    T v = 0;
    for (char c : s) {
        const T digit = static_cast<T>(c - '0');
        if (v > (kMax - digit) / 10) return kMax;
        v = static_cast<T>(v * 10 + digit);
    }
    return v;
}

std::optional<SigAlgorithm> algorithm_of(std::string_view a) {
    if (a == "rsa-sha256") return SigAlgorithm::kRsaSha256;
    if (a == "ed25519-sha256") return SigAlgorithm::kEd25519Sha256;
    if (a == "rsa-sha1") return SigAlgorithm::kRsaSha1;
    return std::nullopt;
}

std::optional<Canon> canon_of(std::string_view c) {
    if (c == "simple") return Canon::kSimple;
    if (c == "relaxed") return Canon::kRelaxed;
    return std::nullopt;
}

// c=header/body; "relaxed" alone is relaxed/simple (RFC 6376 3.5).
bool parse_canon(std::string_view c, Signature& sig) {
    const size_t slash = c.find('/');
    auto h = canon_of(util::ascii_lower(c.substr(0, slash)));
    auto b = slash == std::string_view::npos ? std::optional<Canon>(Canon::kSimple)
                                             : canon_of(util::ascii_lower(c.substr(slash + 1)));
    if (!h || !b) return false;
    sig.header_canon = *h;
    sig.body_canon = *b;
    return true;
}

// ftext of RFC 5322: printable US-ASCII except ":".
bool valid_field_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name)
        if (c < 33 || c > 126 || c == ':') return false;
    return true;
}

std::string parse_headers(std::string_view h, Signature& sig) {
    bool from = false;
    for (auto name : split_colon_list(h)) {
        if (!valid_field_name(name)) return "h= has an invalid field name";
        sig.headers.push_back(util::ascii_lower(name));
        from = from || sig.headers.back() == "from";
    }
    return from ? "" : "h= does not sign From (RFC 6376 5.4)";
}

// i= is [local-part] "@" domain, the domain d= or a subdomain of it.
std::string check_identity(const Signature& sig) {
    const size_t at = sig.identity.rfind('@');
    if (at == std::string::npos) return "i= has no \"@\"";
    const std::string domain = util::ascii_lower(std::string_view(sig.identity).substr(at + 1));
    const bool within = domain == sig.domain ||
                        (domain.size() > sig.domain.size() && domain.ends_with(sig.domain) &&
                         domain[domain.size() - sig.domain.size() - 1] == '.');
    return within ? "" : "i= domain is not d= or a subdomain of it";
}

bool base64_value(std::string_view value, std::string& out) {
    return base64::decode(strip_fws(value), out) && !out.empty();
}

bool has_dns_txt(std::string_view q) {
    for (auto method : split_colon_list(q))
        if (util::iequals(method, "dns/txt")) return true;
    return false;
}

// The report fields, taken as written before anything is checked.
void copy_report_tags(const TagList& tags, Signature& sig) {
    auto get = [&](std::string_view name) {
        const std::string_view* v = tags.find(name);
        return v ? std::string(*v) : std::string();
    };
    sig.domain = util::ascii_lower(get("d"));
    sig.selector = get("s");
    sig.algorithm = util::ascii_lower(get("a"));
    sig.identity = get("i");
    if (const std::string_view* b = tags.find("b")) sig.b_base64 = strip_fws(*b);
}

std::string check_required(const TagList& tags, Signature& sig) {
    for (const char* name : {"v", "a", "b", "bh", "d", "h", "s"})
        if (tags.find(name) == nullptr) return std::string("missing required tag ") + name + "=";
    if (*tags.find("v") != "1") return "unsupported version v=" + std::string(*tags.find("v"));
    auto alg = algorithm_of(sig.algorithm);
    if (!alg) return "unsupported algorithm a=" + sig.algorithm;
    sig.alg = *alg;
    if (!base64_value(*tags.find("b"), sig.b)) return "b= is not base64";
    if (!base64_value(*tags.find("bh"), sig.bh)) return "bh= is not base64";
    if (!valid_domain_name(sig.domain)) return "d= is not a domain name";
    if (!valid_domain_name(sig.selector)) return "s= is not a valid selector";
    return parse_headers(*tags.find("h"), sig);
}

std::string check_optional(const TagList& tags, Signature& sig) {
    if (const auto* c = tags.find("c"); c && !parse_canon(*c, sig))
        return "unsupported canonicalization c=" + std::string(*c);
    if (tags.find("i") == nullptr) sig.identity = "@" + sig.domain;
    else if (auto e = check_identity(sig); !e.empty()) return e;
    if (const auto* q = tags.find("q"); q && !has_dns_txt(*q)) return "q= offers no dns/txt";
    if (const auto* l = tags.find("l")) {
        sig.length = parse_number<uint64_t>(*l);
        if (!sig.length) return "l= is not a number";
    }
    if (const auto* t = tags.find("t")) {
        sig.timestamp = parse_number<int64_t>(*t);
        if (!sig.timestamp) return "t= is not a number";
    }
    if (const auto* x = tags.find("x")) {
        sig.expiration = parse_number<int64_t>(*x);
        if (!sig.expiration) return "x= is not a number";
        if (sig.timestamp && *sig.expiration < *sig.timestamp) return "x= is before t=";
    }
    return "";
}

}  // namespace

HashAlg hash_of(SigAlgorithm a) { return a == SigAlgorithm::kRsaSha1 ? HashAlg::kSha1 : HashAlg::kSha256; }

bool valid_domain_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    size_t label = 0;
    for (char c : name) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok || ++label > 63) return false;
    }
    return label > 0;
}

std::string parse_signature(std::string_view raw_field, Signature& sig) {
    const size_t colon = raw_field.find(':');
    if (colon == std::string_view::npos) return "not a header field";
    auto tags = TagList::parse(raw_field.substr(colon + 1));
    if (!tags) return "malformed tag list: " + tags.error().message;
    copy_report_tags(*tags, sig);
    if (auto e = check_required(*tags, sig); !e.empty()) return e;
    // RFC 6376 3.7: the value "including all surrounding whitespace" is
    // what is deleted when the field is hashed, so the span reaches back to
    // the '=' and on to the ';' or the field's end (its final CRLF too).
    const std::string_view* b = tags->find("b");
    size_t begin = static_cast<size_t>(b->data() - raw_field.data());
    size_t end = begin + b->size();
    while (begin > 0 && is_fws(raw_field[begin - 1])) --begin;
    while (end < raw_field.size() && is_fws(raw_field[end])) ++end;
    sig.b_offset = begin;
    sig.b_size = end - begin;
    return check_optional(*tags, sig);
}

}  // namespace ringpost::dkim
