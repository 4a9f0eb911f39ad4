// Shared by the connection-driver tests (proto, smtp, pop3, imap): the
// client end of a socketpair as a blocking socket on a test thread,
// optionally with a blocking OpenSSL client after STARTTLS, a socketpair
// whose other end a server coroutine takes, and a server TLS context over a
// fresh self-signed certificate.
#pragma once

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/task.hpp"
#include "tls/context.hpp"
#include "tls/context_holder.hpp"
#include "../tls/tls_test_util.hpp"

namespace ringpost::proto::testing {

// The client end of a socketpair, with blocking reads (10 s at most, so a
// broken server fails the test instead of hanging it).
class Client {
public:
    explicit Client(int fd) : fd_(fd) {
        timeval tv{10, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~Client() { close(); }
    void close() {
        if (ssl_) SSL_free(ssl_);
        if (ctx_) SSL_CTX_free(ctx_);
        ssl_ = nullptr;
        ctx_ = nullptr;
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    // The client side of a TLS handshake on the socket (blocking), the
    // server's certificate checked against `ca_file` and `host`. Bytes the
    // server sent before are dropped, as RFC 2595 asks of a client.
    bool start_tls(const std::string& ca_file, const std::string& host) {
        buf_.clear();
        pos_ = 0;
        ctx_ = SSL_CTX_new(TLS_client_method());
        if (!ctx_ || SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) return false;
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
        ssl_ = SSL_new(ctx_);
        SSL_set_fd(ssl_, fd_);
        SSL_set_tlsext_host_name(ssl_, host.c_str());
        SSL_set1_host(ssl_, host.c_str());
        return SSL_connect(ssl_) == 1;
    }
    std::string tls_version() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

    void send(std::string_view s) {
        while (!s.empty()) {
            ssize_t n = ssl_ ? SSL_write(ssl_, s.data(), int(s.size())) : ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
            if (n <= 0) return;
            s.remove_prefix(size_t(n));
        }
    }
    // One line without its CRLF; nullopt at EOF or timeout.
    std::optional<std::string> line() {
        for (;;) {
            size_t e = buf_.find("\r\n", pos_);
            if (e != std::string::npos) {
                std::string l = buf_.substr(pos_, e - pos_);
                pos_ = e + 2;
                return l;
            }
            if (!fill()) return std::nullopt;
        }
    }
    // The lines of a multi-line response up to ".", un-stuffed, each with CRLF.
    std::optional<std::string> multiline() {
        std::string body;
        for (;;) {
            auto l = line();
            if (!l) return std::nullopt;
            if (*l == ".") return body;
            if (!l->empty() && (*l)[0] == '.') l->erase(0, 1);
            body += *l;
            body += "\r\n";
        }
    }
    // True when the server closed the connection without sending anything more.
    bool closed_silently() {
        if (pos_ < buf_.size()) return false;
        char c;
        if (ssl_) {
            int r = SSL_read(ssl_, &c, 1);
            return r <= 0 && SSL_get_error(ssl_, r) != SSL_ERROR_WANT_READ;
        }
        return ::recv(fd_, &c, 1, 0) == 0;
    }

    // Exactly `n` bytes; nullopt at EOF or timeout.
    std::optional<std::string> bytes(size_t n) {
        while (buf_.size() - pos_ < n)
            if (!fill()) return std::nullopt;
        std::string d = buf_.substr(pos_, n);
        pos_ += n;
        return d;
    }

private:
    bool fill() {
        if (pos_ > (1u << 20)) {
            buf_.erase(0, pos_);
            pos_ = 0;
        }
        char tmp[65536];
        ssize_t n = ssl_ ? SSL_read(ssl_, tmp, int(sizeof tmp)) : ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf_.append(tmp, size_t(n));
        return true;
    }

    int fd_;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    std::string buf_;
    size_t pos_ = 0;
};

// A connected socketpair: the server's end goes to `serve` (a coroutine
// started on the current thread's ring), the client's end is returned.
template <class Serve>
int serve_socketpair(Serve&& serve) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    io::spawn(serve(sv[0]));
    return sv[1];
}

// A certificate for `host` and the listeners' context holder over it.
struct TlsSetup {
    tls::testing::Certs certs;
    std::unique_ptr<tls::ContextHolder> holder;
    explicit TlsSetup(const std::string& host) : certs(host) {
        auto ctx = tls::ServerContext::create(tls::testing::server_config(certs.cert, certs.key));
        EXPECT_TRUE(ctx.ok()) << (ctx.ok() ? "" : ctx.error().message);
        if (ctx.ok()) holder = std::make_unique<tls::ContextHolder>(ctx.value());
    }
};

}  // namespace ringpost::proto::testing
