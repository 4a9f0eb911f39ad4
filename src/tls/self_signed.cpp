// First-start certificate generation (see self_signed.hpp).
#include "tls/self_signed.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "tls/openssl_error.hpp"
#include "util/ip_literal.hpp"

namespace ringpost::tls {
namespace {

struct Free {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(X509* p) const { X509_free(p); }
    void operator()(BIGNUM* p) const { BN_free(p); }
    void operator()(BIO* p) const { BIO_free(p); }
    void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

bool exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

using util::is_ip_literal;

Error openssl_failure(std::string_view step) {
    return make_error("tls: self-signed certificate: " + std::string(step) + ": " + drain_openssl_errors(), EINVAL);
}

// temp file in the same directory, fsync, rename over `path`.
Result<void> write_atomic(const std::string& path, std::string_view data, mode_t mode) {
    std::string tmp = path + ".tmp.XXXXXX";
    int fd = ::mkstemp(tmp.data());   // created 0600
    if (fd < 0) {
        int e = errno;
        return make_error("tls: cannot create " + tmp + ": " + std::strerror(e), e);
    }
    auto fail = [&](const char* what) {
        int e = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return make_error("tls: " + std::string(what) + " " + tmp + ": " + std::strerror(e), e);
    };
    if (::fchmod(fd, mode) != 0) return fail("cannot chmod");
    for (size_t off = 0; off < data.size();) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail("cannot write");
        }
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) return fail("cannot fsync");
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        return make_error("tls: cannot rename " + tmp + " to " + path + ": " + std::strerror(e), e);
    }
    return {};
}

std::string bio_text(BIO* b) {
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    return n > 0 ? std::string(p, static_cast<size_t>(n)) : std::string();
}

Result<void> add_extension(X509* cert, int nid, const std::string& value) {
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    Ptr<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, &v3, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return openssl_failure(std::string("extension ") + value);
    return {};
}

}  // namespace

Result<bool> ensure_self_signed(const std::string& cert_path, const std::string& key_path,
                                const std::string& hostname) {
    if (exists(cert_path) && exists(key_path)) return false;
    const std::string host = hostname.empty() ? std::string("localhost") : hostname;
    ERR_clear_error();

    Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
    if (!key) return openssl_failure("EC P-256 key generation");

    Ptr<X509> cert(X509_new());
    if (!cert || X509_set_version(cert.get(), 2) != 1) return openssl_failure("X509_new");
    // A random 127-bit positive serial (RFC 5280: at most 20 octets).
    Ptr<BIGNUM> serial(BN_new());
    if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
        return openssl_failure("serial number");
    // Valid from an hour ago (peers with a slow clock) for ten years.
    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600))
        return openssl_failure("validity");
    if (X509_set_pubkey(cert.get(), key.get()) != 1) return openssl_failure("public key");

    X509_NAME* name = X509_get_subject_name(cert.get());
    // CN is limited to 64 characters; the subjectAltName carries the name anyway.
    const std::string cn = host.size() <= 64 ? host : host.substr(0, 64);
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                                   -1, -1, 0) != 1 ||
        X509_set_issuer_name(cert.get(), name) != 1)
        return openssl_failure("subject name");

    const std::string san = (is_ip_literal(host) ? "IP:" : "DNS:") + host;
    for (auto [nid, value] : {std::pair<int, std::string>{NID_basic_constraints, "critical,CA:FALSE"},
                              {NID_key_usage, "critical,digitalSignature"},
                              {NID_ext_key_usage, "serverAuth"},
                              {NID_subject_alt_name, san},
                              {NID_subject_key_identifier, "hash"}}) {
        if (auto r = add_extension(cert.get(), nid, value); !r) return r.error();
    }
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return openssl_failure("signing");

    Ptr<BIO> key_bio(BIO_new(BIO_s_secmem()));
    Ptr<BIO> cert_bio(BIO_new(BIO_s_mem()));
    if (!key_bio || !cert_bio || PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                                          nullptr) != 1 ||
        PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1)
        return openssl_failure("PEM encoding");

    std::string key_pem = bio_text(key_bio.get());
    auto written = write_atomic(key_path, key_pem, 0600);
    OPENSSL_cleanse(key_pem.data(), key_pem.size());
    if (!written) return written.error();
    if (auto r = write_atomic(cert_path, bio_text(cert_bio.get()), 0644); !r) return r.error();
    return true;
}

}  // namespace ringpost::tls
