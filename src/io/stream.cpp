#include "io/stream.hpp"

#include <cerrno>
#include <utility>

#include "io/send_all.hpp"

namespace ringpost::io {

Task<int> PlainStream::recv(char* buf, size_t len, Duration timeout, CancelSlot* slot) {
    int n = co_await io::recv(fd_, buf, len, timeout, slot);
    // io::recv reports its linked timeout as -ECANCELED too; the Stream
    // contract (and TlsStream) says -ETIME, and a cancelled slot -ECANCELED.
    if (n == -ECANCELED && !(slot && slot->cancelled) && timeout.count() > 0) n = -ETIME;
    co_return n;
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
