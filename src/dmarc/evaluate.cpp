#include "dmarc/evaluate.hpp"

#include <random>

#include "dmarc/alignment.hpp"
#include "dmarc/discovery.hpp"

namespace ringpost::dmarc {
namespace {

void check_alignment(Verdict& v, const Inputs& in, const Record& r, const PublicSuffixList& psl) {
    v.spf_aligned = in.spf.pass && aligned(v.header_from, in.spf.domain, r.aspf, psl);
    for (const DkimInput& s : in.dkim) {
        if (!s.pass || (s.body_length_limited && !in.count_length_limited_dkim)) continue;
        if (aligned(v.header_from, s.domain, r.adkim, psl)) {
            v.dkim_aligned = normalize_domain(s.domain);
            return;
        }
    }
}

// RFC 9091 2.1: a domain does not exist when A, AAAA and MX all give
// NXDOMAIN or NODATA. A temporary failure counts as existing: the milder
// sp= rather than np= on a guess.
constexpr uint16_t kExistenceTypes[] = {dns::kTypeA, dns::kTypeAaaa, dns::kTypeMx};

io::Task<bool> domain_exists(dns::Lookup& dns, std::string domain) {
    for (uint16_t type : kExistenceTypes) {
        dns::RecordSet set = co_await dns.lookup(domain, type);
        if (set.outcome == dns::Outcome::kNxDomain) co_return false;   // no records of any type
        if (set.outcome != dns::Outcome::kNoData) co_return true;
    }
    co_return false;
}

// RFC 7489 6.6.4: a failure that pct= leaves out gets the next milder policy.
Policy sample(Verdict& v, Policy requested, int pct, const Percentile& percentile) {
    v.sampled = pct >= 100 || (pct > 0 && percentile() < pct);
    if (v.sampled) return requested;
    return requested == Policy::kReject ? Policy::kQuarantine : Policy::kNone;
}

}  // namespace

Percentile random_percentile() {
    return [] {
        thread_local std::mt19937 rng{std::random_device{}()};
        return std::uniform_int_distribution<int>(0, 99)(rng);
    };
}

io::Task<Verdict> evaluate(dns::Lookup& dns, const PublicSuffixList& psl, Inputs in, Percentile percentile) {
    Verdict v;
    if (!in.author.evaluable()) {
        v.status = Status::kPermError;
        v.reason = in.author.problem;
        co_return v;
    }
    v.header_from = in.author.domain;
    std::string org = psl.organizational_domain(v.header_from);
    Discovery found = co_await discover_policy(dns, v.header_from, org);
    if (found.status != Discovery::Status::kFound) {
        v.status = found.status == Discovery::Status::kTempError ? Status::kTempError : Status::kNone;
        v.reason = std::move(found.reason);
        co_return v;
    }
    const Record& r = found.record;
    v.policy_domain = found.domain;
    v.organizational = found.organizational;
    v.requested = found.organizational ? r.subdomain_policy() : r.p;
    check_alignment(v, in, r, psl);
    if (v.spf_aligned || !v.dkim_aligned.empty()) {
        v.status = Status::kPass;
    } else {
        v.status = Status::kFail;
        if (found.organizational && r.np && *r.np != v.requested) {
            const bool exists = co_await domain_exists(dns, v.header_from);
            if (!exists) {
                v.requested = *r.np;
                v.nonexistent = true;
            }
        }
        v.disposition = sample(v, v.requested, r.pct, percentile);
    }
    v.record = std::move(found.record);
    co_return v;
}

}  // namespace ringpost::dmarc
