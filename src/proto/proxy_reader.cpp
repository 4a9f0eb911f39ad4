#include "proto/proxy_reader.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace ringpost::proto {
namespace {

using Status = ProxyRead::Status;

ProxyRead failed(Status status, const char* reason) {
    ProxyRead r;
    r.status = status;
    r.reason = reason;
    return r;
}

// What a recv's result says when it brought nothing.
ProxyRead failed_read(int n, const io::CancelSlot* slot) {
    if (n == 0) return failed(Status::kEof, "eof");
    if (n == -ECANCELED && slot && slot->cancelled) return failed(Status::kShutdown, "shutdown");
    if (n == -ECANCELED || n == -ETIME) return failed(Status::kTimeout, "timeout");
    return failed(Status::kLost, "lost");
}

}  // namespace

io::Task<ProxyRead> read_proxy_header(int fd, io::Duration timeout, io::CancelSlot* slot) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto left = [&deadline] {
        auto ms = std::chrono::duration_cast<io::Duration>(deadline - std::chrono::steady_clock::now());
        return std::max(ms, io::Duration(1));
    };
    std::string seen;    // the header bytes taken, then those peeked behind them
    size_t taken = 0;
    size_t need = 0;     // the parser's least total length; exact for v2 once known
    for (;;) {
        // Peeking further than the header is harmless: nothing is taken yet.
        const size_t window = std::max(need, kProxyV1MaxLength) - taken;
        seen.resize(taken + window);
        auto peeking = io::peek(fd, seen.data() + taken, window, left(), slot);
        const int n = co_await peeking;
        if (n <= 0) co_return failed_read(n, slot);
        seen.resize(taken + static_cast<size_t>(n));
        const ProxyParse parsed = parse_proxy_header(seen);
        if (parsed.status == ProxyParse::Status::kInvalid) co_return failed(Status::kInvalid, parsed.reason);
        const bool done = parsed.status == ProxyParse::Status::kComplete;
        const size_t upto = done ? parsed.header.length : seen.size();
        while (taken < upto) {   // all there already: peeked
            auto taking = io::recv(fd, seen.data() + taken, upto - taken, left(), slot);
            const int got = co_await taking;
            if (got <= 0) co_return failed_read(got, slot);
            taken += static_cast<size_t>(got);
        }
        if (done) {
            ProxyRead r;
            r.status = Status::kOk;
            r.header = parsed.header;
            co_return r;
        }
        need = parsed.need;
    }
}

}  // namespace ringpost::proto
