// The delivery client's coroutine driver (see client_connection.hpp).
#include "delivery/client_connection.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "io/socket.hpp"
#include "tls/tls_metrics.hpp"
#include "tls/tls_stream.hpp"
#include "util/log.hpp"

namespace ringpost::delivery {
namespace {

// Binds `fd` to the source address `source` (port 0: the kernel's, which
// with IP_BIND_ADDRESS_NO_PORT it picks only at connect, per destination,
// so many connections from one source do not use up the ephemeral ports).
// bind(2) does not block: a plain syscall on the ring thread is fine
// (liburing 2.3 has no bind operation anyway).
Result<void> bind_source(int fd, const std::string& source, int family) {
    auto local = io::make_address(source, 0);
    if (!local) return make_error("source " + source + ": " + local.error().message);
    if (local->storage.ss_family != family)
        return make_error("source " + source + " cannot reach an IPv" + (family == AF_INET6 ? "6" : "4") + " address",
                          EAFNOSUPPORT);
    int one = 1;
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (::bind(fd, local->get(), local->length) != 0) {
        int e = errno;
        return make_error("bind to source " + source + ": " + std::strerror(e), e);
    }
    return {};
}

// Connects to `address` (by value: it must live in the coroutine frame),
// from `source` unless it is empty. Errors carry errno and a message like
// "connect to 192.0.2.1:25: Connection refused".
io::Task<Result<std::unique_ptr<io::Stream>>> connect_tcp(io::SocketAddress address, io::Duration timeout,
                                                          std::string source) {
    const std::string where = io::address_ip(address.storage) + ":" + std::to_string(io::address_port(address.storage));
    io::Fd fd(::socket(address.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        int e = errno;
        co_return make_error("socket for " + where + ": " + std::strerror(e), e);
    }
    if (!source.empty()) {
        if (auto bound = bind_source(fd.get(), source, address.storage.ss_family); !bound) co_return bound.error();
    }
    int rc = co_await io::connect(fd.get(), address.get(), address.length, timeout);
    if (rc < 0) {
        const int e = -rc;
        co_return make_error("connect to " + where + ": " + (e == ECANCELED ? "timed out" : std::strerror(e)), e);
    }
    // Commands are written whole; Nagle would only delay pipelined groups.
    io::set_nodelay(fd.get());
    co_return std::unique_ptr<io::Stream>(new io::PlainStream(std::move(fd)));
}

}  // namespace

Result<void> probe_source(const std::string& source) {
    auto local = io::make_address(source, 0);
    if (!local) return make_error("source " + source + ": " + local.error().message);
    io::Fd fd(::socket(local->storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        int e = errno;
        return make_error("socket for source " + source + ": " + std::strerror(e), e);
    }
    return bind_source(fd.get(), source, local->storage.ss_family);
}

io::Duration ClientTimeouts::for_kind(TimeoutKind kind) const {
    switch (kind) {
        case TimeoutKind::kInitial: return initial;
        case TimeoutKind::kCommand: return command;
        case TimeoutKind::kMail: return mail;
        case TimeoutKind::kRcpt: return rcpt;
        case TimeoutKind::kDataInit: return data_init;
        case TimeoutKind::kDataBlock: return data_block;
        case TimeoutKind::kDataTerm: return data_term;
    }
    return command;
}

Outcome connect_outcome(const Error& error) {
    int reply = reply_code_of(error);
    return reply >= 500 && reply < 600 ? Outcome::kFailed : Outcome::kDeferred;
}

ClientConnection::ClientConnection(std::unique_ptr<io::Stream> stream, ClientOptions options)
    : stream_(std::move(stream)),
      timeouts_(options.timeouts),
      close_timeout_(std::min(timeouts_.command, io::Duration(10000))),
      tls_context_(std::move(options.tls_context)),
      tls_policy_(options.session.tls),
      tls_host_(options.session.tls_host),
      session_([&] {
          ClientConfig c = std::move(options.session);
          // Without a TLS context opportunistic TLS cannot happen; a
          // required one still asks, and fails at the handshake step.
          if (!tls_context_ && c.tls == TlsPolicy::kMay) c.tls = TlsPolicy::kNone;
          return c;
      }()) {}

ClientConnection::~ClientConnection() = default;

io::Task<Result<std::unique_ptr<ClientConnection>>> ClientConnection::connect(std::string ip, uint16_t port,
                                                                              ClientOptions options) {
    auto address = io::make_address(ip, port);
    if (!address) co_return make_error("4.4.1 " + address.error().message);
    auto connecting = connect_tcp(*address, options.timeouts.connect, options.source_address);
    auto stream = co_await std::move(connecting);
    if (!stream) co_return make_error("4.4.1 " + stream.error().message);
    // A named task: no by-value aggregate argument may live inside the
    // co_await expression (g++ 12 mis-copies such temporaries).
    auto opening = open(std::move(stream.value()), std::move(options));
    co_return co_await std::move(opening);
}

io::Task<Result<std::unique_ptr<ClientConnection>>> ClientConnection::open(std::unique_ptr<io::Stream> stream,
                                                                           ClientOptions options) {
    std::unique_ptr<ClientConnection> c(new ClientConnection(std::move(stream), std::move(options)));
    co_await c->pump();
    if (c->usable()) {
        log::debug("client_ready", {{"greeting", c->session_.greeting()},
                                    {"esmtp", c->capabilities().esmtp ? 1 : 0},
                                    {"extensions", c->capabilities().flags}});
        co_return std::move(c);
    }
    // Refused, or gone, before a transaction could start.
    Error e;
    if (const auto& f = c->session_.failure()) {
        e.code = c->session_.tls_handshake_failed() ? make_error_code(kTlsHandshakeError) : reply_error_code(f->code);
        e.message = f->to_string();
    } else {
        e.message = "4.4.2 session ended before it was ready";
    }
    co_await c->close_stream();
    co_return e;
}

io::Task<void> ClientConnection::pump() {
    for (;;) {
        switch (session_.want()) {
            case ClientSession::Want::kWrite: {
                const io::Duration timeout = timeouts_.for_kind(session_.timeout_kind());
                std::string_view out = session_.output();
                int n = co_await stream_->write_some(out.data(), out.size(), timeout);
                if (n > 0) {
                    session_.written(static_cast<size_t>(n));
                } else if (n == -ETIME || n == -ECANCELED) {   // cancelled: ends like a timeout
                    session_.timed_out();
                } else {
                    session_.connection_lost(n == 0 ? "connection closed" : std::strerror(-n));
                }
                break;
            }
            case ClientSession::Want::kRead: {
                const io::Duration timeout = timeouts_.for_kind(session_.timeout_kind());
                int n = co_await stream_->recv(in_.data(), in_.size(), timeout);
                if (n > 0) {
                    session_.feed(std::string_view(in_.data(), static_cast<size_t>(n)));
                } else if (n == -ETIME || n == -ECANCELED) {   // cancelled: ends like a timeout
                    session_.timed_out();
                } else {
                    session_.connection_lost(n == 0 ? "connection closed by remote" : std::strerror(-n));
                }
                break;
            }
            case ClientSession::Want::kStartTls:
                co_await start_tls();
                break;
            case ClientSession::Want::kReady:
                co_return;
            case ClientSession::Want::kClosed:
                co_await close_stream();
                co_return;
        }
    }
}

io::Task<void> ClientConnection::start_tls() {
    if (!tls_context_) {
        session_.tls_failed("no TLS client context");
        co_return;
    }
    const int fd = stream_->release_fd();
    if (fd < 0) {
        session_.tls_failed("the stream cannot start TLS");
        co_return;
    }
    const bool verify = tls_policy_ == TlsPolicy::kVerify;
    auto tls = tls::TlsStream::client(fd, tls_context_, tls_host_, verify);   // owns fd from here
    if (!tls) {
        session_.tls_failed("cannot allocate a TLS session");
        co_return;
    }
    tls::TlsStream* raw = tls.get();
    // The emptied PlainStream is replaced at once: whatever happens next,
    // the socket is closed through the TLS stream.
    stream_ = std::move(tls);
    auto handshake = raw->handshake(timeouts_.command);
    auto done = co_await std::move(handshake);
    tls::count_handshake(tls::Direction::kOutbound, "smtp", done.ok());
    if (!done) {
        log::debug("client_tls_failed", {{"host", tls_host_}, {"error", done.error().message}});
        session_.tls_failed(done.error().message);
        co_return;
    }
    tls_.active = true;
    tls_.verified = raw->peer_verified();
    tls_.version = raw->tls_version();
    tls_.cipher = raw->tls_cipher();
    tls_.bits = raw->tls_cipher_bits();
    tls_.peer_host = tls_host_;
    log::debug("client_tls", {{"host", tls_host_},
                              {"version", tls_.version},
                              {"cipher", tls_.cipher},
                              {"verified", tls_.verified ? "yes" : "no"},
                              {"verify_error", raw->verify_error()}});
    session_.tls_started();
}

io::Task<void> ClientConnection::close_stream() {
    if (closed_) co_return;
    closed_ = true;
    co_await stream_->close(close_timeout_);
}

io::Task<TransactionResult> ClientConnection::run_transaction(Transaction tx) {
    if (!usable()) {
        // The connection ended earlier: nothing can be sent, nothing is lost.
        TransactionResult r;
        Diagnostic d;
        d.outcome = Outcome::kDeferred;
        d.enhanced = "4.4.2";
        d.text = "connection to remote no longer usable";
        if (const auto& f = session_.failure()) d.text += ": " + f->to_string();
        r.recipients.assign(tx.recipients.size(), d);
        r.final = d;
        co_return r;
    }
    session_.begin(std::move(tx));
    co_await pump();
    co_return session_.take_result();
}

io::Task<void> ClientConnection::quit() {
    if (usable()) {
        session_.quit();
        co_await pump();
    }
    co_await close_stream();
}

}  // namespace ringpost::delivery
