#include "spf/evaluation.hpp"

#include <algorithm>

#include "dns/reverse.hpp"
#include "util/ascii.hpp"

namespace ringpost::spf {
namespace {

using DnsOutcome = dns::Outcome;

constexpr size_t kMaxNames = 10;   // MX names per mx, PTR names per ptr (4.6.4)

bool is_void(const dns::RecordSet& rs) { return rs.outcome == DnsOutcome::kNxDomain || rs.outcome == DnsOutcome::kNoData; }

std::string lower_without_dot(std::string name) {
    if (!name.empty() && name.back() == '.') name.pop_back();
    return util::ascii_lower(name);
}

// 7.3: an expanded name longer than 253 bytes loses labels on the left.
void truncate_left(std::string& name) {
    while (name.size() > 253) {
        const size_t dot = name.find('.');
        if (dot == std::string::npos) return;
        name.erase(0, dot + 1);
    }
}

bool ends_in(std::string_view name, std::string_view domain) {
    return name == domain || (name.size() > domain.size() && name.ends_with(domain) &&
                              name[name.size() - domain.size() - 1] == '.');
}

}  // namespace

bool queryable(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    size_t label = 0;
    for (char ch : name) {
        if (ch != '.') {
            if (++label > 63) return false;
            continue;
        }
        if (label == 0) return false;
        label = 0;
    }
    return label > 0;
}

io::Task<dns::RecordSet> Evaluation::query(std::string name, uint16_t type) {
    if (!queryable(name)) {
        // 4.3, 4.8: a name that cannot be asked for does not exist.
        dns::RecordSet rs;
        rs.outcome = DnsOutcome::kNxDomain;
        co_return rs;
    }
    ++queries_;
    auto looking = dns_.lookup(std::move(name), type);
    co_return co_await std::move(looking);
}

bool Evaluation::count_void(const dns::RecordSet& rs) { return !is_void(rs) || ++voids_ <= options_.max_void_lookups; }

io::Task<void> Evaluation::prepare(std::string text, std::string domain) {
    values_.domain = domain;
    if (!uses_validated_name(text)) co_return;
    auto validating = validated_names();
    std::vector<std::string> names = co_await std::move(validating);
    // 7.3: a name equal to or below <domain> if there is one.
    auto best = std::find_if(names.begin(), names.end(), [&](const std::string& n) { return ends_in(n, domain); });
    values_.validated = best != names.end() ? *best : names.empty() ? std::string() : names.front();
}

io::Task<std::string> Evaluation::target(std::string spec, std::string domain) {
    auto preparing = prepare(spec, std::move(domain));
    co_await std::move(preparing);
    std::string name = lower_without_dot(expand_macros(spec, MacroScope::kDomain, values_));
    truncate_left(name);
    co_return name;
}

io::Task<std::vector<std::string>> Evaluation::validated_names() {
    std::vector<std::string> out;
    auto ptr = dns::ptr_name(ip_text(values_.ip));
    if (!ptr) co_return out;
    auto asking = query(*ptr, dns::kTypePtr);
    dns::RecordSet names = co_await std::move(asking);
    if (names.outcome != DnsOutcome::kAnswer) co_return out;   // 5.5: a failed PTR lookup matches nothing
    const uint16_t type = values_.ip.v4 ? dns::kTypeA : dns::kTypeAaaa;
    for (size_t i = 0; i < names.names.size() && i < kMaxNames; ++i) {
        auto resolving = query(names.names[i], type);
        dns::RecordSet addresses = co_await std::move(resolving);
        for (const auto& a : addresses.addresses) {
            auto ip = client_ip(a.ip);
            if (ip && *ip == values_.ip) {
                out.push_back(lower_without_dot(names.names[i]));
                break;
            }
        }
    }
    co_return out;
}

io::Task<Evaluation::Step> Evaluation::address_match(std::string name, unsigned cidr4, unsigned cidr6) {
    auto asking = query(std::move(name), values_.ip.v4 ? dns::kTypeA : dns::kTypeAaaa);
    dns::RecordSet rs = co_await std::move(asking);
    if (rs.outcome == DnsOutcome::kTemporary) co_return fail(Result::kTempError, rs.error);
    if (!count_void(rs)) co_return fail(Result::kPermError, "more than 2 void lookups");
    for (const auto& a : rs.addresses) {
        auto ip = client_ip(a.ip);
        if (ip && in_network(values_.ip, *ip, values_.ip.v4 ? cidr4 : cidr6)) co_return match();
    }
    co_return no_match();
}

io::Task<Evaluation::Step> Evaluation::mx(const Term& term, std::string name) {
    auto asking = query(std::move(name), dns::kTypeMx);
    dns::RecordSet rs = co_await std::move(asking);
    if (rs.outcome == DnsOutcome::kTemporary) co_return fail(Result::kTempError, rs.error);
    if (!count_void(rs)) co_return fail(Result::kPermError, "more than 2 void lookups");
    if (rs.mx.size() > kMaxNames) co_return fail(Result::kPermError, "more than 10 MX records");
    for (const auto& record : rs.mx) {
        if (record.host.empty()) continue;   // a null MX (RFC 7505) has no address
        auto matching = address_match(record.host, term.cidr4, term.cidr6);
        Step step = co_await std::move(matching);
        if (step.matched || step.abort) co_return step;
    }
    co_return no_match();
}

io::Task<Evaluation::Step> Evaluation::include(std::string name) {
    auto checking = check(std::move(name));
    Outcome sub = co_await std::move(checking);
    switch (sub.result) {
        case Result::kPass: co_return match();
        case Result::kFail:
        case Result::kSoftFail:
        case Result::kNeutral: co_return no_match();
        case Result::kTempError: co_return fail(Result::kTempError, sub.problem);
        case Result::kNone: co_return fail(Result::kPermError, "include: no SPF record");   // 5.2
        case Result::kPermError: break;
    }
    co_return fail(Result::kPermError, sub.problem);
}

io::Task<Evaluation::Step> Evaluation::term(const Term& term, std::string domain) {
    if (term.mechanism == Mechanism::kAll) co_return match();
    if (term.mechanism == Mechanism::kIp4 || term.mechanism == Mechanism::kIp6)
        co_return in_network(values_.ip, term.network, term.network.v4 ? term.cidr4 : term.cidr6) ? match()
                                                                                                    : no_match();
    if (++dns_terms_ > options_.max_dns_terms) co_return fail(Result::kPermError, "more than 10 DNS lookups");
    auto expanding = target(term.domain_spec.empty() ? domain : term.domain_spec, domain);
    std::string name = co_await std::move(expanding);
    switch (term.mechanism) {
        case Mechanism::kInclude: {
            auto including = include(std::move(name));
            co_return co_await std::move(including);
        }
        case Mechanism::kA: {
            auto matching = address_match(std::move(name), term.cidr4, term.cidr6);
            co_return co_await std::move(matching);
        }
        case Mechanism::kMx: {
            auto matching = mx(term, std::move(name));
            co_return co_await std::move(matching);
        }
        case Mechanism::kExists: {
            auto asking = query(std::move(name), dns::kTypeA);   // A even for IPv6 clients (5.7)
            dns::RecordSet rs = co_await std::move(asking);
            if (rs.outcome == DnsOutcome::kTemporary) co_return fail(Result::kTempError, rs.error);
            if (!count_void(rs)) co_return fail(Result::kPermError, "more than 2 void lookups");
            co_return rs.outcome == DnsOutcome::kAnswer ? match() : no_match();
        }
        default: break;
    }
    auto validating = validated_names();   // ptr (5.5)
    std::vector<std::string> names = co_await std::move(validating);
    for (const auto& n : names)
        if (ends_in(n, name)) co_return match();
    co_return no_match();
}

io::Task<Outcome> Evaluation::evaluate(const Record& record, std::string domain) {
    for (const Term& t : record.terms) {
        auto stepping = term(t, domain);
        Step step = co_await std::move(stepping);
        if (step.abort) co_return step.outcome;
        if (step.matched) co_return Outcome{t.qualifier, {}, record.exp, domain};
    }
    if (record.redirect.empty() || record.has_all) co_return Outcome{Result::kNeutral, {}, record.exp, domain};
    if (++dns_terms_ > options_.max_dns_terms) co_return Outcome{Result::kPermError, "more than 10 DNS lookups", {}, {}};
    auto expanding = target(record.redirect, domain);
    std::string name = co_await std::move(expanding);
    auto checking = check(std::move(name));   // 6.1: the target's result, its own exp=
    Outcome sub = co_await std::move(checking);
    if (sub.result == Result::kNone) co_return Outcome{Result::kPermError, "redirect: no SPF record", {}, {}};
    co_return sub;
}

io::Task<Outcome> Evaluation::check(std::string domain) {
    auto asking = query(domain, dns::kTypeTxt);
    dns::RecordSet rs = co_await std::move(asking);
    if (rs.outcome == DnsOutcome::kTemporary) co_return Outcome{Result::kTempError, rs.error, {}, {}};
    const auto records = spf_records(rs.texts);
    if (records.empty()) co_return Outcome{Result::kNone, "no SPF record for " + domain, {}, {}};
    if (records.size() > 1) co_return Outcome{Result::kPermError, "more than one SPF record for " + domain, {}, {}};
    std::string error;
    auto record = parse_record(records.front(), error);
    if (!record) co_return Outcome{Result::kPermError, domain + ": " + error, {}, {}};
    auto evaluating = evaluate(*record, std::move(domain));
    co_return co_await std::move(evaluating);
}

io::Task<std::string> Evaluation::explain(Outcome outcome) {
    auto expanding = target(outcome.exp, outcome.exp_domain);
    std::string name = co_await std::move(expanding);
    auto asking = query(std::move(name), dns::kTypeTxt);
    dns::RecordSet rs = co_await std::move(asking);
    if (rs.outcome != DnsOutcome::kAnswer || rs.texts.size() != 1) co_return std::string();
    const std::string& text = rs.texts.front();
    if (!valid_macros(text, MacroScope::kExplanation)) co_return std::string();   // also non-ASCII (6.2/5)
    auto preparing = prepare(text, outcome.exp_domain);
    co_await std::move(preparing);
    co_return expand_macros(text, MacroScope::kExplanation, values_);
}

}  // namespace ringpost::spf
