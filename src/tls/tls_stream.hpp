// TlsStream: TLS over a connected socket, on the ring. io_uring does all the
// socket I/O; OpenSSL only transforms bytes, through a BIO of our own that
// reads ciphertext from the stream's receive buffer and appends what OpenSSL
// writes to its send buffer (a "memory BIO" without BIO_s_mem's second copy
// and without a buffer that keeps its high-water size for the session's life).
//
// Memory: thousands of idle sessions are the normal case, so an idle session
// holds only OpenSSL's SSL object and session (SSL_MODE_RELEASE_BUFFERS frees
// the record buffers). The 16 KiB socket receive buffer exists only while
// bytes are on their way in: an idle recv() first waits for readability
// (IORING_OP_POLL_ADD) without any buffer, and the buffer is freed once
// OpenSSL has consumed it. The send buffer is freed after each flush.
//
// Concurrency: one recv() and one send_all() may be in flight at the same
// time (full duplex; OpenSSL output produced by a read, such as a TLS 1.3
// KeyUpdate reply, is queued behind a running send). handshake() and close()
// must run alone. Single ring thread, like every stream.
//
// Results follow io::Stream: recv gives > 0 bytes, 0 at the end of the
// stream (close_notify, or the peer closed the socket; mail protocols end
// their own sessions explicitly, so a truncation is a protocol matter),
// -ETIME when `timeout` passed, -ECANCELED when cancelled through `slot`,
// -EPROTO after a TLS failure (the text is in last_error()).
//
// STARTTLS and plaintext injection: the stream starts on a socket whose
// every byte so far was read by the plaintext driver, and it takes NO
// initial ciphertext from the caller, on purpose. A driver that has read
// bytes past its STARTTLS/STLS command line when it decides to switch must
// DISCARD them (RFC 3207 section 4.2 / CVE-2011-0411: data pipelined after
// STARTTLS was sent in clear and must not be processed as if it had come
// over TLS); a well-behaved client waits for the 220/+OK/OK before sending
// its ClientHello, so nothing legitimate is lost. Likewise a client must
// drop anything the server sent after its reply to STARTTLS.
#pragma once

#include <openssl/types.h>

#include <coroutine>
#include <cstddef>
#include <memory>
#include <string>

#include "io/ops.hpp"
#include "io/socket.hpp"
#include "io/stream.hpp"
#include "io/task.hpp"
#include "tls/context.hpp"
#include "util/result.hpp"

namespace ringpost::tls {

class TlsStream final : public io::Stream {
public:
    // The socket receive buffer: one full TLS record (16 KiB of plaintext
    // plus header, MAC/tag and padding) per read.
    static constexpr size_t kRecvBuffer = 16 * 1024 + 512;
    // Plaintext per SSL_write (one record) and ciphertext queued before a send.
    static constexpr size_t kRecordPlaintext = 16 * 1024;
    static constexpr size_t kSendBatch = 64 * 1024;

    // Server side of an accepted socket (implicit TLS) or of a session after
    // STARTTLS. Takes ownership of `fd` (closed by close(), or synchronously
    // by the destructor if close() was never awaited). Null only when
    // OpenSSL cannot allocate (then `fd` is closed).
    static std::unique_ptr<TlsStream> server(int fd, std::shared_ptr<ServerContext> ctx);
    // Client side. `host` is sent as SNI (unless an IP literal) and checked
    // against the certificate (DNS name, or IP address); `verify` makes a
    // failed check (chain or name) abort the handshake, otherwise it is only
    // recorded (peer_verified(), verify_error()) for the logs.
    static std::unique_ptr<TlsStream> client(int fd, std::shared_ptr<ClientContext> ctx, std::string host,
                                             bool verify);
    ~TlsStream() override;
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    // Runs the handshake to completion within `timeout` (0 = no limit).
    // Errors (code EPROTO, ETIME, ECONNRESET or an errno) read like
    // "TLS handshake failed: SSL routines: wrong version number" or
    // "certificate verification failed for mx.example.org: hostname mismatch".
    // After a failure the stream can only be closed.
    // Cancelling `slot` (graceful shutdown) ends it with ECANCELED.
    io::Task<Result<void>> handshake(io::Duration timeout, io::CancelSlot* slot = nullptr);

    io::Task<int> recv(char* buf, size_t len, io::Duration timeout, io::CancelSlot* slot = nullptr) override;
    // Before a completed handshake: false.
    io::Task<bool> send_all(std::string& out, io::Duration timeout) override;
    // close_notify (best effort, bounded by `timeout`), then io::close.
    io::Task<void> close(io::Duration timeout) override;

    int fd() const override { return fd_.get(); }
    std::string tls_version() const override;   // "TLSv1.3"; "" before the handshake
    std::string tls_cipher() const override;    // "TLS_AES_256_GCM_SHA384"; ""
    int tls_cipher_bits() const;                // 256; 0 before the handshake

    bool handshake_done() const { return handshake_done_; }
    // Client: the server's chain verified and its name matched `host`.
    bool peer_verified() const;
    // Client: why not ("hostname mismatch", "self-signed certificate",
    // "no peer certificate"); "" when verified.
    std::string verify_error() const;
    // The last TLS failure (handshake, record layer), for logs.
    const std::string& last_error() const { return last_error_; }
    // The OpenSSL object, for inspection (peer certificate details, session
    // reuse) and for tests (SSL_key_update). Never read or write through it.
    SSL* native_handle() const { return ssl_; }

private:
    TlsStream(int fd, SSL* ssl, std::shared_ptr<const void> ctx);
    static std::unique_ptr<TlsStream> make(int fd, SSL_CTX* native, std::shared_ptr<const void> ctx);

    // The BIO's callbacks.
    friend struct BioGlue;
    int bio_read(char* out, int len);
    void bio_write(const char* data, int len);

    // Reads ciphertext from the socket into the receive buffer (only when it
    // is empty): > 0, 0 at EOF, -ETIME / -ECANCELED / -errno.
    io::Task<int> fill(io::Duration timeout, io::CancelSlot* slot, bool wait_first);
    // Sends everything OpenSSL has queued; false if the peer is gone.
    io::Task<bool> flush(io::Duration timeout);
    void release_recv_buffer_if_drained();
    std::string failure_text(int ssl_error, std::string_view what);

    struct FlushWaiter {
        TlsStream* stream;
        std::coroutine_handle<> handle{};
        FlushWaiter* next = nullptr;
        bool await_ready() const noexcept { return !stream->flushing_; }
        void await_suspend(std::coroutine_handle<> h) noexcept {
            handle = h;
            next = stream->flush_waiters_;
            stream->flush_waiters_ = this;
        }
        void await_resume() const noexcept {}
    };

    io::Fd fd_;
    SSL* ssl_;
    std::shared_ptr<const void> ctx_;   // keeps the SSL_CTX owner (a reload swaps the listener's pointer only)
    bool is_client_ = false;
    bool verify_ = false;
    bool handshake_done_ = false;
    bool failed_ = false;        // fatal TLS error: the stream only closes now
    bool send_failed_ = false;   // the peer stopped taking our bytes
    bool peer_eof_ = false;      // the socket read 0
    bool recv_hot_ = false;      // the last socket read filled the buffer: read again at once
    std::string host_;
    std::string last_error_;

    std::unique_ptr<char[]> rbuf_;   // ciphertext from the socket, only while in use
    size_t rpos_ = 0;
    size_t rend_ = 0;

    std::string out_;       // ciphertext OpenSSL wrote, not yet handed to the kernel
    std::string sending_;   // what the running flush is sending
    bool flushing_ = false;
    FlushWaiter* flush_waiters_ = nullptr;
};

}  // namespace ringpost::tls
