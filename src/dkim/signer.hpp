// DKIM signing (RFC 6376 5, RFC 8463): the DKIM-Signature header fields for
// a message, one per signature (e.g. an RSA and an Ed25519 one of the same
// domain, so that verifiers that know Ed25519 use it and the others still
// find RSA). Pure computation over the message bytes, no I/O: the server
// runs it off the rings, once, when the message is accepted.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/canonical.hpp"
#include "dkim/key.hpp"
#include "util/result.hpp"

namespace ringpost::dkim {

// What is signed by default: the fields that a reader sees or that decide
// how the message is shown and answered, as OpenDKIM and KumoMTA sign them.
// Lower-case.
const std::vector<std::string>& default_signed_headers();
// Signed once more than they occur, so that nobody can add one to a signed
// message without breaking the signature (RFC 6376 8.15): From by default.
const std::vector<std::string>& default_oversigned_headers();

struct SignatureSpec {
    std::string domain;     // d=
    std::string selector;   // s=
    const SigningKey* key = nullptr;
    Canon header_canon = Canon::kRelaxed;
    Canon body_canon = Canon::kRelaxed;
    std::vector<std::string> headers = default_signed_headers();      // lower-case names
    std::vector<std::string> oversign = default_oversigned_headers();
    uint32_t expire_after = 0;   // x= this many seconds after t=; 0 = no x=
};

// The DKIM-Signature fields to put in front of `message` (header and body,
// CRLF line ends), in the order of `specs`; each ends in CRLF. `now` is the
// t= timestamp (Unix seconds). Errors: a message without a From field
// (RFC 6376 5.4: From must be signed), a spec without a key, a failure in
// OpenSSL.
Result<std::string> sign(std::string_view message, std::span<const SignatureSpec> specs, int64_t now);

}  // namespace ringpost::dkim
