#include "io/stream.hpp"

#include <cerrno>
#include <utility>

#include "io/send_all.hpp"

namespace ringpost::io {
namespace {

// io::recv / io::send report their linked timeout as -ECANCELED too; the
// Stream contract (and TlsStream) says -ETIME, and a cancelled slot -ECANCELED.
int timeout_as_etime(int n, Duration timeout, const CancelSlot* slot) {
    if (n == -ECANCELED && !(slot && slot->cancelled) && timeout.count() > 0) return -ETIME;
    return n;
}

}  // namespace

Task<int> Stream::write_some(const char* buf, size_t len, Duration timeout) {
    const size_t n = len < kWriteChunk ? len : kWriteChunk;
    std::string out(buf, n);
    const bool ok = co_await send_all(out, timeout);
    co_return ok ? static_cast<int>(n) : -EPIPE;
}

Task<int> PlainStream::recv(char* buf, size_t len, Duration timeout, CancelSlot* slot) {
    co_return timeout_as_etime(co_await io::recv(fd_.get(), buf, len, timeout, slot), timeout, slot);
}

Task<bool> PlainStream::send_all(std::string& out, Duration timeout) {
    co_return co_await io::send_all(fd_.get(), out, timeout);
}

Task<int> PlainStream::write_some(const char* buf, size_t len, Duration timeout) {
    co_return timeout_as_etime(co_await io::send(fd_.get(), buf, len, timeout), timeout, nullptr);
}

Task<void> PlainStream::close(Duration) {
    if (!fd_) co_return;
    co_await io::close(fd_.release());
}

}  // namespace ringpost::io
