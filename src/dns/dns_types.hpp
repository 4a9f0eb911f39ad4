// Value types shared by the resolver's parts: an address, an MX record, the
// failure classes (DnsStatus: permanent vs temporary, carried in
// Error::code), the result of an MX lookup, the outcome of one query
// (RecordSet, what the cache holds), and the resolver's options.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include "util/result.hpp"

namespace ringpost::dns {

// How a lookup ended. A failed lookup's Error::code holds kPermanent or
// kTemporary in the category "dns" (see status_of()); its message says what
// happened, e.g. "NXDOMAIN for x.test" or "DNS timeout for example.test (MX)".
enum class DnsStatus : int { kOk = 0, kPermanent = 1, kTemporary = 2 };

inline constexpr ErrorInfo kDnsErrors[] = {
    {"permanent DNS failure"},
    {"temporary DNS failure"},
};
inline const std::error_category& dns_category() noexcept {
    static const TableCategory category("dns", kDnsErrors);
    return category;
}
inline std::error_code make_error_code(DnsStatus s) noexcept { return {static_cast<int>(s), dns_category()}; }

inline Error dns_error(DnsStatus status, std::string message) {
    return Error{make_error_code(status), std::move(message)};
}
inline DnsStatus status_of(const Error& e) {
    return e.code == make_error_code(DnsStatus::kPermanent) ? DnsStatus::kPermanent : DnsStatus::kTemporary;
}

// The record types the resolver asks for.
enum QueryType : uint16_t { kTypeA = 1, kTypePtr = 12, kTypeMx = 15, kTypeTxt = 16, kTypeAaaa = 28 };

struct Address {
    std::string ip;   // text form: "192.0.2.1", "2001:db8::1"
    int family = 0;   // AF_INET or AF_INET6
    friend bool operator==(const Address&, const Address&) = default;
};

struct MxRecord {
    std::string host;         // lowercase, no trailing dot; "" is the root (null MX target)
    uint16_t preference = 0;
    friend bool operator==(const MxRecord&, const MxRecord&) = default;
};

// One MX host in delivery order, with its addresses (IPv6 first, then IPv4).
// A host whose addresses could not be found has none, and `status`/`error`
// say why; the other hosts are still usable.
struct MxHost {
    std::string name;
    uint16_t preference = 0;
    std::vector<Address> addresses;
    DnsStatus status = DnsStatus::kOk;
    std::string error;
};

struct MxResult {
    std::string domain;
    std::vector<MxHost> hosts;     // preference ascending, equal preferences shuffled
    bool implicit_mx = false;      // no MX records: the domain itself (RFC 5321 5.1)
    bool address_literal = false;  // the domain was an address literal like [192.0.2.1]
    bool partial = false;          // some host had no usable addresses
};

// What one query (name, type) produced.
// (Internal to the resolver, shared by its cache and the pure functions.)
enum class Outcome : uint8_t {
    kAnswer,     // records of the asked type
    kNoData,     // the name exists, no records of that type
    kNxDomain,   // the name does not exist
    kTemporary,  // timeout, SERVFAIL, REFUSED, connection refused, a CNAME loop, an invalid name, ...
};

struct RecordSet {
    Outcome outcome = Outcome::kTemporary;
    std::vector<MxRecord> mx;          // kAnswer of an MX query
    std::vector<Address> addresses;    // kAnswer of an A or AAAA query
    std::vector<std::string> texts;    // kAnswer of a TXT query: each record's strings joined
    std::vector<std::string> names;    // kAnswer of a PTR query: lowercase, no trailing dot
    std::string error;                 // failures: one line, e.g. "NXDOMAIN for x.test"
};

struct ResolverOptions {
    // "127.0.0.1:5353", "[::1]:53", "192.0.2.53" (port 53). Empty: /etc/resolv.conf.
    std::vector<std::string> servers;
    std::chrono::milliseconds timeout{2000};  // first try; c-ares doubles it per round
    int tries = 2;
    // Negative answers (NXDOMAIN/NODATA) without an SOA in the reply.
    std::chrono::seconds negative_ttl{300};
    std::chrono::seconds max_negative_ttl{3600};
    std::chrono::seconds max_ttl{86400};
    // Temporary failures (timeouts, SERVFAIL, ...); 0 = never cached.
    std::chrono::seconds temporary_failure_ttl{30};
    size_t cache_capacity = 10000;
    size_t max_mx_hosts = 10;                 // MX hosts resolved per domain
    // Tests: a fake clock for the cache, and a seed for the MX shuffle (0 = random).
    std::function<std::chrono::steady_clock::time_point()> clock;
    uint64_t seed = 0;
};

}  // namespace ringpost::dns

template <>
struct std::is_error_code_enum<ringpost::dns::DnsStatus> : std::true_type {};
