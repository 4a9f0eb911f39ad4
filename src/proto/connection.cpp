#include "proto/connection.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "io/socket.hpp"
#include "tls/server_upgrade.hpp"
#include "util/log.hpp"

namespace ringpost::proto {

Connection::Connection(int fd, io::LiveSet& live, ConnectionOptions options)
    : options_(std::move(options)), live_(live), reason_(options_.reason) {
    options_.input_initial = std::clamp<size_t>(options_.input_initial, 1, std::max<size_t>(options_.input_limit, 1));
    auto plain = std::make_unique<io::PlainStream>(fd);
    plain_ = plain.get();
    stream_ = std::move(plain);
    live_.add(entry_);
}

Connection::~Connection() { live_.remove(entry_); }

void Connection::make_room() {
    const size_t used = end_ - start_;
    if (used == 0) start_ = end_ = 0;
    size_t want = capacity_;
    if (capacity_ == 0) {
        want = options_.input_initial;
    } else if (last_read_filled_ || used == capacity_) {
        // The client sends more than fits: bigger reads, up to the limit.
        want = std::min(capacity_ * 2, std::max(options_.input_limit, capacity_));
    } else if (used == 0 && last_read_ < options_.input_initial && capacity_ > options_.input_initial) {
        // Back to small commands: an idle session keeps only a small buffer.
        want = options_.input_initial;
    }
    if (want != capacity_) {
        auto bigger = std::make_unique<char[]>(want);
        if (used != 0) std::memcpy(bigger.get(), buf_.get() + start_, used);
        buf_ = std::move(bigger);
        capacity_ = want;
        start_ = 0;
        end_ = used;
    } else if (start_ > 0) {
        std::memmove(buf_.get(), buf_.get() + start_, used);
        start_ = 0;
        end_ = used;
    }
}

io::Duration Connection::until_deadline() const {
    return std::chrono::duration_cast<io::Duration>(deadline_ - std::chrono::steady_clock::now());
}

Connection::Fill Connection::fill(io::Duration wait) {
    make_room();
    if (wait.count() < 1) wait = io::Duration(1);
    return Fill(*this, buf_.get() + end_, capacity_ - end_, wait);
}

Connection::Fill::Fill(Connection& conn, char* at, size_t len, io::Duration wait)
    : conn_(conn), len_(len), recv_(conn.plain_ ? conn.plain_->fd() : -1, at, len, wait) {
    recv_.slot = &conn.entry_.slot;
    if (!conn.plain_) tls_read_.emplace(conn.stream_->recv(at, len, wait, &conn.entry_.slot));
}

ReadResult Connection::after_read(int n, size_t room) {
    if (n > 0) {
        end_ += static_cast<size_t>(n);
        last_read_ = static_cast<size_t>(n);
        last_read_filled_ = static_cast<size_t>(n) == room;
        return ReadResult::kData;
    }
    if (n == 0) return ReadResult::kEof;
    // A timeout reads -ECANCELED on the plain socket (the linked timeout
    // cancels the recv) and -ETIME from a TLS stream; a cancelled slot is
    // the live set's shutdown.
    if (n == -ECANCELED && entry_.slot.cancelled) return ReadResult::kShutdown;
    if (n == -ECANCELED || n == -ETIME) return ReadResult::kTimeout;
    return ReadResult::kLost;
}

ReadResult Connection::stalled() const {
    // The sessions always consume overlong lines; a full buffer they did
    // not touch means a protocol bug, not a client problem.
    log::error("input_stall", {{"proto", options_.proto}, {"client", options_.client_ip}});
    return ReadResult::kStall;
}

const char* Connection::reason_for(ReadResult result) {
    switch (result) {
    case ReadResult::kData: break;
    case ReadResult::kEof: return "eof";
    case ReadResult::kTimeout: return "timeout";
    case ReadResult::kShutdown: return "shutdown";
    case ReadResult::kLost: return "lost";
    case ReadResult::kStall: return "error";
    }
    return "quit";
}

io::Task<bool> Connection::send_replies() {
    auto sending = flush();
    if (co_await std::move(sending)) co_return true;
    reason_ = "lost";
    co_return false;
}

io::Task<bool> Connection::answer() {
    if (out_.empty()) co_return true;
    auto sending = send_replies();
    if (!(co_await std::move(sending))) co_return false;
    restart_deadline();
    co_return true;
}

io::Task<bool> Connection::hang_up(const char* why) {
    reason_ = why;
    if (!out_.empty()) {
        auto sending = flush();
        co_await std::move(sending);
    }
    co_return false;
}

size_t Connection::discard_input() {
    const size_t n = end_ - start_;
    start_ = end_ = 0;
    return n;
}

io::Task<TlsResult> Connection::start_tls(tls::ContextHolder* holder) {
    if (holder == nullptr || plain_ == nullptr) co_return TlsResult::kUnavailable;
    auto upgrading = tls::start_server_tls(*plain_, *holder, options_.handshake_timeout, options_.proto,
                                           options_.client_ip, &entry_.slot);
    std::unique_ptr<tls::TlsStream> secured = co_await std::move(upgrading);
    if (!secured) co_return TlsResult::kFailed;
    tls_ = secured.get();
    plain_ = nullptr;   // the PlainStream gave its socket away already
    stream_ = std::move(secured);
    co_return TlsResult::kOk;
}

io::Task<bool> Connection::begin(tls::ContextHolder* holder, bool implicit_tls) {
    if (!implicit_tls) co_return true;
    auto starting = start_tls(holder);
    if (co_await std::move(starting) == TlsResult::kOk) co_return true;
    reason_ = "tls_failed";
    co_return false;
}

io::Task<bool> Connection::start_tls_after_reply(tls::ContextHolder* holder) {
    auto sending = send_replies();
    if (!(co_await std::move(sending))) co_return false;
    // RFC 3207 4.2, RFC 2595 / CVE-2011-0411: anything the client sent
    // behind the command came in clear; it is thrown away, never executed.
    if (const size_t n = discard_input(); n != 0)
        log::warn(options_.injection_event, {{"client", options_.client_ip}, {options_.injection_field, n}});
    auto starting = start_tls(holder);
    const TlsResult started = co_await std::move(starting);
    if (started == TlsResult::kOk) {
        restart_deadline();
        co_return true;
    }
    reason_ = started == TlsResult::kUnavailable ? options_.tls_unavailable_reason : "tls_failed";
    co_return false;
}

io::Task<void> Connection::finish() {
    if (plain_) {
        int sock = plain_->release_fd();   // -1 when a failed handshake closed it already
        if (sock < 0) co_return;
        // The buffer starts small, so more of the client's last burst may
        // still wait in the socket than when reads were always full-size.
        io::drop_unread_input(sock, options_.input_limit);
        co_await io::close(sock);
    } else {
        auto closing = stream_->close(options_.close_timeout);
        co_await std::move(closing);
    }
}

}  // namespace ringpost::proto
