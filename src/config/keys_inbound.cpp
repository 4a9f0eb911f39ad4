#include "config/keys_inbound.hpp"

#include "config/key_kinds.hpp"

namespace ringpost::config {
namespace {

using namespace kinds;

// The authserv-id is a token of the header field (RFC 8601 2.5): no
// blanks, no ';', no '(' or quotes that would start something else.
void check_authserv_id(const Reader& r, const std::string& key, const std::string& value) {
    for (char ch : value)
        if (ch <= 32 || ch >= 127 || std::string_view("()<>@,;:\\\"/[]?=").find(ch) != std::string_view::npos)
            r.fail(key, "expected a host name or other token, got " + quote(value));
}

}  // namespace

void add_inbound_keys(std::vector<Key>& t) {
    Key id = string("inbound.authserv_id", "who the Authentication-Results fields we add name as their author",
                    RP_FIELD(inbound.authserv_id), check_authserv_id);
    id.computed = "hostname";
    t.push_back(std::move(id));
    t.push_back(boolean("inbound.check_trusted",
                        "check mail from relay_networks and authenticated clients too (not only others')",
                        RP_FIELD(inbound.check_trusted)));
    t.push_back(choice("inbound.spf",
                       "SPF (RFC 7208): off, tag (Authentication-Results only), reject (fail gets 550 5.7.23)",
                       RP_FIELD(inbound.spf), {"off", "tag", "reject"}));
    t.push_back(choice("inbound.spf_temperror",
                       "an SPF temperror: accept (and tag), or tempfail (451 4.4.3: the client tries again)",
                       RP_FIELD(inbound.spf_temperror), {"accept", "tempfail"}));
    t.push_back(choice("inbound.spf_helo",
                       "when the HELO name is checked too: null_sender (MAIL FROM:<>, RFC 7208 2.3), always",
                       RP_FIELD(inbound.spf_helo), {"null_sender", "always"}));
    t.push_back(choice("inbound.dkim",
                       "DKIM verification (RFC 6376) of every signature: off, tag (Authentication-Results)",
                       RP_FIELD(inbound.dkim), {"off", "tag"}));
    t.push_back(choice("inbound.dmarc",
                       "DMARC (RFC 7489): off, tag (Authentication-Results), reject (a failure whose policy, "
                       "after pct=, is reject gets 550 5.7.1); needs spf and dkim on",
                       RP_FIELD(inbound.dmarc), {"off", "tag", "reject"}));
    t.push_back(choice("inbound.dmarc_quarantine",
                       "a DMARC failure whose policy, after pct=, is quarantine (or reject, when not refused): "
                       "tag (Authentication-Results only), junk (local recipients get it in their Junk mailbox); "
                       "nothing while dmarc is off",
                       RP_FIELD(inbound.dmarc_quarantine), {"tag", "junk"}));
}

}  // namespace ringpost::config
