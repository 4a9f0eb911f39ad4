// MX logic as pure functions (no network): name normalisation, address
// literals, null MX detection (RFC 7505), MX ordering (preference ascending,
// equal preferences shuffled, RFC 5321 5.1), the decision what to resolve
// from an MX answer (list, implicit MX, or failure), and how A/AAAA outcomes
// and per-host results combine into one result or error.
#pragma once

#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dns/dns_types.hpp"
#include "util/result.hpp"

namespace ringpost::dns {

// Lowercase, without one trailing dot ("Example.TEST." -> "example.test").
std::string normalize_name(std::string_view name);

// "[192.0.2.1]", "[IPv6:2001:db8::1]" (RFC 5321 4.1.3), or a bare IP.
std::optional<Address> parse_ip_literal(std::string_view text);

// A null MX: a single MX record whose target is the root ("." / "").
bool is_null_mx(const std::vector<MxRecord>& records);

// Delivery order: preference ascending, ties in random order; root targets
// and repeated hosts (keeping the lowest preference) are dropped.
std::vector<MxRecord> order_mx(std::vector<MxRecord> records, std::mt19937_64& rng);

struct MxPlan {
    std::vector<MxRecord> targets;  // in delivery order, at most max_hosts
    bool implicit = false;          // no MX records: the domain itself, preference 0
};

// From the outcome of the MX query for `domain` (normalised): the hosts to
// resolve, or the error: null MX and NXDOMAIN are permanent, temporary
// failures temporary.
Result<MxPlan> plan_mx(const std::string& domain, const RecordSet& mx, std::mt19937_64& rng, size_t max_hosts);

// The addresses of `host` from its AAAA and A outcomes (IPv6 first). Any
// address wins; otherwise a temporary failure of either is temporary,
// NXDOMAIN and NODATA are permanent.
Result<std::vector<Address>> combine_addresses(const std::string& host, const RecordSet& aaaa, const RecordSet& a);

// The final check of an MX result: at least one host with an address, or
// an error (temporary if any host failed temporarily). Sets `partial`.
Result<MxResult> finish_mx(MxResult result);

}  // namespace ringpost::dns
