// The CPU part of verifying one DKIM signature (RFC 6376 6.1.2-6.1.3) once
// its key record is at hand: the key record read, the body hash compared,
// the header hash computed and the signature checked with OpenSSL. Pure;
// safe on any thread.
#pragma once

#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include "dkim/hashing.hpp"
#include "dkim/verifier.hpp"

namespace ringpost::dkim {

// Body hashes already computed for one message, so that signatures with
// the same canonicalization, hash and l= hash the body once.
class BodyHashCache {
public:
    explicit BodyHashCache(std::string_view body) : body_(body) {}
    Result<const BodyHash*> get(Canon canon, HashAlg alg, std::optional<uint64_t> limit);

private:
    struct Entry {
        Canon canon;
        HashAlg alg;
        std::optional<uint64_t> limit;
        BodyHash hash;
    };
    std::string_view body_;
    std::deque<Entry> entries_;   // deque: get() hands out pointers into it
};

// The result of an undecided signature of `fields` (the message's header
// fields), with its key record fetched into `pending.key`; the record read
// through `keys` when there is one.
Verification check_signature(const PendingSignature& pending, const std::vector<HeaderFieldRef>& fields,
                             BodyHashCache& bodies, KeyRecordCache* keys = nullptr);

// The signature field itself as hashed (RFC 6376 3.7): b='s value removed,
// canonicalized, without its final CRLF.
std::string canonical_signature_field(std::string_view raw, const Signature& sig);

}  // namespace ringpost::dkim
