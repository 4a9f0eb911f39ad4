#include "dkim/key.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "tls/openssl_error.hpp"
#include "util/base64.hpp"

namespace ringpost::dkim {
namespace {

using tls::drain_openssl_errors;

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};

}  // namespace

void PkeyFree::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
void PkeyCtxFree::operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }

std::string_view algorithm_name(Algorithm a) {
    return a == Algorithm::kEd25519Sha256 ? "ed25519-sha256" : "rsa-sha256";
}

Result<SigningKey> SigningKey::adopt(Pkey key, const std::string& name) {
    const int type = EVP_PKEY_get_base_id(key.get());
    if (type == EVP_PKEY_ED25519) return SigningKey(std::move(key), Algorithm::kEd25519Sha256, 256);
    if (type != EVP_PKEY_RSA)
        return make_error(name + ": not an RSA or Ed25519 private key (DKIM signs with rsa-sha256 or ed25519-sha256)");
    const int bits = EVP_PKEY_get_bits(key.get());
    // RFC 8301 3.2: verifiers must not accept keys under 1024 bits.
    if (bits < 1024) return make_error(name + ": RSA key of " + std::to_string(bits) + " bits; DKIM needs at least 1024 (2048 recommended)");
    return SigningKey(std::move(key), Algorithm::kRsaSha256, static_cast<unsigned>(bits));
}

Result<SigningKey> SigningKey::from_pem(std::string_view pem, const std::string& name) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return make_error(name + ": " + drain_openssl_errors());
    Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        ERR_clear_error();
        return make_error(name + ": no PEM private key in it");
    }
    return adopt(std::move(key), name);
}

Result<SigningKey> SigningKey::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(path + ": cannot read the DKIM key");
    std::ostringstream text;
    text << in.rdbuf();
    return from_pem(text.str(), path);
}

Result<SigningKey> SigningKey::generate(Algorithm algorithm, unsigned rsa_bits) {
    EVP_PKEY* raw = nullptr;
    if (algorithm == Algorithm::kEd25519Sha256) {
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    } else {
        if (rsa_bits < 1024 || rsa_bits > 8192) return make_error("RSA key size must be 1024 to 8192 bits");
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
    }
    if (!raw) return make_error("key generation failed: " + drain_openssl_errors());
    return adopt(Pkey(raw), "generated key");
}

Result<std::string> SigningKey::private_pem() const {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return make_error("cannot write the private key: " + drain_openssl_errors());
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
}

Result<std::string> SigningKey::public_key_base64() const {
    std::string der;
    if (algorithm_ == Algorithm::kEd25519Sha256) {
        size_t len = 32;
        der.resize(len);
        if (EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(der.data()), &len) != 1)
            return make_error("cannot read the public key: " + drain_openssl_errors());
        der.resize(len);
    } else {
        const int len = i2d_PUBKEY(key_.get(), nullptr);
        if (len <= 0) return make_error("cannot encode the public key: " + drain_openssl_errors());
        der.resize(static_cast<size_t>(len));
        auto* p = reinterpret_cast<unsigned char*>(der.data());
        i2d_PUBKEY(key_.get(), &p);
    }
    std::string out;
    base64::encode(der, out);
    return out;
}

Result<std::string> SigningKey::dns_record() const {
    auto p = public_key_base64();
    if (!p) return p.error();
    return std::string("v=DKIM1; k=") + (algorithm_ == Algorithm::kEd25519Sha256 ? "ed25519" : "rsa") + "; p=" + *p;
}

std::string zone_file_line(std::string_view domain, std::string_view selector, std::string_view record) {
    std::string out;
    out.append(selector).append("._domainkey.").append(domain).append(". IN TXT (");
    for (size_t pos = 0; pos < record.size(); pos += 255) out.append(" \"").append(record.substr(pos, 255)).append("\"");
    out += " )";
    return out;
}

}  // namespace ringpost::dkim
