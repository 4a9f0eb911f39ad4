// TLS contexts: one ServerContext per listener (certificate, key, protocol
// versions, ciphers, session resumption) and one ClientContext for outbound
// delivery (trust store, versions, ciphers). Each wraps an SSL_CTX and is
// held by std::shared_ptr: a reload (SIGHUP) builds a new context and swaps
// the listener's pointer, while every TlsStream keeps the context it was
// created with alive until the session ends, so no session is dropped.
//
// create() reads files and so blocks: call it at startup or from the
// blocking pool, never on a ring thread in the middle of sessions. Errors
// never throw; they name the file and carry OpenSSL's reason.
//
// Server defaults: TLS 1.2 and 1.3 only (SSLv3/TLS 1.0/1.1 off), no
// compression, no renegotiation, the Mozilla "intermediate" TLS 1.2 cipher
// list (ECDHE/DHE with AES-GCM or ChaCha20-Poly1305) and OpenSSL's TLS 1.3
// suites, a server-side session cache and session tickets for resumption.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>

#include "util/result.hpp"

namespace ringpost::tls {

// Forward secrecy and AEAD only; the TLS 1.2 default of ServerContext.
extern const char* const kModernCiphers;

struct ServerConfig {
    std::string cert_file;       // PEM: the leaf first, then intermediates
    std::string key_file;        // PEM private key matching the leaf
    std::string min_version = "TLSv1.2";   // "TLSv1.2" or "TLSv1.3"
    std::string max_version;     // "" = the newest OpenSSL knows; or "TLSv1.2"/"TLSv1.3"
    std::string ciphers;         // TLS 1.2 cipher list; "" = kModernCiphers
    std::string ciphersuites;    // TLS 1.3 suites; "" = OpenSSL's default
};

class ServerContext {
public:
    static Result<std::shared_ptr<ServerContext>> create(const ServerConfig& config);
    ~ServerContext();
    ServerContext(const ServerContext&) = delete;
    ServerContext& operator=(const ServerContext&) = delete;

    SSL_CTX* native() const { return ctx_; }
    const ServerConfig& config() const { return config_; }
    // For the reload log line: "subject=CN=mx.example.org not_after=2036-01-01T00:00:00Z".
    const std::string& summary() const { return summary_; }

private:
    ServerContext(SSL_CTX* ctx, ServerConfig config, std::string summary);
    SSL_CTX* ctx_;
    ServerConfig config_;
    std::string summary_;
};

struct ClientConfig {
    std::string ca_file;         // PEM CA bundle; "" = the system trust store
    std::string min_version = "TLSv1.2";
    std::string max_version;
    // "" = OpenSSL's defaults (opportunistic TLS: wide interoperability
    // beats falling back to plain text).
    std::string ciphers;
    std::string ciphersuites;
};

// Outbound. The per-connection parts (SNI, the host name to verify, whether
// a failed verification aborts the handshake) are arguments of
// TlsStream::client, so one context serves every destination.
class ClientContext {
public:
    static Result<std::shared_ptr<ClientContext>> create(const ClientConfig& config);
    ~ClientContext();
    ClientContext(const ClientContext&) = delete;
    ClientContext& operator=(const ClientContext&) = delete;

    SSL_CTX* native() const { return ctx_; }
    const ClientConfig& config() const { return config_; }

private:
    ClientContext(SSL_CTX* ctx, ClientConfig config);
    SSL_CTX* ctx_;
    ClientConfig config_;
};

}  // namespace ringpost::tls
