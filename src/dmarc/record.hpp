// A DMARC policy record (RFC 7489 6.3, np= from RFC 9091), parsed from the
// text of one TXT record.
//
// Parsed here rather than by Debian's libopendmarc (1.4.2): that library
// looks records up itself with the blocking resolver (we must not block a
// ring thread), keeps its own copy of the suffix list in process-wide
// state, and knows no np= tag (RFC 9091); its parser alone, reachable through
// opendmarc_policy_store_dmarc(), is less code than the glue it would need.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ringpost::dmarc {

enum class Policy : uint8_t { kNone, kQuarantine, kReject };
enum class Alignment : uint8_t { kRelaxed, kStrict };

std::string_view policy_name(Policy p);   // "none", "quarantine", "reject"

struct Record {
    Policy p = Policy::kNone;
    std::optional<Policy> sp;   // absent: p
    std::optional<Policy> np;   // absent: sp, else p (RFC 9091 4.1)
    Alignment adkim = Alignment::kRelaxed;
    Alignment aspf = Alignment::kRelaxed;
    int pct = 100;
    std::string fo = "0";
    std::string rf = "afrf";
    uint32_t ri = 86400;
    // Report addresses, kept for reporting (not sent yet): each URI as
    // written, a size limit ("!10m") included; invalid ones are dropped.
    std::vector<std::string> rua;
    std::vector<std::string> ruf;
    // p= was missing or invalid (or sp= invalid) and the record was taken
    // as p=none because it names a valid rua (RFC 7489 6.6.3 step 6).
    bool p_defaulted = false;

    Policy subdomain_policy() const { return sp.value_or(p); }
    Policy nonexistent_policy() const { return np.value_or(subdomain_policy()); }
};

// Whether a TXT record is a DMARC record at all: it starts with v=DMARC1
// (RFC 7489 6.6.3 step 2 discards the others before counting).
bool is_dmarc_record(std::string_view txt);

// Tag names and values are read case-insensitively (ABNF strings are),
// except DMARC1 itself, which "MUST match precisely". An error (the record
// gives no policy): v=DMARC1 not first, a tag without '=' or with a bad
// name, no valid p= (or an invalid sp=) without a valid rua. Unknown tags
// are ignored, and so is a repeated tag; an invalid value of another tag
// leaves its default (6.3: "discarded in favor of default values").
Result<Record> parse_record(std::string_view txt);

}  // namespace ringpost::dmarc
