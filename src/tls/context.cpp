// ServerContext and ClientContext (see context.hpp): SSL_CTX setup and the file errors.
#include "tls/context.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "tls/openssl_error.hpp"

namespace ringpost::tls {

const char* const kModernCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

namespace {

// Owns an SSL_CTX until it is handed to a context object.
struct CtxGuard {
    SSL_CTX* ctx;
    ~CtxGuard() {
        if (ctx) SSL_CTX_free(ctx);
    }
    SSL_CTX* release() { return std::exchange(ctx, nullptr); }
};

// Checked first so that the common mistakes (wrong path, wrong owner) read
// as "cannot read /etc/x.pem: No such file or directory" rather than as a
// chain of OpenSSL library messages.
Result<void> check_readable(const char* what, const std::string& path) {
    if (path.empty()) return make_error(std::string("tls: no ") + what + " configured", EINVAL);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return make_error(std::string("tls: cannot read ") + what + " " + path + ": " + std::strerror(e), e);
    }
    ::close(fd);
    return {};
}

Result<int> parse_version(const char* what, const std::string& text) {
    if (text == "TLSv1.2" || text == "1.2") return TLS1_2_VERSION;
    if (text == "TLSv1.3" || text == "1.3") return TLS1_3_VERSION;
    return make_error(std::string("tls: ") + what + " '" + text + "' not supported (TLSv1.2 or TLSv1.3)", EINVAL);
}

// Versions and ciphers, shared by both sides.
Result<void> apply_protocol(SSL_CTX* ctx, const std::string& min_version, const std::string& max_version,
                            const std::string& ciphers, const std::string& ciphersuites) {
    auto min = parse_version("min_version", min_version.empty() ? std::string("TLSv1.2") : min_version);
    if (!min) return min.error();
    int max = 0;   // 0 = the newest the library supports
    if (!max_version.empty()) {
        auto v = parse_version("max_version", max_version);
        if (!v) return v.error();
        max = *v;
        if (max < *min) return make_error("tls: max_version " + max_version + " is below min_version " + min_version, EINVAL);
    }
    if (SSL_CTX_set_min_proto_version(ctx, *min) != 1 || SSL_CTX_set_max_proto_version(ctx, max) != 1)
        return make_error("tls: cannot set protocol versions: " + drain_openssl_errors(), EINVAL);
    if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1)
        return make_error("tls: ciphers '" + ciphers + "': " + drain_openssl_errors(), EINVAL);
    if (!ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, ciphersuites.c_str()) != 1)
        return make_error("tls: ciphersuites '" + ciphersuites + "': " + drain_openssl_errors(), EINVAL);
    // Outside the handshake nothing is kept: the record buffers (about 34 KiB
    // a session) are freed whenever they are empty.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    return {};
}

std::string time_text(const ASN1_TIME* t) {
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string certificate_summary(SSL_CTX* ctx) {
    X509* cert = SSL_CTX_get0_certificate(ctx);
    if (!cert) return {};
    std::string subject;
    if (BIO* b = BIO_new(BIO_s_mem())) {
        X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
        char* p = nullptr;
        long n = BIO_get_mem_data(b, &p);
        if (n > 0) subject.assign(p, static_cast<size_t>(n));
        BIO_free(b);
    }
    return "subject=" + subject + " not_after=" + time_text(X509_get0_notAfter(cert));
}

}  // namespace

ServerContext::ServerContext(SSL_CTX* ctx, ServerConfig config, std::string summary)
    : ctx_(ctx), config_(std::move(config)), summary_(std::move(summary)) {}

ServerContext::~ServerContext() { SSL_CTX_free(ctx_); }

Result<std::shared_ptr<ServerContext>> ServerContext::create(const ServerConfig& config) {
    if (auto r = check_readable("certificate file", config.cert_file); !r) return r.error();
    if (auto r = check_readable("key file", config.key_file); !r) return r.error();

    ERR_clear_error();
    CtxGuard g{SSL_CTX_new(TLS_server_method())};
    if (!g.ctx) return make_error("tls: SSL_CTX_new: " + drain_openssl_errors(), ENOMEM);
    if (auto r = apply_protocol(g.ctx, config.min_version, config.max_version,
                                config.ciphers.empty() ? std::string(kModernCiphers) : config.ciphers,
                                config.ciphersuites);
        !r)
        return r.error();

    if (SSL_CTX_use_certificate_chain_file(g.ctx, config.cert_file.c_str()) != 1)
        return make_error("tls: cannot load certificate chain " + config.cert_file + ": " + drain_openssl_errors(),
                          EINVAL);
    if (SSL_CTX_use_PrivateKey_file(g.ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL already compares the key with the certificate here.
        unsigned long e = ERR_peek_last_error();
        if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            return make_error("tls: private key " + config.key_file + " does not match certificate " +
                                  config.cert_file,
                              EINVAL);
        }
        return make_error("tls: cannot load private key " + config.key_file + ": " + drain_openssl_errors(), EINVAL);
    }
    if (SSL_CTX_check_private_key(g.ctx) != 1)
        return make_error("tls: private key " + config.key_file + " does not match certificate " + config.cert_file +
                              ": " + drain_openssl_errors(),
                          EINVAL);

    // The client picks among the (all strong) ciphers: it knows whether it
    // has AES hardware. DHE parameters sized to the certificate's key.
    SSL_CTX_set_dh_auto(g.ctx, 1);
    // Resumption: a session-ID cache for TLS 1.2 clients that do not do
    // tickets, and (stateless) tickets, keyed per context, so a reload
    // simply starts new ones.
    SSL_CTX_set_session_cache_mode(g.ctx, SSL_SESS_CACHE_SERVER);
    static const unsigned char kSidContext[] = "ringpost";
    SSL_CTX_set_session_id_context(g.ctx, kSidContext, sizeof kSidContext - 1);
    SSL_CTX_sess_set_cache_size(g.ctx, 4096);
    SSL_CTX_set_timeout(g.ctx, 3600);
    SSL_CTX_set_num_tickets(g.ctx, 1);

    std::string summary = certificate_summary(g.ctx);
    return std::shared_ptr<ServerContext>(new ServerContext(g.release(), config, std::move(summary)));
}

ClientContext::ClientContext(SSL_CTX* ctx, ClientConfig config) : ctx_(ctx), config_(std::move(config)) {}

ClientContext::~ClientContext() { SSL_CTX_free(ctx_); }

Result<std::shared_ptr<ClientContext>> ClientContext::create(const ClientConfig& config) {
    if (!config.ca_file.empty()) {
        if (auto r = check_readable("CA file", config.ca_file); !r) return r.error();
    }
    ERR_clear_error();
    CtxGuard g{SSL_CTX_new(TLS_client_method())};
    if (!g.ctx) return make_error("tls: SSL_CTX_new: " + drain_openssl_errors(), ENOMEM);
    if (auto r = apply_protocol(g.ctx, config.min_version, config.max_version, config.ciphers, config.ciphersuites); !r)
        return r.error();

    if (config.ca_file.empty()) {
        if (SSL_CTX_set_default_verify_paths(g.ctx) != 1)
            return make_error("tls: cannot load the system trust store: " + drain_openssl_errors(), EINVAL);
    } else if (SSL_CTX_load_verify_locations(g.ctx, config.ca_file.c_str(), nullptr) != 1) {
        return make_error("tls: cannot load CA file " + config.ca_file + ": " + drain_openssl_errors(), EINVAL);
    }
    // Verification always runs (its result is logged); whether a failure
    // aborts the handshake is decided per connection (TlsStream::client).
    SSL_CTX_set_verify(g.ctx, SSL_VERIFY_NONE, nullptr);
    return std::shared_ptr<ClientContext>(new ClientContext(g.release(), config));
}

}  // namespace ringpost::tls
