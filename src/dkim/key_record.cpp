#include "dkim/key_record.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dkim/tag_list.hpp"
#include "mail/header_block.hpp"
#include "util/ascii.hpp"
#include "util/base64.hpp"

namespace ringpost::dkim {
namespace {

// p= of k=rsa: a SubjectPublicKeyInfo, as everybody publishes it, or the bare
// PKCS#1 RSAPublicKey that RFC 6376 3.6.1's wording allows.
Pkey rsa_key(const std::string& der) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    Pkey key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
    if (!key) {
        p = reinterpret_cast<const unsigned char*>(der.data());
        key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size())));
    }
    if (key && EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) key.reset();
    ERR_clear_error();
    return key;
}

// p= of k=ed25519: the raw 32-byte public key (RFC 8463 4.2).
Pkey ed25519_key(const std::string& raw) {
    if (raw.size() != 32) return nullptr;
    Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()),
                                         raw.size()));
    ERR_clear_error();
    return key;
}

bool list_has(std::string_view list, std::string_view a, std::string_view b = {}) {
    for (auto item : split_colon_list(list))
        if (util::iequals(item, a) || (!b.empty() && util::iequals(item, b))) return true;
    return false;
}

Result<void> read_flags(const TagList& tags, KeyRecord& rec) {
    if (const auto* v = tags.find("v"); v && (tags.tags().front().name != "v" || *v != "DKIM1"))
        return make_error("v= of the key record is not a leading DKIM1");
    if (const auto* k = tags.find("k")) {
        if (*k == "ed25519") rec.type = KeyType::kEd25519;
        else if (*k != "rsa") return make_error("unknown key type k=" + std::string(*k));
    }
    if (const auto* s = tags.find("s"); s && !list_has(*s, "*", "email"))
        return make_error("the key is not for email (s=" + std::string(*s) + ")");
    if (const auto* t = tags.find("t")) {
        rec.testing = list_has(*t, "y");
        rec.strict = list_has(*t, "s");
    }
    if (const auto* h = tags.find("h"))
        for (auto name : split_colon_list(*h)) rec.hashes.push_back(util::ascii_lower(name));
    return {};
}

}  // namespace

Result<KeyRecord> parse_key_record(std::string_view text) {
    auto tags = TagList::parse(text);
    if (!tags) return make_error("malformed key record: " + tags.error().message);
    KeyRecord rec;
    if (auto flags = read_flags(*tags, rec); !flags) return flags.error();
    const std::string_view* p = tags->find("p");
    if (p == nullptr) return make_error("the key record has no p=");
    const std::string b64 = strip_fws(*p);
    if (b64.empty()) {
        rec.revoked = true;
        return rec;
    }
    std::string der;
    if (!base64::decode(b64, der)) return make_error("p= of the key record is not base64");
    rec.key = rec.type == KeyType::kEd25519 ? ed25519_key(der) : rsa_key(der);
    if (!rec.key)
        return make_error(rec.type == KeyType::kEd25519 ? "p= is not an Ed25519 public key" : "p= is not an RSA public key");
    rec.bits = static_cast<unsigned>(EVP_PKEY_get_bits(rec.key.get()));
    return rec;
}

std::string key_mismatch(const KeyRecord& key, SigAlgorithm alg) {
    const KeyType wanted = alg == SigAlgorithm::kEd25519Sha256 ? KeyType::kEd25519 : KeyType::kRsa;
    if (key.type != wanted) return "the key type (k=) does not match a=";
    if (key.hashes.empty()) return "";
    const std::string_view hash = alg == SigAlgorithm::kRsaSha1 ? "sha1" : "sha256";
    for (const auto& h : key.hashes)
        if (h == hash) return "";
    return "the key record's h= does not allow " + std::string(hash);
}

}  // namespace ringpost::dkim
