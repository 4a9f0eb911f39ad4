// The DKIM public key record (RFC 6376 3.6.1, RFC 8463 4): the TXT value at
// SELECTOR._domainkey.DOMAIN, "v=DKIM1; k=rsa; p=<base64>", read into an
// OpenSSL public key with its flags. Pure; the fetch is the verifier's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dkim/key.hpp"
#include "dkim/signature.hpp"
#include "util/result.hpp"

namespace ringpost::dkim {

enum class KeyType : uint8_t { kRsa, kEd25519 };

struct KeyRecord {
    KeyType type = KeyType::kRsa;   // k=, rsa by default
    Pkey key;                       // null when revoked
    bool revoked = false;           // p= empty (RFC 6376 3.6.1)
    bool testing = false;           // t=y: the domain is testing DKIM
    bool strict = false;            // t=s: i= must be in d= itself, not a subdomain
    std::vector<std::string> hashes;   // h=, lower-cased; empty = any
    unsigned bits = 0;              // key size as OpenSSL gives it (RSA: the modulus)
};

// Parses a key record. Errors (the record is unusable, permerror): a
// malformed tag list, v= not first or not DKIM1, an unknown k=, s= without
// "*" or "email", no p=, a p= that is not base64 or not a public key of k='s
// type. A revoked key (empty p=) is not an error: `revoked` says it.
Result<KeyRecord> parse_key_record(std::string_view text);

// Whether a record's key can check a signature of algorithm `alg`: the key
// type matches and h= (if any) allows the hash. "" or the reason it cannot.
std::string key_mismatch(const KeyRecord& key, SigAlgorithm alg);

}  // namespace ringpost::dkim
