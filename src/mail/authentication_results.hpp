// The Authentication-Results header field (RFC 8601): rendering ours, with
// one entry per check (SPF, DKIM, DMARC, ...), and removing the ones a
// message arrives with that claim to come from us (RFC 8601 5: an MTA
// MUST remove, or rename, fields with its own authserv-id from mail it
// receives, or a sender could forge our verdicts).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ringpost::mail {

// One "ptype.property=value" (RFC 8601 2.3): "smtp.mailfrom", "header.d".
struct AuthProperty {
    std::string name;
    std::string value;
};

// One method's result (RFC 8601 2.7): "spf=pass smtp.mailfrom=a@example.org".
struct AuthMethodResult {
    std::string method;                   // "spf", "dkim", "dmarc"
    std::string result;                   // "pass", "fail", "temperror", ...
    std::string reason;                   // reason="..." when not empty
    std::vector<AuthProperty> properties;
};

// The whole field, "Authentication-Results: <id>;" and each result on a
// line of its own, folded at 78 columns between its pieces (a piece longer
// than a line stays whole: RFC 5322 allows 998), ending in CRLF. No results:
// "<id>; none" (RFC 8601 2.2).
std::string render_authentication_results(std::string_view authserv_id, const std::vector<AuthMethodResult>& results);

// The authserv-id of a field's value (comments skipped, a quoted-string
// unquoted); "" when there is none.
std::string authserv_id_of(std::string_view value);

// Removes from the header section of `message` (CRLF line ends) every
// Authentication-Results field whose authserv-id equals `authserv_id`
// (case-insensitively); returns how many it removed.
size_t remove_authentication_results(std::string& message, std::string_view authserv_id);

}  // namespace ringpost::mail
