#include "config/keys_dkim.hpp"

#include <algorithm>

#include "config/key_kinds.hpp"

namespace ringpost::config {
namespace {

using namespace kinds;

// A selector is a dot-separated sequence of DNS labels of ASCII letters,
// digits and '-' (RFC 6376 3.1), because it becomes part of a DNS name.
bool valid_selector(std::string_view s) {
    if (s.empty() || s.size() > 200) return false;
    size_t label = 0;
    for (char ch : s) {
        if (ch == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-';
        if (!ok || ++label > 63) return false;
    }
    return label > 0;
}

// [dkim.domains]: "example.com" = ["ed2026", "rsa2026"].
Key domains_key() {
    Key k{"dkim.domains", "signing domain = [selectors]: mail From the domain or a subdomain is signed with each "
                          "key <key_dir>/DOMAIN/SELECTOR.pem"};
    k.is_table = true;
    k.read = [](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        auto& domains = c.dkim.domains;
        domains.clear();
        for (auto&& [domain_key, entry] : r.table(v, key)) {
            std::string domain(domain_key.str());
            const std::string item_key = key + "." + quote(domain);
            if (!valid_domain_chars(domain)) r.fail(item_key, "expected a domain name as the key");
            auto selectors = r.strings(entry, item_key);
            if (selectors.empty()) r.fail(item_key, "expected at least one selector");
            for (size_t i = 0; i < selectors.size(); ++i)
                if (!valid_selector(selectors[i]))
                    r.fail(item_key + "[" + std::to_string(i) + "]",
                           "expected a selector (letters, digits, '-', '.'), got " + quote(selectors[i]));
            domains.emplace_back(util::ascii_lower(domain), std::move(selectors));
        }
    };
    k.write = [](const Config& c) {
        std::string lines;
        for (const auto& [domain, selectors] : c.dkim.domains) lines += toml_string(domain) + " = " + toml_strings(selectors) + "\n";
        return lines;
    };
    return k;
}

// [dkim.users]: "alice@customer.example" = "esp.example".
Key users_key() {
    return login_table("dkim.users", "submission login = signing domain for all of its mail (one of [dkim.domains])",
                       RP_FIELD(dkim.users), [](const Reader& r, const toml::node& v, const std::string& key) {
                           std::string domain = util::ascii_lower(r.string(v, key));
                           if (!valid_domain_chars(domain)) r.fail(key, "expected a domain name, got " + quote(domain));
                           return domain;
                       });
}

void check_header_name(const Reader& r, const std::string& key, const std::string& name) {
    if (name.empty()) r.fail(key, "expected a header field name, got \"\"");
    for (char ch : name)
        if (ch <= 32 || ch >= 127 || ch == ':') r.fail(key, "expected a header field name, got " + quote(name));
}

}  // namespace

void add_dkim_keys(std::vector<Key>& t) {
    Key dir = string("dkim.key_dir", "where the signing keys are: DOMAIN/SELECTOR.pem below it",
                     RP_FIELD(dkim.key_dir), [](const Reader& r, const std::string& key, const std::string& value) {
                         if (value.empty()) r.fail(key, "expected a directory path, got \"\"");
                     });
    dir.computed = "<data_dir>/dkim";
    t.push_back(std::move(dir));
    t.push_back(choice("dkim.sign",
                       "whose mail is signed: trusted (relay_networks or AUTH), authenticated, submission (listeners)",
                       RP_FIELD(dkim.sign), {"trusted", "authenticated", "submission"}));
    Key headers = strings("dkim.headers", "header fields to sign (h=); [] = the built-in list, From signed twice",
                          RP_FIELD(dkim.headers), check_header_name);
    auto read_headers = headers.read;
    headers.read = [read_headers](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        read_headers(r, v, key, c);
        for (auto& h : c.dkim.headers) h = util::ascii_lower(h);
        const auto& h = c.dkim.headers;
        if (!h.empty() && std::find(h.begin(), h.end(), "from") == h.end())
            r.fail(key, "must include From (RFC 6376 5.4: a signature always covers it)");
    };
    t.push_back(std::move(headers));
    t.push_back(choice("dkim.canonicalization", "header/body canonicalization (RFC 6376 3.4)",
                       RP_FIELD(dkim.canonicalization),
                       {"relaxed/relaxed", "relaxed/simple", "simple/relaxed", "simple/simple"}));
    t.push_back(duration("dkim.expire_after", "signatures expire (x=) this long after signing; 0 = never",
                         RP_FIELD(dkim.expire_after), true));
    // Tables last: a plain key after them would reopen [dkim] in --defaults.
    t.push_back(domains_key());
    t.push_back(users_key());
}

}  // namespace ringpost::config
