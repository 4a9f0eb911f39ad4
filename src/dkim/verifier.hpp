// DKIM verification (RFC 6376 6, RFC 8463, RFC 8301): one result per
// DKIM-Signature field of a message, for Authentication-Results (RFC 8601
// 2.7.1) and DMARC.
//
// Three steps, so that the server can put each where it belongs:
//   prepare()     pure and cheap (reads the header section): parses each
//                 signature, decides the malformed and the expired ones;
//   fetch_keys()  on the ring: the TXT records at s._domainkey.d, all at
//                 once, through a dns::Lookup (the ring's caching resolver);
//   finish()      pure CPU, any thread: canonicalizes and hashes the body
//                 (the costly part for a large message: ~3 ms per MB),
//                 checks the signatures (RSA-2048 ~40 µs, Ed25519 ~60 µs).
// verify() runs the three in a row. The server's filter is meant to run
// prepare() and fetch_keys() on the ring and finish() on the blocking pool,
// as the DKIM signer's filter does (src/server/dkim_filter.cpp).
//
// Choices:
//   * rsa-sha1 is checked, but a valid rsa-sha1 signature is "policy", not
//     "pass" (RFC 8301 3.1: verifiers MUST NOT consider it valid); an
//     invalid one is "fail". RSA keys under 1024 bits: "policy" (RFC 8301 3.2).
//   * l=: verified over the first l= bytes of the canonical body; when
//     that is less than the whole body the Verification says
//     body_length_limited (the result may still be pass), so that DMARC or
//     a local policy can refuse to count it: whatever follows the signed
//     part was added by anybody (RFC 6376 8.2). An l= longer than the body
//     is "fail".
//   * x= in the past and t= in the future (both beyond kClockSkew):
//     "neutral": nothing is broken, but the signature is not taken.
//   * Malformed signatures and key records, a revoked key (empty p=), no
//     key record (NXDOMAIN, NODATA), a key that does not fit a=:
//     "permerror" with the reason. DNS failures: "temperror".
//   * t=y keys (testing) give their result with `testing` set: RFC 6376
//     3.6.1 asks that such mail be treated as unsigned, which is the
//     caller's policy.
//   * At most kMaxSignatures signatures are checked (the topmost, the most
//     recently added); the rest are not reported, as OpenDKIM and rspamd
//     cap them, so that a message with hundreds of signatures cannot make
//     hundreds of DNS queries and hashes.
//   * d= is not checked against the public suffix list: that is DMARC's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/signature.hpp"
#include "dns/dns_types.hpp"
#include "dns/lookup.hpp"
#include "io/task.hpp"

namespace ringpost::dkim {

class KeyRecordCache;

// The signatures checked per message; not a config key (yet): OpenDKIM's
// and rspamd's defaults are of the same order.
inline constexpr size_t kMaxSignatures = 5;
// Clock skew allowed to t= (in the future) and x= (in the past), seconds.
inline constexpr int64_t kClockSkew = 300;

// RFC 8601 2.7.1 results ("none" is the caller's: no signature at all).
enum class DkimResult : uint8_t { kPass, kFail, kNeutral, kPolicy, kTemperror, kPermerror };

// "pass", "fail", "neutral", "policy", "temperror", "permerror".
std::string_view result_name(DkimResult r);

struct Verification {
    DkimResult result = DkimResult::kPermerror;
    std::string reason;        // why, for the A-R comment and the log; "" for a plain pass
    std::string domain;        // d= (lower-case)
    std::string selector;      // s=
    std::string algorithm;     // a=
    std::string identity;      // i= ("@d" when absent)
    std::string b_prefix;      // the first 8 characters of b= (header.b, RFC 6008)
    bool body_length_limited = false;   // l= left part of the body unsigned
    bool testing = false;               // the key record says t=y
};

// One DKIM-Signature field on its way through the three steps.
struct PendingSignature {
    size_t field_index = 0;    // among the message's header fields
    Signature signature;
    Verification verification;
    bool decided = false;      // the result is known without a key (malformed, expired)
    std::string key_name;      // SELECTOR._domainkey.DOMAIN
    dns::RecordSet key;        // filled by fetch_keys()
};

struct VerificationJob {
    std::vector<PendingSignature> signatures;   // header order, at most kMaxSignatures
};

class Verifier {
public:
    struct Options {
        size_t max_signatures = kMaxSignatures;
        int64_t clock_skew = kClockSkew;
        // Key records read once per text (dkim/key_cache.hpp); null: every time.
        KeyRecordCache* key_cache = nullptr;
    };
    Verifier() : Verifier(Options{}) {}
    explicit Verifier(Options options) : options_(options) {}

    // Step 1: the signatures of `message` (header and body, CRLF or LF line
    // ends) at time `now` (Unix seconds). No signature: an empty job.
    VerificationJob prepare(std::string_view message, int64_t now) const;
    // Step 2: fetch every undecided signature's key, concurrently; each key
    // name is asked once. On the fetcher's ring; like any operation of the
    // runtime, the awaiting coroutine must not be destroyed while it waits
    // (the lookups write into its frame).
    io::Task<void> fetch_keys(VerificationJob& job, dns::Lookup& fetcher) const;
    // Step 3: the results, one per signature of the job, in header order.
    // `message` is the one given to prepare(). Any thread.
    std::vector<Verification> finish(std::string_view message, const VerificationJob& job) const;

    // All three. `message` must stay valid until the task completes.
    io::Task<std::vector<Verification>> verify(std::string_view message, dns::Lookup& fetcher, int64_t now) const;

private:
    Options options_;
};

}  // namespace ringpost::dkim
