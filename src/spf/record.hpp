// An SPF record (RFC 7208 4.5, 4.6, 5, 6, 12): picking the one "v=spf1"
// record among a name's TXT records, and parsing it whole before anything
// is evaluated, so that a syntax error anywhere is a permerror (4.6) even
// when an earlier mechanism would have matched.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spf/address.hpp"
#include "spf/result.hpp"

namespace ringpost::spf {

enum class Mechanism { kAll, kInclude, kA, kMx, kPtr, kIp4, kIp6, kExists };

struct Term {
    Mechanism mechanism = Mechanism::kAll;
    Result qualifier = Result::kPass;   // pass, fail, softfail or neutral
    std::string domain_spec;            // include/exists: required; a/mx/ptr: "" = the current domain
    unsigned cidr4 = 32;                // a, mx, ip4
    unsigned cidr6 = 128;               // a, mx, ip6
    Ip network;                         // ip4, ip6
};

struct Record {
    std::vector<Term> terms;
    std::string redirect;   // domain-spec of redirect=; "" = none
    std::string exp;        // domain-spec of exp=; "" = none
    bool has_all = false;   // an "all" anywhere: redirect is ignored (6.1)
};

// 4.5: the TXT records that are SPF records ("v=spf1" alone or followed by
// a space, case-insensitively).
std::vector<std::string_view> spf_records(const std::vector<std::string>& texts);

// The record, or nullopt with `error` set ("unknown mechanism 'moo'").
std::optional<Record> parse_record(std::string_view text, std::string& error);

// Whether `spec` is a valid domain-spec (7.1): a macro-string ending in a
// macro-expand or in "." toplabel (an optional trailing dot after it).
bool valid_domain_spec(std::string_view spec);

}  // namespace ringpost::spf
