#include "config/keys_greylist.hpp"

#include "config/key_kinds.hpp"

namespace ringpost::config {
namespace {

using namespace kinds;

// Durations are kept in milliseconds (sub-second ones for tests); 49 days
// is the most a uint32_t of them holds with room to spare.
constexpr uint32_t kMaxGreylistMs = 49u * 86400 * 1000;

// A list of strings, each checked and then lower-cased: domains and
// addresses compare case-insensitively (RFC 5321 2.4).
template <class F>
Key lower_strings(std::string name, std::string help, F field, Check each) {
    Key k = strings(std::move(name), std::move(help), field, each);
    k.read = [field, each](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        auto list = r.strings(v, key);
        for (size_t i = 0; i < list.size(); ++i) {
            each(r, key + "[" + std::to_string(i) + "]", list[i]);
            list[i] = util::ascii_lower(list[i]);
        }
        field(c) = std::move(list);
    };
    return k;
}

void check_domain(const Reader& r, const std::string& key, const std::string& value) {
    if (!valid_domain_chars(value)) r.fail(key, "expected a domain name, got " + quote(value));
}

// "user@example.org" or "@example.org" (every user of the domain).
void check_recipient(const Reader& r, const std::string& key, const std::string& value) {
    const auto at = value.rfind('@');
    const bool ok = at != std::string::npos && valid_domain_chars(value.substr(at + 1)) &&
                    value.find_first_of(" \t<>") == std::string::npos;
    if (!ok) r.fail(key, "expected \"user@domain\" or \"@domain\", got " + quote(value));
}

// One line of printable text: it goes into the reply after the codes.
void check_reply(const Reader& r, const std::string& key, const std::string& value) {
    for (unsigned char ch : value)
        if (ch < 32 || ch == 127) r.fail(key, "expected one line of text without control characters");
    if (value.empty()) r.fail(key, "expected a text, got \"\"");
}

}  // namespace

void add_greylist_keys(std::vector<Key>& t) {
    t.push_back(boolean("greylist.enabled", "greylist mail from untrusted clients at RCPT TO (451 4.7.1, RFC 6647)",
                        RP_FIELD(greylist.enabled)));
    t.push_back(lower_strings("greylist.domains", "recipient domains greylisted; [] = every domain",
                              RP_FIELD(greylist.domains), check_domain));
    t.push_back(delay("greylist.delay", "a triplet's retry passes only this long after its first attempt",
                      RP_FIELD(greylist.delay_ms), kMaxGreylistMs));
    t.push_back(delay("greylist.retry_window",
                      "an unconfirmed triplet not retried (after delay) within this long of its first attempt starts over",
                      RP_FIELD(greylist.retry_window_ms), kMaxGreylistMs));
    t.push_back(delay("greylist.lifetime", "a confirmed triplet (and an auto-whitelisted client) passes until this long unused",
                      RP_FIELD(greylist.lifetime_ms), kMaxGreylistMs));
    t.push_back(networks("greylist.whitelist_networks", "client networks (CIDR) never greylisted",
                         RP_FIELD(greylist.whitelist_networks)));
    t.push_back(lower_strings("greylist.whitelist_recipients",
                              "recipients never greylisted: \"user@domain\" or \"@domain\"",
                              RP_FIELD(greylist.whitelist_recipients), check_recipient));
    t.push_back(integer("greylist.auto_whitelist_after",
                        "a client network that passed greylisting this many times is no longer greylisted; 0 = never",
                        RP_FIELD(greylist.auto_whitelist_after), 0, 1000000));
    t.push_back(integer("greylist.network_prefix_v4", "an IPv4 client's network in its triplets (/24 as postgrey)",
                        RP_FIELD(greylist.network_prefix_v4), 8, 32));
    t.push_back(integer("greylist.network_prefix_v6", "an IPv6 client's network in its triplets",
                        RP_FIELD(greylist.network_prefix_v6), 16, 128));
    t.push_back(integer("greylist.max_entries", "triplets and client counts kept (memory and store), the oldest dropped first",
                        RP_FIELD(greylist.max_entries), 100, 100000000));
    t.push_back(string("greylist.reply", "the 451 4.7.1 reply's text; \"%s\" = seconds until a retry passes",
                       RP_FIELD(greylist.reply), check_reply));
}

}  // namespace ringpost::config
