#include "dkim/check.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <variant>

#include "dkim/key.hpp"
#include "dkim/key_cache.hpp"
#include "dkim/key_record.hpp"
#include "mail/header_block.hpp"
#include "util/ascii.hpp"

namespace ringpost::dkim {
namespace {

Verification with(Verification v, DkimResult result, std::string reason) {
    v.result = result;
    v.reason = std::move(reason);
    return v;
}

// The signature over `digest` (the hash of the signed header data):
// RSASSA-PKCS1-v1_5 over it, or PureEdDSA over it (RFC 8463 3).
bool signature_matches(EVP_PKEY* key, SigAlgorithm alg, const std::string& digest, const std::string& sig) {
    const auto* d = reinterpret_cast<const unsigned char*>(digest.data());
    const auto* s = reinterpret_cast<const unsigned char*>(sig.data());
    bool ok = false;
    if (alg == SigAlgorithm::kEd25519Sha256) {
        std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
        ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1 &&
             EVP_DigestVerify(ctx.get(), s, sig.size(), d, digest.size()) == 1;
    } else {
        PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
        const EVP_MD* md = alg == SigAlgorithm::kRsaSha1 ? EVP_sha1() : EVP_sha256();
        ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_signature_md(ctx.get(), md) == 1 &&
             EVP_PKEY_verify(ctx.get(), s, sig.size(), d, digest.size()) == 1;
    }
    ERR_clear_error();
    return ok;
}

using SharedKey = std::shared_ptr<const KeyRecord>;

// `text` read, through `keys` when there is one.
std::shared_ptr<const Result<KeyRecord>> read_key(std::string_view text, KeyRecordCache* keys) {
    if (keys) return keys->get(text);
    return std::make_shared<const Result<KeyRecord>>(parse_key_record(text));
}

// The first record of the answer that reads as a key (RFC 6376 6.1.2 lets
// the verifier pick among several), or the verdict when none is usable.
std::variant<SharedKey, Verification> usable_key(const PendingSignature& p, KeyRecordCache* keys) {
    const Verification& v = p.verification;
    switch (p.key.outcome) {
    case dns::Outcome::kTemporary:
        return with(v, DkimResult::kTemperror, "key lookup failed: " + p.key.error);
    case dns::Outcome::kNxDomain:
    case dns::Outcome::kNoData:
        return with(v, DkimResult::kPermerror, "no key record at " + p.key_name);
    case dns::Outcome::kAnswer:
        break;
    }
    std::string first_error = "no key record at " + p.key_name;
    for (size_t i = 0; i < p.key.texts.size(); ++i) {
        auto rec = read_key(p.key.texts[i], keys);
        if (*rec) return SharedKey(rec, &rec->value());
        if (i == 0) first_error = rec->error().message;
    }
    return with(v, DkimResult::kPermerror, first_error);
}

// What makes a readable key unfit for this signature.
std::optional<Verification> key_refusal(const PendingSignature& p, const KeyRecord& key) {
    const Signature& sig = p.signature;
    if (key.revoked) return with(p.verification, DkimResult::kPermerror, "key revoked (empty p=)");
    if (auto e = key_mismatch(key, sig.alg); !e.empty()) return with(p.verification, DkimResult::kPermerror, e);
    const std::string_view identity = p.verification.identity;
    if (key.strict && !util::iequals(identity.substr(identity.rfind('@') + 1), sig.domain))
        return with(p.verification, DkimResult::kPermerror, "i= is a subdomain of d= but the key says t=s");
    if (key.type == KeyType::kRsa && key.bits < 1024)
        return with(p.verification, DkimResult::kPolicy,
                    "RSA key of " + std::to_string(key.bits) + " bits (RFC 8301: at least 1024)");
    return std::nullopt;
}

// Body hash, then header hash and signature (RFC 6376 6.1.3), with a usable key.
Verification check_with_key(const PendingSignature& p, const KeyRecord& key, const std::vector<HeaderFieldRef>& fields,
                            BodyHashCache& bodies) {
    const Signature& sig = p.signature;
    Verification v = p.verification;
    v.testing = key.testing;
    auto body = bodies.get(sig.body_canon, hash_of(sig.alg), sig.length);
    if (!body) return with(v, DkimResult::kTemperror, body.error().message);
    const BodyHash& bh = **body;
    if (sig.length) {
        if (*sig.length > bh.canonical_size) return with(v, DkimResult::kFail, "l= is longer than the body");
        v.body_length_limited = *sig.length < bh.canonical_size;
    }
    if (bh.digest != sig.bh) return with(v, DkimResult::kFail, "body hash did not verify");
    std::string data;
    append_signed_fields(fields, sig.headers, sig.header_canon, data, p.field_index);
    data += canonical_signature_field(fields[p.field_index].raw, sig);
    Hasher h(hash_of(sig.alg));
    h.update(data);
    auto digest = h.finish();
    if (!digest) return with(v, DkimResult::kTemperror, digest.error().message);
    if (!signature_matches(key.key.get(), sig.alg, *digest, sig.b))
        return with(v, DkimResult::kFail, "signature did not verify");
    if (sig.alg == SigAlgorithm::kRsaSha1)
        return with(v, DkimResult::kPolicy, "rsa-sha1 signature verifies but is not accepted (RFC 8301)");
    return with(v, DkimResult::kPass, v.body_length_limited ? "l= leaves part of the body unsigned" : "");
}

}  // namespace

Result<const BodyHash*> BodyHashCache::get(Canon canon, HashAlg alg, std::optional<uint64_t> limit) {
    for (const auto& e : entries_)
        if (e.canon == canon && e.alg == alg && e.limit == limit) return &e.hash;
    auto h = body_hash(body_, canon, alg, limit);
    if (!h) return h.error();
    entries_.push_back({canon, alg, limit, std::move(h).value()});
    return &entries_.back().hash;
}

std::string canonical_signature_field(std::string_view raw, const Signature& sig) {
    std::string field(raw.substr(0, sig.b_offset));
    field.append(raw.substr(sig.b_offset + sig.b_size));
    std::string out;
    canonical_header(sig.header_canon, field, out);
    out.resize(out.size() - 2);   // canonical_header always ends in CRLF
    return out;
}

Verification check_signature(const PendingSignature& pending, const std::vector<HeaderFieldRef>& fields,
                             BodyHashCache& bodies, KeyRecordCache* keys) {
    auto key = usable_key(pending, keys);
    if (auto* verdict = std::get_if<Verification>(&key)) return std::move(*verdict);
    const KeyRecord& rec = *std::get<SharedKey>(key);
    if (auto refusal = key_refusal(pending, rec)) return std::move(*refusal);
    return check_with_key(pending, rec, fields, bodies);
}

}  // namespace ringpost::dkim
