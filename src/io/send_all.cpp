#include "io/send_all.hpp"

namespace ringpost::io {

Task<bool> send_all(int fd, std::string& out, Duration timeout) {
    size_t off = 0;
    while (off < out.size()) {
        int n = co_await send(fd, out.data() + off, out.size() - off, timeout);
        if (n <= 0) {
            out.clear();
            co_return false;
        }
        off += static_cast<size_t>(n);
    }
    out.clear();
    co_return true;
}

}  // namespace ringpost::io
