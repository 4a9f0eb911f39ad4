// proto::Connection: the part of a server connection that SMTP, POP3 and
// IMAP share, so that each protocol's driver is a loop over its own
// session's events. It owns the socket and its byte stream (plain TCP, or
// TLS from the start or after STARTTLS/STLS), the input buffer, the output
// string, and the connection's place in the ring's live set (graceful
// shutdown cancels what it waits on), the deadline the client must meet,
// and why the connection ended (the disconnect log's reason); it maps what
// a read returns to a ReadResult.
//
// Input: fill() reads more behind the unconsumed bytes; the session
// consumes from input() in place. The buffer starts small and grows (to
// Options::input_limit at the most) only when a read fills it, so an idle
// session holds about input_initial bytes, and shrinks back once drained
// after small reads. Output: replies collect in out(); flush() sends them,
// which the drivers do only when the input is drained (PIPELINING).
//
// While the stream is plain, reads and writes go straight to the ring
// operations on the socket: the stream's virtual coroutines would add a
// heap-allocated frame to every read on the hot path.
//
// The connection is used from its ring thread only and lives in the
// driver's coroutine frame.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/live_set.hpp"
#include "io/ops.hpp"
#include "io/send_all.hpp"
#include "io/stream.hpp"
#include "io/task.hpp"
#include "tls/context_holder.hpp"
#include "tls/tls_stream.hpp"

namespace ringpost::proto {

// What a read brought.
enum class ReadResult : unsigned char {
    kData,       // more bytes in input()
    kEof,        // the client closed its side
    kTimeout,    // nothing within the wait (or an IDLE wake-up: the slot's pending op was cancelled)
    kShutdown,   // the live set cancelled the connection (graceful shutdown)
    kLost,       // a socket or TLS error
    kStall,      // the unconsumed input fills the buffer at its limit: a session bug (logged)
};

enum class TlsResult : unsigned char {
    kOk,            // the stream is TLS now
    kUnavailable,   // no TLS context, or the stream is TLS already
    kFailed,        // the handshake failed (logged); the socket is closed
};

// The TLS close_notify at the end is best effort: a peer that stopped
// reading does not hold the session longer than this.
inline constexpr io::Duration kCloseTimeout{5000};

struct ConnectionOptions {
    std::string_view proto;            // "smtp", "pop3", "imap": TLS log lines
    std::string client_ip;             // for log lines
    size_t input_initial = 1024;       // the first buffer
    size_t input_limit = 8192;         // the most unconsumed input held
    io::Duration send_timeout{300000};
    io::Duration handshake_timeout{30000};
    io::Duration close_timeout = kCloseTimeout;
    // STARTTLS: the warning logged when the client sent bytes after the
    // command (they came in clear and are discarded, CVE-2011-0411), and
    // the name of its byte-count field.
    std::string_view injection_event = "starttls_injection";
    std::string_view injection_field = "discarded";
    // The time the client has for its next command (restart_deadline()).
    io::Duration idle_timeout{300000};
    // The reason when nothing went wrong, and when STARTTLS was asked for
    // without a TLS context or inside TLS.
    const char* reason = "quit";
    const char* tls_unavailable_reason = "tls_failed";
};

class Connection {
public:
    // Takes `fd`, joins `live` until destroyed.
    Connection(int fd, io::LiveSet& live, ConnectionOptions options);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // --- input
    std::string_view input() const { return {buf_.get() + start_, end_ - start_}; }
    void consume(size_t n) { start_ += n; }
    // The buffer's size now (tests and memory checks).
    size_t input_capacity() const { return capacity_; }
    // Reads more, for at most `wait` (at least 1 ms); kStall at once when
    // the buffer is full. Await it as a named local (g++ 12: no
    // non-trivial temporaries inside co_await).
    class Fill;
    Fill fill(io::Duration wait);
    // The same until the deadline.
    Fill fill();
    // Feeds the unconsumed input to a line-based session (SMTP, POP3: its
    // feed(input, consumed, out) and stats().commands) and drops what it
    // used. A complete command restarts the deadline, so a client that
    // trickles bytes of one line cannot stretch it.
    template <class Session>
    auto feed(Session& session) {
        size_t consumed = 0;
        auto event = session.feed(input(), consumed, out_);
        consume(consumed);
        if (session.stats().commands != commands_seen_) {
            commands_seen_ = session.stats().commands;
            restart_deadline();
        }
        return event;
    }
    // Drops the unconsumed input; how many bytes there were.
    size_t discard_input();

    // --- output
    std::string& out() { return out_; }
    // Sends out() (nothing to do when empty); false if the peer is gone or
    // stopped reading (out() is cleared either way).
    io::Task<bool> flush() { return send(out_); }
    // The same for another buffer (a session that streams a long reply).
    io::Task<bool> send(std::string& data) {
        return plain_ ? io::send_all(plain_->fd(), data, options_.send_timeout)
                      : stream_->send_all(data, options_.send_timeout);
    }

    // Sends out(); false if the client is gone (the reason is then "lost").
    io::Task<bool> send_replies();
    // At the end of the input (what makes PIPELINING cheap): the replies
    // so far go out, and the client's time for its next command starts.
    io::Task<bool> answer();
    // The session's last words in out() go out (best effort) and the
    // connection ends for `why`. Always false: `co_return co_await` it.
    io::Task<bool> hang_up(const char* why);
    // The same for a read that brought no data: "eof", "lost", "timeout"...
    io::Task<bool> hang_up(ReadResult result) { return hang_up(reason_for(result)); }
    // The same with the session's last words first: its shutdown reply on
    // kShutdown, its timeout reply on kTimeout (any session with
    // shutdown(out) and timeout(out)).
    template <class Session>
    io::Task<bool> hang_up(ReadResult result, Session& session) {
        if (result == ReadResult::kShutdown) session.shutdown(out_);
        if (result == ReadResult::kTimeout) session.timeout(out_);
        return hang_up(result);
    }
    static const char* reason_for(ReadResult result);

    // --- the deadline
    void restart_deadline() { deadline_ = std::chrono::steady_clock::now() + options_.idle_timeout; }
    io::Duration until_deadline() const;
    bool before_deadline() const { return std::chrono::steady_clock::now() < deadline_; }

    // --- how it ended
    const char* reason() const { return reason_; }
    void end(const char* why) { reason_ = why; }

    // --- the start
    // With implicit TLS (smtps, pop3s, imaps, RFC 8314) the handshake comes
    // before anything else; false if it failed (the reason: "tls_failed").
    io::Task<bool> begin(tls::ContextHolder* holder, bool implicit_tls);
    // The session's greeting, sent; the client's time for its first
    // command starts then. False if the client is gone ("lost").
    template <class Session>
    io::Task<bool> greet(Session& session) {
        session.greet(out_);
        auto sending = send_replies();
        const bool sent = co_await std::move(sending);
        restart_deadline();
        co_return sent;
    }

    // --- TLS
    // The handshake on the plain socket.
    io::Task<TlsResult> start_tls(tls::ContextHolder* holder);
    // STARTTLS/STLS after the go-ahead reply is in out(): flushes it,
    // discards (and logs) what the client sent behind the command, then
    // the handshake, and restarts the deadline. False when the connection
    // can only be closed (the reason: "lost", "tls_failed" or
    // tls_unavailable_reason).
    io::Task<bool> start_tls_after_reply(tls::ContextHolder* holder);
    // The TLS stream, or null while plain.
    const tls::TlsStream* tls() const { return tls_; }

    // --- the end
    // Ends the stream (TLS: a close_notify within close_timeout) and closes
    // the socket; on a plain socket, input that arrived unread (up to
    // input_limit) is dropped first, so the close is a FIN, not a reset
    // that could destroy the last reply in flight. Unusable after.
    io::Task<void> finish();

    // --- graceful shutdown
    io::LiveEntry& entry() { return entry_; }
    void set_busy(bool busy) { entry_.busy = busy; }
    bool draining() const { return live_.draining(); }
    const ConnectionOptions& options() const { return options_; }

private:
    // Room behind the unconsumed input: moves it to the front, grows or
    // shrinks the buffer.
    void make_room();
    // Books a read of `n` (of `room` asked) and says what it was.
    ReadResult after_read(int n, size_t room);
    ReadResult stalled() const;

    ConnectionOptions options_;
    io::LiveSet& live_;
    io::LiveEntry entry_;
    std::unique_ptr<io::Stream> stream_;
    io::PlainStream* plain_;                // == stream_.get() while unencrypted, else null
    const tls::TlsStream* tls_ = nullptr;   // == stream_.get() once encrypted
    std::unique_ptr<char[]> buf_;
    size_t capacity_ = 0;
    size_t start_ = 0;
    size_t end_ = 0;
    size_t last_read_ = 0;
    bool last_read_filled_ = false;   // the last read took all the room there was
    std::string out_;
    std::chrono::steady_clock::time_point deadline_;
    const char* reason_;
    uint32_t commands_seen_ = 0;   // feed(): the session's command count last seen
};

// The awaiter of fill(): on a plain stream the recv operation itself (no
// coroutine frame per read), on TLS the stream's recv task.
class Connection::Fill {
public:
    bool await_ready() const noexcept { return len_ == 0; }
    bool await_suspend(std::coroutine_handle<> h) { return tls_read_ ? tls_read_->await_suspend(h) : recv_.await_suspend(h); }
    ReadResult await_resume() {
        if (len_ == 0) return conn_.stalled();
        return conn_.after_read(tls_read_ ? tls_read_->await_resume() : recv_.await_resume(), len_);
    }

private:
    friend class Connection;
    Fill(Connection& conn, char* at, size_t len, io::Duration wait);
    Connection& conn_;
    size_t len_;
    io::RecvOp recv_;
    std::optional<io::Task<int>> tls_read_;
};

inline Connection::Fill Connection::fill() { return fill(until_deadline()); }

// A protocol's serve_connection: its Driver, constructed from the
// arguments (kept in this coroutine's frame, so the driver may hold
// references to them), run to its end.
template <class Driver, class... Args>
io::Task<void> run_driver(Args... args) {
    Driver driver(args...);
    auto running = driver.run();
    co_await std::move(running);
}

}  // namespace ringpost::proto
