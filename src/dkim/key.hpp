// DKIM signing keys (RFC 6376 3.3, RFC 8463): an RSA key (2048 bits or
// more recommended; 1024 accepted, as verifiers still take it) or an
// Ed25519 key, loaded from a PEM file, or generated with the DNS TXT record
// that publishes its public half (`ringpost dkim keygen`).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;

namespace ringpost::dkim {

enum class Algorithm : uint8_t { kRsaSha256, kEd25519Sha256 };

// "rsa-sha256" / "ed25519-sha256", as the a= tag writes it.
std::string_view algorithm_name(Algorithm a);

struct PkeyFree {
    void operator()(EVP_PKEY* key) const;
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* ctx) const;
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

class SigningKey {
public:
    // Reads a PEM private key (PKCS#8 or traditional RSA); an error names
    // the file and what is wrong (unreadable, not a key, an RSA key under
    // 1024 bits, a key type DKIM does not sign with).
    static Result<SigningKey> load(const std::string& path);
    // Generates a key: RSA of `rsa_bits` (1024..8192) or Ed25519.
    static Result<SigningKey> generate(Algorithm algorithm, unsigned rsa_bits = 2048);
    // Takes a key already in memory (PEM text); for tests and the config check.
    static Result<SigningKey> from_pem(std::string_view pem, const std::string& name);

    Algorithm algorithm() const { return algorithm_; }
    unsigned bits() const { return bits_; }
    EVP_PKEY* pkey() const { return key_.get(); }

    // The private key as PEM (PKCS#8), to write to a file of mode 0600.
    Result<std::string> private_pem() const;
    // The p= value of the key record: base64 of the SubjectPublicKeyInfo
    // (RSA) or of the raw 32-byte public key (Ed25519, RFC 8463 4.2).
    Result<std::string> public_key_base64() const;
    // The whole TXT record value: "v=DKIM1; k=rsa; p=...".
    Result<std::string> dns_record() const;

private:
    SigningKey(Pkey key, Algorithm algorithm, unsigned bits)
        : key_(std::move(key)), algorithm_(algorithm), bits_(bits) {}
    static Result<SigningKey> adopt(Pkey key, const std::string& name);

    Pkey key_;
    Algorithm algorithm_;
    unsigned bits_;
};

// A zone-file line for the record: `SELECTOR._domainkey.DOMAIN. IN TXT (...)`
// with the value split into strings of at most 255 bytes (RFC 1035 3.3.14).
std::string zone_file_line(std::string_view domain, std::string_view selector, std::string_view record);

}  // namespace ringpost::dkim
