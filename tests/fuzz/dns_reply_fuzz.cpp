// Fuzz target: what ringpost reads of a DNS reply (src/dns/reply.hpp and
// src/dns/dns_message.hpp): the walk over the raw message (rcode, TTLs,
// CNAME chains, the SOA of a negative answer), c-ares' record parsers
// behind interpret_reply, and the MX plan built from the records
// (src/dns/mx.hpp). The reply comes from the network, so any bytes must
// give an outcome with a bounded TTL. Byte 1 picks the query type (A, MX,
// AAAA) and the c-ares status the reply came with.
#include <ares.h>

#include <random>
#include <string>

#include "dns/dns_message.hpp"
#include "dns/mx.hpp"
#include "dns/reply.hpp"
#include "fuzz_input.hpp"

using namespace ringpost::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringpost::fuzz::FuzzInput in(data, size);
    std::string_view bytes = in.bytes();
    const auto* abuf = reinterpret_cast<const unsigned char*>(bytes.data());
    const int alen = static_cast<int>(bytes.size());

    MessageInfo info = inspect_message(abuf, bytes.size());
    if (info.valid) FUZZ_CHECK(info.rcode >= 0 && info.rcode <= 15);
    for (const auto& [owner, target] : info.cnames) FUZZ_CHECK(owner.size() <= 255 && target.size() <= 255);

    static const uint16_t kTypes[] = {kTypeA, kTypeMx, kTypeAaaa, kTypeMx};
    static const int kStatuses[] = {ARES_SUCCESS, ARES_ENODATA, ARES_ENOTFOUND, ARES_ESERVFAIL};
    const uint16_t type = kTypes[in.options() & 3];
    const int status = kStatuses[(in.options() >> 2) & 3];
    ResolverOptions options;
    const std::string name = "example.org";
    Interpreted r = interpret_reply(status, name, type, abuf, alen, options);
    FUZZ_CHECK(r.ttl.count() >= 0);
    FUZZ_CHECK(r.ttl <= options.max_ttl);
    if (r.records.outcome == Outcome::kAnswer) {
        FUZZ_CHECK(r.records.error.empty());
        if (type == kTypeMx) {
            std::mt19937_64 rng(1);
            auto plan = plan_mx(name, r.records, rng, options.max_mx_hosts);
            if (plan.ok()) FUZZ_CHECK(plan.value().targets.size() <= options.max_mx_hosts);
        } else {
            for (const Address& a : r.records.addresses) FUZZ_CHECK(parse_ip_literal(a.ip).has_value());
            RecordSet empty;
            empty.outcome = Outcome::kNoData;
            (void)combine_addresses(name, type == kTypeAaaa ? r.records : empty, type == kTypeA ? r.records : empty);
        }
    } else {
        FUZZ_CHECK(!r.records.error.empty());
    }
    return 0;
}
