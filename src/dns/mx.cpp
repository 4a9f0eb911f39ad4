// MX ordering, null MX, implicit MX and result combination; see mx.hpp.
#include "dns/mx.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace ringpost::dns {

std::string normalize_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::string out(name);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::optional<Address> parse_ip_literal(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        text = text.substr(1, text.size() - 2);
        if (text.size() > 5 && (text.substr(0, 5) == "IPv6:" || text.substr(0, 5) == "ipv6:")) text.remove_prefix(5);
    }
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    std::string s(text);
    unsigned char buf[16];
    char out[INET6_ADDRSTRLEN];
    if (::inet_pton(AF_INET, s.c_str(), buf) == 1) {
        ::inet_ntop(AF_INET, buf, out, sizeof out);
        return Address{out, AF_INET};
    }
    if (::inet_pton(AF_INET6, s.c_str(), buf) == 1) {
        ::inet_ntop(AF_INET6, buf, out, sizeof out);
        return Address{out, AF_INET6};
    }
    return std::nullopt;
}

namespace {
bool is_root(const std::string& host) { return host.empty() || host == "."; }
}  // namespace

bool is_null_mx(const std::vector<MxRecord>& records) {
    return records.size() == 1 && is_root(records.front().host);
}

std::vector<MxRecord> order_mx(std::vector<MxRecord> records, std::mt19937_64& rng) {
    for (auto& r : records) r.host = normalize_name(r.host);
    std::erase_if(records, [](const MxRecord& r) { return is_root(r.host); });
    std::stable_sort(records.begin(), records.end(),
                     [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
    std::unordered_set<std::string> seen;
    std::erase_if(records, [&seen](const MxRecord& r) { return !seen.insert(r.host).second; });
    for (auto first = records.begin(); first != records.end();) {
        auto last = std::find_if(first, records.end(),
                                 [p = first->preference](const MxRecord& r) { return r.preference != p; });
        std::shuffle(first, last, rng);
        first = last;
    }
    return records;
}

Result<MxPlan> plan_mx(const std::string& domain, const RecordSet& mx, std::mt19937_64& rng, size_t max_hosts) {
    switch (mx.outcome) {
        case Outcome::kAnswer: {
            if (is_null_mx(mx.mx))
                return dns_error(DnsStatus::kPermanent, "domain " + domain + " has a null MX (RFC 7505)");
            MxPlan plan;
            plan.targets = order_mx(mx.mx, rng);
            if (plan.targets.empty())
                return dns_error(DnsStatus::kPermanent, "domain " + domain + " has no usable MX records");
            if (plan.targets.size() > max_hosts) plan.targets.resize(max_hosts);
            return plan;
        }
        case Outcome::kNoData: {
            MxPlan plan;
            plan.targets.push_back(MxRecord{domain, 0});
            plan.implicit = true;
            return plan;
        }
        case Outcome::kNxDomain:
            return dns_error(DnsStatus::kPermanent, mx.error);
        case Outcome::kTemporary:
            break;
    }
    return dns_error(DnsStatus::kTemporary, mx.error);
}

Result<std::vector<Address>> combine_addresses(const std::string& host, const RecordSet& aaaa, const RecordSet& a) {
    std::vector<Address> out;
    if (aaaa.outcome == Outcome::kAnswer) out = aaaa.addresses;
    if (a.outcome == Outcome::kAnswer) out.insert(out.end(), a.addresses.begin(), a.addresses.end());
    if (!out.empty()) return out;
    for (const RecordSet* rs : {&aaaa, &a})
        if (rs->outcome == Outcome::kTemporary) return dns_error(DnsStatus::kTemporary, rs->error);
    for (const RecordSet* rs : {&aaaa, &a})
        if (rs->outcome == Outcome::kNxDomain)
            return dns_error(DnsStatus::kPermanent, rs->error);
    return dns_error(DnsStatus::kPermanent, "no A or AAAA records for " + host);
}

Result<MxResult> finish_mx(MxResult result) {
    const MxHost* first_temporary = nullptr;
    const MxHost* first_failed = nullptr;
    bool any_address = false;
    for (const MxHost& h : result.hosts) {
        if (!h.addresses.empty()) {
            any_address = true;
            continue;
        }
        if (!first_failed) first_failed = &h;
        if (!first_temporary && h.status == DnsStatus::kTemporary) first_temporary = &h;
    }
    result.partial = first_failed != nullptr;
    if (any_address) return result;
    if (!first_failed) return dns_error(DnsStatus::kPermanent, "domain " + result.domain + " has no MX hosts");
    const MxHost& why = first_temporary ? *first_temporary : *first_failed;
    DnsStatus status = first_temporary ? DnsStatus::kTemporary : DnsStatus::kPermanent;
    if (result.implicit_mx) {
        if (status == DnsStatus::kPermanent && why.error.rfind("no A or AAAA", 0) == 0)
            return dns_error(status, "domain " + result.domain + " has no MX, A or AAAA records");
        return dns_error(status, why.error);
    }
    return dns_error(status, "no MX host of " + result.domain + " has an address (" + why.name + ": " + why.error + ")");
}

}  // namespace ringpost::dns
