// From a c-ares status and reply to a RecordSet with its cache TTL; see reply.hpp.
#include "dns/reply.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/dns_message.hpp"
#include "dns/mx.hpp"

namespace ringpost::dns {
namespace {

constexpr int kMaxAddrs = 64;

std::chrono::seconds clamp(uint32_t ttl, std::chrono::seconds max) {
    return std::min(std::chrono::seconds(ttl), max);
}

std::string failure_text(int status, const std::string& name, uint16_t type) {
    std::string what = name + " (" + std::string(type_name(type)) + ")";
    switch (status) {
        case ARES_ENOTFOUND: return "NXDOMAIN for " + name;
        case ARES_ENODATA: return "no " + std::string(type_name(type)) + " records for " + name;
        case ARES_ETIMEOUT: return "DNS timeout for " + what;
        case ARES_ESERVFAIL: return "SERVFAIL for " + what;
        case ARES_EREFUSED: return "DNS query refused (REFUSED) for " + what;
        case ARES_ECONNREFUSED: return "DNS server refused the connection for " + what;
        case ARES_EBADNAME: return "invalid domain name " + name;
        case ARES_EDESTRUCTION:
        case ARES_ECANCELLED: return "DNS lookup cancelled (resolver shut down) for " + what;
        default: return std::string("DNS error for ") + what + ": " + ares_strerror(status);
    }
}

// Links of a CNAME chain followed before giving up (BIND stops a little
// over 16 as well); a longer chain is as broken as a loop.
constexpr size_t kMaxCnameChain = 16;

// Follows `name` through the answer's CNAMEs: "CNAME loop" when a name comes
// back, "CNAME chain too long" past kMaxCnameChain links, else empty (the
// chain ends, with or without records of the asked type).
std::string cname_chain_problem(const std::string& name, const MessageInfo& info) {
    std::vector<std::string> seen{name};
    std::string at = name;
    for (;;) {
        auto link = std::find_if(info.cnames.begin(), info.cnames.end(), [&](const auto& c) { return c.first == at; });
        if (link == info.cnames.end()) return {};
        at = link->second;
        if (std::find(seen.begin(), seen.end(), at) != seen.end()) return "CNAME loop";
        if (seen.size() > kMaxCnameChain) return "CNAME chain too long";
        seen.push_back(at);
    }
}

const void* raw_address(const ares_addrttl& t) { return &t.ipaddr; }
const void* raw_address(const ares_addr6ttl& t) { return &t.ip6addr; }

template <class Ttl>
void add_addresses(const Ttl* ttls, int n, int family, RecordSet& out, uint32_t& min_ttl) {
    char text[INET6_ADDRSTRLEN];
    for (int i = 0; i < n; ++i) {
        if (!::inet_ntop(family, raw_address(ttls[i]), text, sizeof text)) continue;
        out.addresses.push_back(Address{text, family});
        min_ttl = std::min(min_ttl, static_cast<uint32_t>(std::max(ttls[i].ttl, 0)));
    }
}

// TXT: a record's character-strings are one text (RFC 7208 3.3, RFC 6376
// 3.6.2.2); c-ares marks where each record starts.
int parse_texts(const unsigned char* abuf, int alen, RecordSet& out) {
    ares_txt_ext* txt = nullptr;
    int rc = ares_parse_txt_reply_ext(abuf, alen, &txt);
    if (rc != ARES_SUCCESS) return rc;
    for (ares_txt_ext* p = txt; p; p = p->next) {
        if (p->record_start || out.texts.empty()) out.texts.emplace_back();
        out.texts.back().append(reinterpret_cast<const char*>(p->txt), p->length);
    }
    ares_free_data(txt);
    return rc;
}

// PTR: c-ares lists every PTR target among the aliases.
int parse_names(const unsigned char* abuf, int alen, RecordSet& out) {
    hostent* host = nullptr;
    in_addr unused{};  // c-ares copies an address into the hostent; the names are what counts
    int rc = ares_parse_ptr_reply(abuf, alen, &unused, sizeof unused, AF_INET, &host);
    if (rc != ARES_SUCCESS) return rc;
    for (char** alias = host->h_aliases; alias && *alias; ++alias) out.names.push_back(normalize_name(*alias));
    if (out.names.empty() && host->h_name) out.names.push_back(normalize_name(host->h_name));
    ares_free_hostent(host);
    return rc;
}

// ARES_SUCCESS: parse the records of `type`.
Interpreted parse_answer(const std::string& name, uint16_t type, const unsigned char* abuf, int alen,
                         const ResolverOptions& options) {
    Interpreted r;
    MessageInfo info = inspect_message(abuf, static_cast<size_t>(alen));
    uint32_t min_ttl = info.min_answer_ttl.value_or(0);
    int rc = ARES_EBADRESP;
    if (type == kTypeMx) {
        ares_mx_reply* mx = nullptr;
        rc = ares_parse_mx_reply(abuf, alen, &mx);
        if (rc == ARES_SUCCESS) {
            for (ares_mx_reply* p = mx; p; p = p->next)
                r.records.mx.push_back(MxRecord{normalize_name(p->host), p->priority});
            ares_free_data(mx);
        }
    } else if (type == kTypeA) {
        ares_addrttl ttls[kMaxAddrs];
        int n = kMaxAddrs;
        rc = ares_parse_a_reply(abuf, alen, nullptr, ttls, &n);
        if (rc == ARES_SUCCESS) add_addresses(ttls, n, AF_INET, r.records, min_ttl);
    } else if (type == kTypeAaaa) {
        ares_addr6ttl ttls[kMaxAddrs];
        int n = kMaxAddrs;
        rc = ares_parse_aaaa_reply(abuf, alen, nullptr, ttls, &n);
        if (rc == ARES_SUCCESS) add_addresses(ttls, n, AF_INET6, r.records, min_ttl);
    } else if (type == kTypeTxt) {
        rc = parse_texts(abuf, alen, r.records);
    } else if (type == kTypePtr) {
        rc = parse_names(abuf, alen, r.records);
    }
    bool empty = r.records.mx.empty() && r.records.addresses.empty() && r.records.texts.empty() &&
                 r.records.names.empty();
    if (rc == ARES_ENODATA || (rc == ARES_SUCCESS && empty)) {
        // A chain that never ends is the server's trouble, not an answer
        // that the name has no such records: temporary, retried.
        if (std::string problem = cname_chain_problem(normalize_name(name), info); !problem.empty()) {
            r.records.outcome = Outcome::kTemporary;
            r.records.error = problem + " for " + name + " (" + std::string(type_name(type)) + ")";
            r.ttl = options.temporary_failure_ttl;
            return r;
        }
        // Answers of other types only (a CNAME chain ending nowhere): NODATA.
        r.records.outcome = Outcome::kNoData;
        r.records.error = failure_text(ARES_ENODATA, name, type);
        r.ttl = clamp(info.negative_ttl.value_or(static_cast<uint32_t>(options.negative_ttl.count())),
                      options.max_negative_ttl);
        return r;
    }
    if (rc != ARES_SUCCESS) {
        r.records.outcome = Outcome::kTemporary;
        r.records.error = "malformed DNS reply for " + name + " (" + std::string(type_name(type)) + "): " +
                          ares_strerror(rc);
        r.ttl = options.temporary_failure_ttl;
        return r;
    }
    r.records.outcome = Outcome::kAnswer;
    r.ttl = clamp(min_ttl, options.max_ttl);
    return r;
}

}  // namespace

std::string_view type_name(uint16_t type) {
    switch (type) {
        case kTypeA: return "A";
        case kTypeMx: return "MX";
        case kTypeAaaa: return "AAAA";
        case kTypeTxt: return "TXT";
        case kTypePtr: return "PTR";
        default: return "?";
    }
}

Interpreted interpret_reply(int status, const std::string& name, uint16_t type, const unsigned char* abuf, int alen,
                            const ResolverOptions& options) {
    if (status == ARES_SUCCESS && abuf && alen > 0) return parse_answer(name, type, abuf, alen, options);
    Interpreted r;
    r.records.error = failure_text(status, name, type);
    switch (status) {
        case ARES_ENODATA:
        case ARES_ENOTFOUND: {
            r.records.outcome = status == ARES_ENODATA ? Outcome::kNoData : Outcome::kNxDomain;
            MessageInfo info = inspect_message(abuf, abuf ? static_cast<size_t>(std::max(alen, 0)) : 0);
            uint32_t neg = info.negative_ttl.value_or(static_cast<uint32_t>(options.negative_ttl.count()));
            r.ttl = clamp(neg, options.max_negative_ttl);
            break;
        }
        case ARES_EDESTRUCTION:
        case ARES_ECANCELLED:
        case ARES_ENOMEM:
            r.records.outcome = Outcome::kTemporary;
            r.ttl = std::chrono::seconds(0);
            break;
        default:
            // Only a negative answer (NXDOMAIN, NODATA) says something final
            // about the name; timeouts, SERVFAIL, REFUSED, a name c-ares
            // cannot even put into a query (EBADNAME: a label over 63
            // octets, a name over 255), ... are retried.
            r.records.outcome = Outcome::kTemporary;
            r.ttl = options.temporary_failure_ttl;
            break;
    }
    return r;
}

}  // namespace ringpost::dns
