// DMARC evaluation of one message (RFC 7489 6.6): the From domain, its
// policy found in DNS, whether SPF or a DKIM signature passed for an
// aligned domain, and the disposition the policy asks for after sp=/np=
// and pct=. SPF and DKIM are checked by their own code; their results come
// in here. What to do with the disposition is the caller's decision.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dmarc/author.hpp"
#include "dmarc/public_suffix.hpp"
#include "dmarc/record.hpp"
#include "dns/lookup.hpp"
#include "io/task.hpp"

namespace ringpost::dmarc {

enum class Status : uint8_t { kPass, kFail, kNone, kTempError, kPermError };
std::string_view status_name(Status s);   // "pass", "fail", "none", "temperror", "permerror"

struct SpfInput {
    bool pass = false;
    // The domain SPF checked: MAIL FROM's, or the HELO name when MAIL FROM was <>.
    std::string domain;
};

struct DkimInput {
    bool pass = false;
    std::string domain;                  // d=
    bool body_length_limited = false;    // the signature had l= shorter than the body
};

struct Inputs {
    Author author;
    SpfInput spf;
    std::vector<DkimInput> dkim;
    // RFC 7489 counts a DKIM pass with l= like any other; a receiver may
    // refuse it, since text can be appended after the signed part.
    bool count_length_limited_dkim = true;
};

// A percentile in [0, 100) for pct= sampling: uniform random in production,
// fixed in tests.
using Percentile = std::function<int()>;
Percentile random_percentile();

struct Verdict {
    Status status = Status::kNone;
    std::string header_from;     // the From domain ("" when unevaluable)
    std::string policy_domain;   // where the record was found
    bool organizational = false; // the record is the organizational domain's
    bool nonexistent = false;    // np= applied: the From domain does not exist (RFC 9091)
    Policy requested = Policy::kNone;    // p=, sp= or np=, whichever applies ("p=" in the comment)
    Policy disposition = Policy::kNone;  // what to do after pct= ("dis="; policy.dmarc)
    bool sampled = true;         // false: pct= left this failure out, one step milder
    bool spf_aligned = false;    // SPF passed for an aligned domain
    std::string dkim_aligned;    // d= of the first passing aligned signature; "" for none
    std::optional<Record> record;
    std::string reason;          // none, temperror, permerror: why
};

// Runs discovery and evaluation; `psl` and `dns` must outlive the task.
io::Task<Verdict> evaluate(dns::Lookup& dns, const PublicSuffixList& psl, Inputs in, Percentile percentile);

// The method's entry of an Authentication-Results field (RFC 8601; RFC 7489
// 11.2 registers header.from and policy.dmarc), e.g.
// "dmarc=fail (p=reject dis=quarantine) header.from=example.com policy.dmarc=quarantine".
std::string authres_entry(const Verdict& v);

}  // namespace ringpost::dmarc
