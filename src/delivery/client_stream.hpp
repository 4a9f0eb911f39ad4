// The byte stream under the delivery client: an abstract read/write/close,
// so that the protocol driver does not care whether it talks plain TCP or
// TLS over it. TcpStream is the plain-TCP implementation on the io_uring
// runtime (connect_tcp opens one with a connect timeout); IoStream adapts
// any io::Stream, which is how a tls::TlsStream runs the session after
// STARTTLS: the driver takes the socket from the TcpStream (release_fd),
// hands it to the TlsStream, and swaps the stream under the session.
//
// Results follow io/ops.hpp: > 0 bytes, 0 = the peer closed, < 0 = -errno,
// and -ECANCELED when the timeout fired.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "io/ops.hpp"
#include "io/socket.hpp"
#include "io/stream.hpp"
#include "io/task.hpp"
#include "util/result.hpp"

namespace ringpost::delivery {

class Stream {
public:
    virtual ~Stream() = default;
    // Up to `len` bytes; a timeout of 0 waits forever.
    virtual io::Task<int> read(char* buf, size_t len, io::Duration timeout) = 0;
    // Writes some of `buf` (the caller loops on partial writes).
    virtual io::Task<int> write(const char* buf, size_t len, io::Duration timeout) = 0;
    // Releases the connection; the stream is unusable afterwards.
    virtual io::Task<void> close() = 0;
    // Gives up the socket (for STARTTLS): -1 if this stream cannot, else the
    // fd, which the caller now owns; the stream is empty afterwards.
    virtual int release_fd() { return -1; }
};

class TcpStream final : public Stream {
public:
    explicit TcpStream(io::Fd fd) : fd_(std::move(fd)) {}
    io::Task<int> read(char* buf, size_t len, io::Duration timeout) override;
    io::Task<int> write(const char* buf, size_t len, io::Duration timeout) override;
    io::Task<void> close() override;
    int release_fd() override { return fd_.release(); }
    int fd() const { return fd_.get(); }

private:
    io::Fd fd_;   // closed synchronously by Fd if close() was never awaited
};

// An io::Stream (a TlsStream after STARTTLS) as a delivery Stream. Its
// results are mapped to this interface's: a recv timeout (-ETIME) becomes
// -ECANCELED, and a failed send_all -EPIPE. Writes go out in pieces of at
// most kWriteChunk bytes (each copied once, as TLS must anyway).
class IoStream final : public Stream {
public:
    static constexpr size_t kWriteChunk = 64 * 1024;
    // `close_timeout` bounds the close (a TLS close_notify).
    IoStream(std::unique_ptr<io::Stream> stream, io::Duration close_timeout)
        : stream_(std::move(stream)), close_timeout_(close_timeout) {}
    io::Task<int> read(char* buf, size_t len, io::Duration timeout) override;
    io::Task<int> write(const char* buf, size_t len, io::Duration timeout) override;
    io::Task<void> close() override;
    io::Stream& inner() { return *stream_; }

private:
    std::unique_ptr<io::Stream> stream_;
    io::Duration close_timeout_;
    std::string out_;
    bool closed_ = false;
};

// Connects to `address` (by value: it must live in the coroutine frame).
// Errors carry errno and a message like "connect to 192.0.2.1:25: Connection refused".
io::Task<Result<std::unique_ptr<Stream>>> connect_tcp(io::SocketAddress address, io::Duration timeout);

}  // namespace ringpost::delivery
