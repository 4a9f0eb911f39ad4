// The byte stream under the delivery client: an abstract read/write/close,
// so that the protocol driver does not care whether it talks plain TCP or
// (issue 5) TLS over it. TcpStream is the plain-TCP implementation on the
// io_uring runtime; connect_tcp opens one with a connect timeout.
//
// Results follow io/ops.hpp: > 0 bytes, 0 = the peer closed, < 0 = -errno,
// and -ECANCELED when the timeout fired.
#pragma once

#include <cstddef>
#include <memory>

#include "io/ops.hpp"
#include "io/socket.hpp"
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
};

class TcpStream final : public Stream {
public:
    explicit TcpStream(io::Fd fd) : fd_(std::move(fd)) {}
    io::Task<int> read(char* buf, size_t len, io::Duration timeout) override;
    io::Task<int> write(const char* buf, size_t len, io::Duration timeout) override;
    io::Task<void> close() override;
    int fd() const { return fd_.get(); }

private:
    io::Fd fd_;   // closed synchronously by Fd if close() was never awaited
};

// Connects to `address` (by value: it must live in the coroutine frame).
// Errors carry errno and a message like "connect to 192.0.2.1:25: Connection refused".
io::Task<Result<std::unique_ptr<Stream>>> connect_tcp(io::SocketAddress address, io::Duration timeout);

}  // namespace ringpost::delivery
