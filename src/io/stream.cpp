#include "io/stream.hpp"

#include <utility>

#include "io/send_all.hpp"

namespace ringpost::io {

Task<int> PlainStream::recv(char* buf, size_t len, Duration timeout, CancelSlot* slot) {
    co_return co_await io::recv(fd_, buf, len, timeout, slot);
}

Task<bool> PlainStream::send_all(std::string& out, Duration timeout) {
    co_return co_await io::send_all(fd_, out, timeout);
}

Task<void> PlainStream::close(Duration) {
    if (fd_ < 0) co_return;
    int fd = std::exchange(fd_, -1);
    co_await io::close(fd);
}

int PlainStream::release() { return std::exchange(fd_, -1); }

}  // namespace ringpost::io
