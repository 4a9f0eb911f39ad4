// A connection's byte stream: plain TCP here, TLS in src/tls (TlsStream),
// behind one interface so that the SMTP, POP3 and IMAP drivers and the
// delivery client do not care which they run on, and STARTTLS is a swap of
// the stream object under a running session.
//
// Semantics follow io::recv / io::send_all: recv and write_some return > 0
// bytes, 0 at end of stream, or -errno (-ETIME when `timeout` passed,
// -ECANCELED when cancelled through `slot`, -EPROTO for a TLS failure). A
// timeout of 0 waits forever. Streams are used from one ring thread and
// are not thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "io/ops.hpp"
#include "io/socket.hpp"
#include "io/task.hpp"

namespace ringpost::io {

class Stream {
public:
    // What write_some sends at most at once where it must copy (TLS).
    static constexpr size_t kWriteChunk = 64 * 1024;

    virtual ~Stream() = default;

    // Up to `len` bytes into `buf`. A TLS stream returns decrypted bytes,
    // reading as many records from the socket as it needs.
    virtual Task<int> recv(char* buf, size_t len, Duration timeout, CancelSlot* slot = nullptr) = 0;
    // Writes all of `out` (each socket send bounded by `timeout`), then
    // clears it; false if the peer is gone or stopped reading (out cleared).
    virtual Task<bool> send_all(std::string& out, Duration timeout) = 0;
    // Writes some of `buf` (the caller loops on partial writes): the bytes
    // written, or -errno. This one sends a copy of at most kWriteChunk
    // bytes through send_all, and a failure of it (a timeout too) is -EPIPE.
    virtual Task<int> write_some(const char* buf, size_t len, Duration timeout);
    // Ends the stream (TLS: a close_notify, best effort, bounded by
    // `timeout`) and closes the socket. The stream is unusable after.
    virtual Task<void> close(Duration timeout) = 0;
    // Gives up the socket (for STARTTLS): -1 if this stream cannot, else
    // the fd, which the caller now owns; the stream is empty afterwards.
    virtual int release_fd() { return -1; }

    // The socket (for peer addresses, shutdown(2) and logging).
    virtual int fd() const = 0;
    // "" for plain TCP; "TLSv1.3" etc. once a handshake completed.
    virtual std::string tls_version() const { return {}; }
    // "" for plain TCP; e.g. "TLS_AES_256_GCM_SHA384".
    virtual std::string tls_cipher() const { return {}; }
};

// Plain TCP over the ring: recv and send as io::recv / io::send(_all). It
// owns its socket: close() closes it on the ring, the destructor
// synchronously if close() was never awaited and release_fd() not called.
class PlainStream final : public Stream {
public:
    explicit PlainStream(int fd) : fd_(fd) {}
    explicit PlainStream(Fd fd) : fd_(std::move(fd)) {}
    Task<int> recv(char* buf, size_t len, Duration timeout, CancelSlot* slot = nullptr) override;
    Task<bool> send_all(std::string& out, Duration timeout) override;
    // One send(2) of `buf`, without a copy.
    Task<int> write_some(const char* buf, size_t len, Duration timeout) override;
    Task<void> close(Duration timeout) override;
    int release_fd() override { return fd_.release(); }
    int fd() const override { return fd_.get(); }

private:
    Fd fd_;
};

}  // namespace ringpost::io
