// The delivery client's streams: plain TCP, and any io::Stream (TLS) (see client_stream.hpp).
#include "delivery/client_stream.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ringpost::delivery {

io::Task<int> TcpStream::read(char* buf, size_t len, io::Duration timeout) {
    if (!fd_) co_return -EBADF;
    co_return co_await io::recv(fd_.get(), buf, len, timeout);
}

io::Task<int> TcpStream::write(const char* buf, size_t len, io::Duration timeout) {
    if (!fd_) co_return -EBADF;
    co_return co_await io::send(fd_.get(), buf, len, timeout);
}

io::Task<void> TcpStream::close() {
    if (!fd_) co_return;
    co_await io::close(fd_.release());
}

io::Task<int> IoStream::read(char* buf, size_t len, io::Duration timeout) {
    if (closed_) co_return -EBADF;
    int n = co_await stream_->recv(buf, len, timeout);
    co_return n == -ETIME ? -ECANCELED : n;
}

io::Task<int> IoStream::write(const char* buf, size_t len, io::Duration timeout) {
    if (closed_) co_return -EBADF;
    const size_t n = len < kWriteChunk ? len : kWriteChunk;
    out_.assign(buf, n);
    bool ok = co_await stream_->send_all(out_, timeout);
    out_.clear();
    co_return ok ? static_cast<int>(n) : -EPIPE;
}

io::Task<void> IoStream::close() {
    if (closed_) co_return;
    closed_ = true;
    co_await stream_->close(close_timeout_);
}

io::Task<Result<std::unique_ptr<Stream>>> connect_tcp(io::SocketAddress address, io::Duration timeout) {
    const std::string where = io::address_ip(address.storage) + ":" + std::to_string(io::address_port(address.storage));
    io::Fd fd(::socket(address.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        int e = errno;
        co_return make_error("socket for " + where + ": " + std::strerror(e), e);
    }
    int rc = co_await io::connect(fd.get(), address.get(), address.length, timeout);
    if (rc < 0) {
        const int e = -rc;
        co_return make_error("connect to " + where + ": " + (e == ECANCELED ? "timed out" : std::strerror(e)), e);
    }
    // Commands are written whole; Nagle would only delay pipelined groups.
    io::set_nodelay(fd.get());
    co_return std::unique_ptr<Stream>(new TcpStream(std::move(fd)));
}

}  // namespace ringpost::delivery
