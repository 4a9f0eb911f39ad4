// Fuzz target: SPF records and macros (src/spf) as a domain publishes them.
// The input is the TXT record of example.org and of inc.example.org (so an
// include: or redirect= of the latter recurses into it), checked with
// check_host() against an in-memory zone (tests/unit/dns/fake_zone.hpp);
// it is also parsed, and checked and expanded as an explain-string and as a
// domain-spec. Checks: a refused record says why; a valid macro string
// expands; an expanded explanation has no byte outside printable ASCII; the
// check ends with one of the seven results within the lookup limits.
#include <string>

#include "fake_zone.hpp"
#include "fuzz_input.hpp"
#include "spf/check_host.hpp"
#include "spf/macro.hpp"
#include "spf/record.hpp"

using namespace ringpost;

namespace {

bool printable(const std::string& s) {
    for (char ch : s)
        if (ch < 32 || ch > 126) return false;
    return true;
}

void check_macros(std::string_view text) {
    spf::MacroValues v;
    v.sender = "user@example.org";
    v.local = "user";
    v.sender_domain = "example.org";
    v.domain = "example.org";
    v.ip = *spf::client_ip("2001:db8::1");
    v.helo = "mx.example.net";
    for (auto scope : {spf::MacroScope::kDomain, spf::MacroScope::kExplanation}) {
        if (!spf::valid_macros(text, scope)) continue;
        const std::string out = spf::expand_macros(text, scope, v);
        FUZZ_CHECK(!out.empty() || text.empty());
        FUZZ_CHECK(printable(out));
    }
    (void)spf::valid_domain_spec(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::string error;
    auto record = spf::parse_record(text, error);
    FUZZ_CHECK(record.has_value() || !error.empty());
    check_macros(text);

    dns::test::FakeZone zone;
    for (const char* name : {"example.org", "inc.example.org"}) {
        zone.add(name, {dns::kTypeTxt, text});
        zone.add(name, {dns::kTypeA, "192.0.2.1"});
        zone.add(name, {dns::kTypeMx, "inc.example.org", 10});
    }
    zone.add("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
             {dns::kTypePtr, "inc.example.org"});
    zone.add("why.example.org", {dns::kTypeTxt, text});
    for (const char* ip : {"192.0.2.1", "2001:db8::1"}) {
        spf::Verdict v = dns::test::run_now(spf::check_mail_from(zone, {ip, "user@example.org", "mx.example.net"}, {}));
        FUZZ_CHECK(printable(v.explanation));
        FUZZ_CHECK(v.explanation.empty() || v.result == spf::Result::kFail);
        // At most 10 DNS terms, each at most 1 + 10 queries (mx, ptr), plus
        // the record lookups, %{p} and the explanation: far below 400.
        FUZZ_CHECK(zone.asked.size() < 400);
    }
    return 0;
}
