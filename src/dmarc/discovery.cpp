#include "dmarc/discovery.hpp"

#include <vector>

namespace ringpost::dmarc {
namespace {

// A name longer than DNS allows cannot have a record (the resolver would
// call it a temporary failure, which would never clear).
constexpr size_t kMaxName = 253;

enum class Found { kRecord, kAbsent, kUnusable, kTempError };

struct Attempt {
    Found found = Found::kAbsent;
    Record record;
    std::string reason;
};

// The DMARC records among the TXT records of one _dmarc name.
Attempt choose(const dns::RecordSet& set, const std::string& name) {
    Attempt a;
    switch (set.outcome) {
        case dns::Outcome::kTemporary:
            a.found = Found::kTempError;
            a.reason = "DNS failure for " + name + (set.error.empty() ? "" : ": " + set.error);
            return a;
        case dns::Outcome::kNoData:
        case dns::Outcome::kNxDomain:
            a.reason = "no DMARC record";
            return a;
        case dns::Outcome::kAnswer: break;
    }
    std::vector<const std::string*> dmarc;
    for (const std::string& txt : set.texts)
        if (is_dmarc_record(txt)) dmarc.push_back(&txt);
    if (dmarc.empty()) {
        a.reason = "no DMARC record";
        return a;
    }
    a.found = Found::kUnusable;
    if (dmarc.size() > 1) {
        a.reason = "several DMARC records at " + name;
        return a;
    }
    auto parsed = parse_record(*dmarc.front());
    if (!parsed) {
        a.reason = "invalid DMARC record at " + name + ": " + parsed.error().message;
        return a;
    }
    a.found = Found::kRecord;
    a.record = std::move(parsed).value();
    return a;
}

io::Task<Attempt> query(dns::Lookup& dns, const std::string& domain) {
    std::string name = "_dmarc." + domain;
    if (name.size() > kMaxName) co_return Attempt{Found::kAbsent, {}, "no DMARC record"};
    dns::RecordSet set = co_await dns.lookup(name, dns::kTypeTxt);
    co_return choose(set, name);
}

Discovery finish(Attempt a, const std::string& domain, bool organizational) {
    Discovery d;
    d.reason = std::move(a.reason);
    if (a.found == Found::kTempError) d.status = Discovery::Status::kTempError;
    if (a.found != Found::kRecord) return d;
    d.status = Discovery::Status::kFound;
    d.record = std::move(a.record);
    d.domain = domain;
    d.organizational = organizational;
    return d;
}

}  // namespace

io::Task<Discovery> discover_policy(dns::Lookup& dns, std::string from_domain, std::string org_domain) {
    Attempt own = co_await query(dns, from_domain);
    if (own.found != Found::kAbsent || org_domain.empty() || org_domain == from_domain)
        co_return finish(std::move(own), from_domain, false);
    Attempt org = co_await query(dns, org_domain);
    co_return finish(std::move(org), org_domain, true);
}

}  // namespace ringpost::dmarc
