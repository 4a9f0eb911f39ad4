// A connection's byte stream: plain TCP here, TLS in src/tls (TlsStream),
// behind one interface so that the SMTP, POP3 and IMAP drivers and the
// delivery client do not care which they run on, and STARTTLS is a swap of
// the stream object under a running session.
//
// Semantics follow io::recv / io::send_all: recv returns > 0 bytes, 0 at
// end of stream, or -errno (-ETIME when `timeout` passed, -ECANCELED when
// cancelled through `slot`, -EPROTO for a TLS failure). Streams are used
// from one ring thread and are not thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "io/ops.hpp"
#include "io/task.hpp"

namespace ringpost::io {

class Stream {
public:
    virtual ~Stream() = default;

    // Up to `len` bytes into `buf`. A TLS stream returns decrypted bytes,
    // reading as many records from the socket as it needs.
    virtual Task<int> recv(char* buf, size_t len, Duration timeout, CancelSlot* slot = nullptr) = 0;
    // Writes all of `out` (each socket send bounded by `timeout`), then
    // clears it; false if the peer is gone or stopped reading (out cleared).
    virtual Task<bool> send_all(std::string& out, Duration timeout) = 0;
    // Ends the stream (TLS: a close_notify, best effort, bounded by
    // `timeout`) and closes the socket. The stream is unusable after.
    virtual Task<void> close(Duration timeout) = 0;

    // The socket (for peer addresses, shutdown(2) and logging).
    virtual int fd() const = 0;
    // "" for plain TCP; "TLSv1.3" etc. once a handshake completed.
    virtual std::string tls_version() const { return {}; }
    // "" for plain TCP; e.g. "TLS_AES_256_GCM_SHA384".
    virtual std::string tls_cipher() const { return {}; }
};

// Plain TCP over the ring: recv and send as io::recv / io::send_all.
class PlainStream final : public Stream {
public:
    explicit PlainStream(int fd) : fd_(fd) {}
    Task<int> recv(char* buf, size_t len, Duration timeout, CancelSlot* slot = nullptr) override;
    Task<bool> send_all(std::string& out, Duration timeout) override;
    Task<void> close(Duration timeout) override;
    int fd() const override { return fd_; }
    // Gives the socket to another stream (STARTTLS); this one is then empty.
    int release();

private:
    int fd_;
};

}  // namespace ringpost::io
