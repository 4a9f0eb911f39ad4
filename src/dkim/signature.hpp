// Reading one DKIM-Signature header field (RFC 6376 3.5, RFC 8463, RFC
// 8301) into its tags, checked for syntax: what a verifier needs before it
// fetches the key. Pure; no clock and no DNS (the expiry checks are the
// verifier's, as they need the time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/canonical.hpp"
#include "dkim/hashing.hpp"

namespace ringpost::dkim {

enum class SigAlgorithm : uint8_t { kRsaSha256, kRsaSha1, kEd25519Sha256 };

struct Signature {
    // What the report shows (Authentication-Results header.d/s/a/i/b), as
    // written; filled as far as the tag list could be read, even when the
    // signature is then found invalid.
    std::string domain;       // d=, lower-cased
    std::string selector;     // s=
    std::string algorithm;    // a=, lower-cased
    std::string identity;     // i=, "" when absent
    std::string b_base64;     // b= without whitespace

    // The rest, valid only when parse_signature() returned no error.
    SigAlgorithm alg = SigAlgorithm::kRsaSha256;
    std::string b;                      // signature bytes
    std::string bh;                     // body hash bytes
    Canon header_canon = Canon::kSimple;
    Canon body_canon = Canon::kSimple;
    std::vector<std::string> headers;   // h=, lower-cased, in order
    std::optional<uint64_t> length;     // l=
    std::optional<int64_t> timestamp;   // t=
    std::optional<int64_t> expiration;  // x=
    // Where b='s value lies in the raw field (offset, size), with the
    // whitespace around it: blanked out when the field itself is hashed
    // (RFC 6376 3.7).
    size_t b_offset = 0;
    size_t b_size = 0;
};

HashAlg hash_of(SigAlgorithm a);

// Parses `raw_field` ("DKIM-Signature: v=1; ..." with its folding and final
// line end). Returns "" when the signature is well-formed, else the reason
// it is not (the result is permerror): a malformed tag list, a missing or
// invalid required tag (v a b bh d h s), v= other than 1, an unknown a= or
// c=, h= without From, i= outside d=, q= without dns/txt, x= before t=.
std::string parse_signature(std::string_view raw_field, Signature& sig);

// Whether `name` is a syntactically valid domain name (letters, digits, "-"
// and "_" in labels of 1..63, 253 at most): d= and, dot-separated, s=.
bool valid_domain_name(std::string_view name);

}  // namespace ringpost::dkim
