// SPF (RFC 7208): check_host() for the MAIL FROM identity (2.4; the null
// reverse-path checks postmaster@<HELO>) and for the HELO identity (2.3),
// over a dns::Lookup. Every mechanism and modifier, macros, and the
// processing limits of 4.6.4: at most 10 terms that query DNS (include, a,
// mx, ptr, exists, redirect) per check, at most 2 void lookups (NXDOMAIN or
// NODATA), at most 10 MX names per mx (more: permerror) and 10 PTR names
// per ptr or %{p} (the rest ignored). A DNS failure other than NXDOMAIN is
// temperror; any syntax error in a record, permerror. For fail, the exp=
// text (6.2) is fetched, expanded and returned.
//
// Cost: one TXT query per record (the domain, each include and redirect)
// plus one query per a/exists, 1 + one per MX host for mx, 1 + one per
// PTR name for ptr; all through the resolver's cache.
#pragma once

#include <cstdint>
#include <string>

#include "dns/lookup.hpp"
#include "io/task.hpp"
#include "spf/result.hpp"

namespace ringpost::spf {

struct Request {
    std::string ip;       // the client's address, "192.0.2.1" or "2001:db8::1"
    std::string sender;   // MAIL FROM without brackets; "" = the null reverse-path
    std::string helo;     // the EHLO/HELO argument
};

struct Options {
    std::string receiver = "unknown";   // %{r}: our host name
    int64_t now = 0;                     // %{t}: Unix seconds
    unsigned max_dns_terms = 10;         // 4.6.4
    unsigned max_void_lookups = 2;
};

struct Verdict {
    Result result = Result::kNone;
    std::string domain;        // the domain checked: the sender's, or the HELO name
    std::string sender;        // the identity: local@domain ("postmaster@<helo>" for <> and HELO)
    std::string explanation;   // fail: the expanded exp= text; "" = none (use a default)
    std::string problem;       // permerror/temperror/none: what happened, for logs and reason=
    unsigned queries = 0;      // DNS lookups made (cached or not)
};

// The MAIL FROM identity; for the null sender, postmaster@<helo>.
io::Task<Verdict> check_mail_from(dns::Lookup& dns, Request request, Options options);
// The HELO identity: postmaster@<helo> (none for an address literal or a
// name that is not a domain).
io::Task<Verdict> check_helo(dns::Lookup& dns, Request request, Options options);

}  // namespace ringpost::spf
