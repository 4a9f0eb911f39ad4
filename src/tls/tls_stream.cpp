// TlsStream (see tls_stream.hpp): the ring BIO, handshake, record I/O and flushing.
#include "tls/tls_stream.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <utility>

#include "io/ring.hpp"
#include "tls/openssl_error.hpp"
#include "util/ip_literal.hpp"

namespace ringpost::tls {
namespace {

// Waits until `fd` is readable, holding no buffer (how an idle TLS session
// waits). Results as the other operations: >= 0 (the poll mask), -ECANCELED
// when the linked timeout fired or the slot was cancelled.
struct PollInOp : io::OpAwaiter<PollInOp> {
    int fd;
    __kernel_timespec ts;
    bool timed;
    PollInOp(int f, io::Duration timeout) : fd(f), ts(io::to_timespec(timeout)), timed(timeout.count() > 0) {}
    unsigned sqes_needed() const { return timed ? 2 : 1; }
    void prepare(io::Ring& ring, io_uring_sqe* s) {
        io_uring_prep_poll_add(s, fd, POLLIN);
        if (timed) io::link_timeout(ring, s, &ts);
    }
};

PollInOp poll_in(int fd, io::Duration timeout, io::CancelSlot* slot) {
    PollInOp op{fd, timeout};
    op.slot = slot;
    return op;
}

// One time limit over several socket operations (a handshake, or a recv()
// that needs more than one read to complete a record).
struct Deadline {
    using Clock = std::chrono::steady_clock;
    Clock::time_point at{};
    bool set = false;
    explicit Deadline(io::Duration timeout) {
        if (timeout.count() > 0) {
            at = Clock::now() + timeout;
            set = true;
        }
    }
    bool passed() const { return set && Clock::now() >= at; }
    // For the next operation: 0 (no limit) when unset, at least 1 ms otherwise.
    io::Duration remaining() const {
        if (!set) return io::Duration{0};
        auto left = std::chrono::ceil<io::Duration>(at - Clock::now());
        return std::max(left, io::Duration{1});
    }
};

// A linked timeout completes the operation with -ECANCELED; the stream
// reports it as -ETIME unless the owner cancelled through the slot.
int timeout_as_etime(int r, const io::CancelSlot* slot) {
    return r == -ECANCELED && !(slot && slot->cancelled) ? -ETIME : r;
}

using util::is_ip_literal;

}  // namespace

// The BIO under every TlsStream's SSL: reads come from the receive buffer,
// writes go to the send buffer; "no data yet" is a retry, never an EOF
// (the stream tracks the socket's EOF itself).
struct BioGlue {
    static TlsStream* stream(BIO* b) { return static_cast<TlsStream*>(BIO_get_data(b)); }
    static int write(BIO* b, const char* data, int len) {
        BIO_clear_retry_flags(b);
        if (len <= 0) return 0;
        stream(b)->bio_write(data, len);
        return len;
    }
    static int read(BIO* b, char* out, int len) {
        BIO_clear_retry_flags(b);
        if (len <= 0) return 0;
        int n = stream(b)->bio_read(out, len);
        if (n == 0) {
            BIO_set_retry_read(b);
            return -1;
        }
        return n;
    }
    static long ctrl(BIO* b, int cmd, long, void*) {
        switch (cmd) {
            case BIO_CTRL_FLUSH:
            case BIO_CTRL_DUP:
                return 1;
            case BIO_CTRL_PENDING:
                return static_cast<long>(stream(b)->rend_ - stream(b)->rpos_);
            case BIO_CTRL_WPENDING:
                return static_cast<long>(stream(b)->out_.size());
            default:
                return 0;
        }
    }
    static int create(BIO* b) {
        BIO_set_init(b, 1);
        return 1;
    }
    static int destroy(BIO*) { return 1; }
    static BIO_METHOD* method() {
        static BIO_METHOD* m = [] {
            BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringpost ring BIO");
            if (bm) {
                BIO_meth_set_write(bm, &BioGlue::write);
                BIO_meth_set_read(bm, &BioGlue::read);
                BIO_meth_set_ctrl(bm, &BioGlue::ctrl);
                BIO_meth_set_create(bm, &BioGlue::create);
                BIO_meth_set_destroy(bm, &BioGlue::destroy);
            }
            return bm;
        }();
        return m;
    }
};

TlsStream::TlsStream(int fd, SSL* ssl, std::shared_ptr<const void> ctx)
    : fd_(fd), ssl_(ssl), ctx_(std::move(ctx)) {}

TlsStream::~TlsStream() { SSL_free(ssl_); }

std::unique_ptr<TlsStream> TlsStream::make(int fd, SSL_CTX* native, std::shared_ptr<const void> ctx) {
    ERR_clear_error();
    SSL* ssl = SSL_new(native);
    BIO* bio = BioGlue::method() ? BIO_new(BioGlue::method()) : nullptr;
    if (!ssl || !bio) {
        ERR_clear_error();
        if (ssl) SSL_free(ssl);
        if (bio) BIO_free(bio);
        io::Fd closing(fd);
        return nullptr;
    }
    std::unique_ptr<TlsStream> s(new TlsStream(fd, ssl, std::move(ctx)));
    BIO_set_data(bio, s.get());
    SSL_set_bio(ssl, bio, bio);   // one reference, owned by the SSL from now on
    return s;
}

std::unique_ptr<TlsStream> TlsStream::server(int fd, std::shared_ptr<ServerContext> ctx) {
    SSL_CTX* native = ctx->native();
    auto s = make(fd, native, std::move(ctx));
    if (s) SSL_set_accept_state(s->ssl_);
    return s;
}

std::unique_ptr<TlsStream> TlsStream::client(int fd, std::shared_ptr<ClientContext> ctx, std::string host,
                                             bool verify) {
    SSL_CTX* native = ctx->native();
    auto s = make(fd, native, std::move(ctx));
    if (!s) return s;
    s->is_client_ = true;
    s->verify_ = verify;
    s->host_ = std::move(host);
    SSL* ssl = s->ssl_;
    SSL_set_connect_state(ssl);
    bool ok = true;
    if (!s->host_.empty()) {
        if (is_ip_literal(s->host_)) {
            // RFC 6066: no IP literals in SNI; the certificate is checked for an IP SAN.
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), s->host_.c_str()) == 1;
        } else {
            SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ok = SSL_set_tlsext_host_name(ssl, s->host_.c_str()) == 1 && SSL_set1_host(ssl, s->host_.c_str()) == 1;
        }
    }
    if (!ok) {
        // A name OpenSSL will not take (e.g. too long): fail at handshake().
        s->failed_ = true;
        s->last_error_ = "TLS client setup for '" + s->host_ + "': " + drain_openssl_errors();
    }
    SSL_set_verify(ssl, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    return s;
}

int TlsStream::bio_read(char* out, int len) {
    size_t n = std::min(rend_ - rpos_, static_cast<size_t>(len));
    if (n == 0) return 0;
    std::memcpy(out, rbuf_.get() + rpos_, n);
    rpos_ += n;
    return static_cast<int>(n);
}

void TlsStream::bio_write(const char* data, int len) { out_.append(data, static_cast<size_t>(len)); }

void TlsStream::release_recv_buffer_if_drained() {
    if (rbuf_ && rpos_ == rend_) {
        rbuf_.reset();
        rpos_ = rend_ = 0;
    }
}

std::string TlsStream::failure_text(int ssl_error, std::string_view what) {
    std::string queue = drain_openssl_errors("");
    if (is_client_ && verify_) {
        long v = SSL_get_verify_result(ssl_);
        if (v != X509_V_OK) {
            return "certificate verification failed" + (host_.empty() ? std::string() : " for " + host_) + ": " +
                   X509_verify_cert_error_string(v);
        }
    }
    if (queue.empty()) {
        queue = ssl_error == SSL_ERROR_SYSCALL ? "unexpected end of stream" : "SSL error " + std::to_string(ssl_error);
    }
    return std::string(what) + ": " + queue;
}

io::Task<int> TlsStream::fill(io::Duration timeout, io::CancelSlot* slot, bool wait_first) {
    // Called when OpenSSL found the receive buffer empty.
    Deadline dl(timeout);
    if (wait_first) {
        int p = co_await poll_in(fd_.get(), dl.remaining(), slot);
        if (p < 0) co_return timeout_as_etime(p, slot);
    }
    if (!rbuf_) rbuf_.reset(new char[kRecvBuffer]);
    rpos_ = rend_ = 0;
    int n = co_await io::recv(fd_.get(), rbuf_.get(), kRecvBuffer, dl.remaining(), slot);
    if (n <= 0) {
        rbuf_.reset();
        recv_hot_ = false;
        if (n == 0) peer_eof_ = true;
        co_return timeout_as_etime(n, slot);
    }
    rend_ = static_cast<size_t>(n);
    recv_hot_ = rend_ == kRecvBuffer;
    co_return n;
}

io::Task<bool> TlsStream::flush(io::Duration timeout) {
    while (flushing_) {
        FlushWaiter wait{this};   // named: its address is linked into flush_waiters_
        co_await wait;
    }
    if (out_.empty()) co_return !send_failed_;
    if (send_failed_ || !fd_) {
        out_.clear();
        co_return false;
    }
    flushing_ = true;
    bool ok = true;
    // Whatever OpenSSL appends while a send is under way (the other
    // direction's coroutine) goes out in the next round.
    while (ok && !out_.empty()) {
        sending_.swap(out_);
        for (size_t off = 0; off < sending_.size();) {
            int n = co_await io::send(fd_.get(), sending_.data() + off, sending_.size() - off, timeout);
            if (n <= 0) {
                ok = false;
                break;
            }
            off += static_cast<size_t>(n);
        }
        sending_.clear();
    }
    if (!ok) send_failed_ = true;
    // An idle session keeps no send buffer.
    std::string().swap(out_);
    std::string().swap(sending_);
    flushing_ = false;
    for (FlushWaiter* w = std::exchange(flush_waiters_, nullptr); w; w = w->next) io::Ring::current()->schedule(w->handle);
    co_return ok;
}

io::Task<Result<void>> TlsStream::handshake(io::Duration timeout, io::CancelSlot* slot) {
    if (handshake_done_) co_return Result<void>();
    if (failed_ || !fd_) co_return make_error(last_error_.empty() ? "TLS handshake: stream unusable" : last_error_, EPROTO);
    Deadline dl(timeout);
    auto fail = [this](std::string text, int code) -> Result<void> {
        failed_ = true;
        last_error_ = text;
        release_recv_buffer_if_drained();
        return make_error(std::move(text), code);
    };
    for (;;) {
        ERR_clear_error();
        int r = SSL_do_handshake(ssl_);
        int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
        // Read the error queue now: other sessions on this thread use it
        // while this one waits.
        std::string why;
        if (r != 1 && err != SSL_ERROR_WANT_READ) why = failure_text(err, "TLS handshake failed");
        release_recv_buffer_if_drained();
        // Our flight, or the alert that explains a failure to the peer.
        if (!out_.empty()) {
            bool sent = co_await flush(dl.remaining());
            if (!sent && why.empty()) co_return fail("TLS handshake failed: the peer stopped reading", ECONNRESET);
        }
        if (r == 1) {
            handshake_done_ = true;
            co_return Result<void>();
        }
        if (err != SSL_ERROR_WANT_READ) co_return fail(std::move(why), EPROTO);
        if (peer_eof_) co_return fail("TLS handshake failed: connection closed by peer", ECONNRESET);
        if (dl.passed()) co_return fail("TLS handshake timed out", ETIME);
        int n = co_await fill(dl.remaining(), slot, false);
        if (n > 0) continue;
        if (n == 0) co_return fail("TLS handshake failed: connection closed by peer", ECONNRESET);
        if (n == -ETIME) co_return fail("TLS handshake timed out", ETIME);
        if (n == -ECANCELED) co_return fail("TLS handshake cancelled", ECANCELED);
        co_return fail(std::string("TLS handshake failed: ") + std::strerror(-n), -n);
    }
}

io::Task<int> TlsStream::recv(char* buf, size_t len, io::Duration timeout, io::CancelSlot* slot) {
    if (failed_) co_return -EPROTO;
    if (!fd_) co_return -EBADF;
    if (len == 0) co_return 0;
    Deadline dl(timeout);
    const int want = static_cast<int>(std::min(len, static_cast<size_t>(INT_MAX)));
    for (;;) {
        ERR_clear_error();
        int n = SSL_read(ssl_, buf, want);
        int err = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, n);
        std::string why;
        if (n <= 0 && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_ZERO_RETURN)
            why = failure_text(err, "TLS read failed");
        release_recv_buffer_if_drained();
        // Reads can produce output (a KeyUpdate reply, an alert). If a send
        // is running, it takes these bytes along in its next round.
        if (!out_.empty() && !flushing_) co_await flush(dl.remaining());
        if (n > 0) co_return n;
        switch (err) {
            case SSL_ERROR_ZERO_RETURN:   // close_notify
                co_return 0;
            case SSL_ERROR_WANT_READ: {
                if (peer_eof_) co_return 0;
                if (dl.passed()) co_return -ETIME;
                // An idle wait holds no buffer: poll first, unless the last
                // read filled the buffer (more is very likely waiting).
                int r = co_await fill(dl.remaining(), slot, !recv_hot_);
                if (r <= 0) co_return r;
                continue;
            }
            default:
                failed_ = true;
                last_error_ = std::move(why);
                co_return -EPROTO;
        }
    }
}

io::Task<bool> TlsStream::send_all(std::string& out, io::Duration timeout) {
    if (!handshake_done_ || failed_ || send_failed_ || !fd_) {
        out.clear();
        co_return false;
    }
    if (out.size() > kRecordPlaintext && out_.capacity() < kSendBatch + kRecvBuffer)
        out_.reserve(kSendBatch + kRecvBuffer);
    for (size_t off = 0; off < out.size();) {
        const size_t chunk = std::min(kRecordPlaintext, out.size() - off);
        ERR_clear_error();
        int n = SSL_write(ssl_, out.data() + off, static_cast<int>(chunk));
        if (n <= 0) {
            failed_ = true;
            last_error_ = failure_text(SSL_get_error(ssl_, n), "TLS write failed");
            out.clear();
            co_return false;
        }
        off += static_cast<size_t>(n);
        if (out_.size() >= kSendBatch) {
            bool sent = co_await flush(timeout);
            if (!sent) {
                out.clear();
                co_return false;
            }
        }
    }
    bool ok = co_await flush(timeout);
    out.clear();
    co_return ok;
}

io::Task<void> TlsStream::close(io::Duration timeout) {
    if (!fd_) co_return;
    if (handshake_done_ && !failed_ && !send_failed_) {
        ERR_clear_error();
        SSL_shutdown(ssl_);   // queues our close_notify; the peer's is not awaited
        ERR_clear_error();
        co_await flush(timeout);
    }
    rbuf_.reset();
    rpos_ = rend_ = 0;
    int fd = fd_.release();
    co_await io::close(fd);
}

std::string TlsStream::tls_version() const { return handshake_done_ ? SSL_get_version(ssl_) : std::string(); }

std::string TlsStream::tls_cipher() const {
    const SSL_CIPHER* c = handshake_done_ ? SSL_get_current_cipher(ssl_) : nullptr;
    return c ? SSL_CIPHER_get_name(c) : std::string();
}

int TlsStream::tls_cipher_bits() const {
    const SSL_CIPHER* c = handshake_done_ ? SSL_get_current_cipher(ssl_) : nullptr;
    return c ? SSL_CIPHER_get_bits(c, nullptr) : 0;
}

bool TlsStream::peer_verified() const {
    return is_client_ && handshake_done_ && SSL_get0_peer_certificate(ssl_) != nullptr &&
           SSL_get_verify_result(ssl_) == X509_V_OK;
}

std::string TlsStream::verify_error() const {
    if (!is_client_) return {};
    if (!handshake_done_) return last_error_.empty() ? std::string("no handshake") : last_error_;
    if (!SSL_get0_peer_certificate(ssl_)) return "no peer certificate";
    long v = SSL_get_verify_result(ssl_);
    return v == X509_V_OK ? std::string() : std::string(X509_verify_cert_error_string(v));
}

}  // namespace ringpost::tls
