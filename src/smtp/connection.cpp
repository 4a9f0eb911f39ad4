#include "smtp/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "io/ops.hpp"
#include "io/ring.hpp"
#include "io/send_all.hpp"
#include "io/stream.hpp"
#include "smtp/data_deadline.hpp"
#include "tls/server_upgrade.hpp"
#include "util/log.hpp"
#include "util/log_rate_limit.hpp"

namespace ringpost::smtp {
namespace {

using Clock = std::chrono::steady_clock;

// Input buffer in the coroutine frame: 8 KiB holds any command line
// (Limits::max_command_line is below it) and a good slice of DATA; idle
// sessions stay well under the 16 KiB budget.
constexpr size_t kInputBuffer = 8192;

// Bound on the close_notify at the end of a TLS session.
constexpr std::chrono::seconds kCloseTimeout{5};

// How often a session stalled by the in-flight budget tries again.
constexpr std::chrono::milliseconds kInflightRetry{50};

// inflight_wait: at most one line a second for the whole process (a full
// budget stalls many sessions at once), with how many were left out.
void log_inflight_wait(const InflightBudget& budget, const std::string& ip) {
    static log::RateLimit limit(std::chrono::seconds(1));
    uint64_t suppressed = 0;
    if (!limit.allow(suppressed)) return;
    log::warn("inflight_wait", {{"client", ip},
                                {"used", budget.used()},
                                {"max", budget.max_total()},
                                {"ip_used", budget.used_by(ip)},
                                {"max_per_ip", budget.max_per_ip()},
                                {"suppressed", suppressed}});
}

enum class BudgetWait { kGranted, kShutdown, kTimeout };

// Backpressure: the session reads no more message data until `need` bytes
// are reserved; the kernel's receive window fills and slows the client.
// Polls on a timer (a release wakes nobody: it comes from any thread, and
// a 50 ms delay costs a stalled session nothing). Gives up after `limit`
// in one stretch, as if the client had been silent that long.
io::Task<BudgetWait> wait_for_budget(InflightBudget::Account& account, uint64_t need, io::CancelSlot& slot,
                                     std::chrono::milliseconds limit) {
    const auto give_up = Clock::now() + limit;
    while (!account.reserve(need)) {
        if (Clock::now() >= give_up) co_return BudgetWait::kTimeout;
        io::SleepOp pause = io::sleep_for(kInflightRetry);
        pause.slot = &slot;
        co_await pause;
        if (slot.cancelled) co_return BudgetWait::kShutdown;
    }
    co_return BudgetWait::kGranted;
}

// Awaits the spool: the commit stage calls back on its own thread, the
// callback posts the resumption to this connection's ring.
// Always used as a named local: g++ 12 mis-copies non-trivial aggregate
// temporaries inside co_await expressions (strings end up pointing into the
// old frame), so the awaiter never owns the message as a temporary.
struct CommitAwaiter {
    Spool& spool;
    AcceptedMessage& message;
    io::Ring* ring = nullptr;
    std::coroutine_handle<> handle;
    Result<void> result;

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        handle = h;
        ring = io::Ring::current();
        spool.commit(std::move(message), [this](const Result<void>& r) {
            result = r;
            auto h2 = handle;
            ring->post([h2] { h2.resume(); });
        });
    }
    Result<void> await_resume() { return std::move(result); }
};

// The connection's byte stream: a PlainStream until STARTTLS (or from the
// start on smtps) swaps in a TlsStream. While plain, reads and writes go
// straight to the ring operations on the socket: the stream's virtual
// coroutines would add a heap-allocated frame to every read on the path
// that accept-bench and pipelining clients exercise.
struct Conn {
    std::unique_ptr<io::Stream> stream;
    io::PlainStream* plain;   // == stream.get() while unencrypted, else null

    explicit Conn(int fd) {
        auto p = std::make_unique<io::PlainStream>(fd);
        plain = p.get();
        stream = std::move(p);
    }
    io::Task<bool> send(std::string& out, io::Duration timeout) {
        return plain ? io::send_all(plain->fd(), out, timeout) : stream->send_all(out, timeout);
    }
    io::Task<void> close() { return stream->close(kCloseTimeout); }
    void encrypted(std::unique_ptr<tls::TlsStream> tls) {
        stream = std::move(tls);   // the PlainStream gave its socket away already
        plain = nullptr;
    }
};

}  // namespace

io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx) {
    io::LiveEntry entry;
    ctx.live.add(entry);
    Conn conn(fd);
    const io::Duration handshake_timeout = std::min(ctx.timeouts.handshake, ctx.timeouts.command);
    log::info("connect", {{"client", client.ip}, {"port", static_cast<int>(client.port)}});

    if (ctx.implicit_tls) {
        // smtps (RFC 8314): the handshake before anything else.
        std::unique_ptr<tls::TlsStream> tls;
        if (ctx.tls) {
            auto upgrading = tls::start_server_tls(*conn.plain, *ctx.tls, handshake_timeout, "smtp", client.ip, &entry.slot);
            tls = co_await std::move(upgrading);
        }
        if (!tls) {
            auto closing = conn.close();
            co_await std::move(closing);
            log::info("disconnect", {{"client", client.ip}, {"reason", "tls_failed"}});
            ctx.live.remove(entry);
            co_return;
        }
        client.tls = true;
        client.tls_version = tls->tls_version();
        client.tls_cipher = tls->tls_cipher();
        client.tls_cipher_bits = tls->tls_cipher_bits();
        conn.encrypted(std::move(tls));
    }

    SessionConfig config = ctx.config;
    config.advertise_starttls = ctx.tls != nullptr && !ctx.implicit_tls;
    config.auth_available = ctx.auth != nullptr;
    config.submission = ctx.submission;
    Session session(std::move(config), ctx.policy, client);
    std::string out;
    char in[kInputBuffer];
    size_t start = 0;
    size_t end = 0;
    const char* reason = "quit";

    session.greet(out);
    bool alive = co_await conn.send(out, ctx.timeouts.send);
    auto deadline = Clock::now() + ctx.timeouts.command;
    // DATA/BDAT: data_timeout in hand, topped up by min_data_rate.
    DataDeadline data_deadline(ctx.timeouts.data, ctx.timeouts.min_data_rate);
    bool reading_data = false;
    uint32_t seen_commands = 0;
    // This session's share of the in-flight budget: covers the message
    // buffer plus one full read before every read in DATA/BDAT.
    InflightBudget::Account inflight(ctx.inflight, client.ip);

    while (alive) {
        size_t consumed = 0;
        Event ev = session.feed(std::string_view(in + start, end - start), consumed, out);
        start += consumed;
        if (session.stats().commands != seen_commands) {
            // A complete command arrived: the command deadline starts anew.
            seen_commands = session.stats().commands;
            deadline = Clock::now() + ctx.timeouts.command;
        }
        entry.busy = session.in_transaction();

        if (ev == Event::kCommit) {
            if (!out.empty() && !(co_await conn.send(out, ctx.timeouts.send))) {
                reason = "lost";
                break;
            }
            AcceptedMessage message = session.take_message();
            CommitAwaiter commit{ctx.spool, message, nullptr, {}, {}};
            Result<void> result = co_await commit;
            inflight.release();   // the spool has the message, or it was dropped
            session.committed(result, out);
            entry.busy = session.in_transaction();
            if (ctx.live.draining() && !entry.busy) {
                session.shutdown(out);
                co_await conn.send(out, ctx.timeouts.send);
                reason = "shutdown";
                break;
            }
            continue;
        }
        if (ev == Event::kAuth) {
            // Answer what came before first: the check may take seconds.
            if (!out.empty() && !(co_await conn.send(out, ctx.timeouts.send))) {
                reason = "lost";
                break;
            }
            AuthRequest request = session.take_auth();
            AuthResult result;
            result.status = AuthStatus::kTempFail;
            if (ctx.auth) {
                auto checking = ctx.auth->authenticate(std::move(request.user), std::move(request.password), client.ip);
                result = co_await std::move(checking);
            }
            session.auth_done(result.status, result.user, out);
            continue;
        }
        if (ev == Event::kStartTls) {
            if (!(co_await conn.send(out, ctx.timeouts.send))) {
                reason = "lost";
                break;
            }
            // RFC 3207 4.2 / CVE-2011-0411: anything the client sent behind
            // STARTTLS came in clear; it is thrown away, never executed.
            if (end != start) log::warn("starttls_pipelined", {{"client", client.ip}, {"bytes", end - start}});
            start = end = 0;
            if (!conn.plain || !ctx.tls) {
                reason = "error";
                break;
            }
            auto upgrading = tls::start_server_tls(*conn.plain, *ctx.tls, handshake_timeout, "smtp", client.ip, &entry.slot);
            std::unique_ptr<tls::TlsStream> tls = co_await std::move(upgrading);
            if (!tls) {
                reason = "tls_failed";
                break;
            }
            session.tls_started(tls->tls_version(), tls->tls_cipher(), tls->tls_cipher_bits());
            conn.encrypted(std::move(tls));
            deadline = Clock::now() + ctx.timeouts.command;
            continue;
        }
        if (ev == Event::kDelay) {
            // Past the soft error limit: the replies so far go out now, the
            // next one after error_delay, on a timer of this ring (Postfix
            // sleep()s the whole process here).
            if (!out.empty() && !(co_await conn.send(out, ctx.timeouts.send))) {
                reason = "lost";
                break;
            }
            io::SleepOp pause = io::sleep_for(session.reply_delay());
            co_await pause;
            continue;
        }
        if (ev == Event::kClose) {
            co_await conn.send(out, ctx.timeouts.send);
            reason = session.too_many_errors() ? "errors" : "quit";
            break;
        }
        // kNeedInput: flush replies only now that the input is drained.
        if (!out.empty()) {
            if (!(co_await conn.send(out, ctx.timeouts.send))) {
                reason = "lost";
                break;
            }
            // We answered: the client's time for its next command starts now
            // (after a long DATA phase too, not only after a command line).
            deadline = Clock::now() + ctx.timeouts.command;
        }
        if (start == end) {
            start = end = 0;
        } else if (start > 0) {
            std::memmove(in, in + start, end - start);
            end -= start;
            start = 0;
        }
        if (end == sizeof in) {
            // The session always consumes overlong lines; a full buffer it
            // did not touch means a protocol bug, not a client problem.
            log::error("input_stall", {{"client", client.ip}});
            reason = "error";
            break;
        }
        if (ctx.live.draining() && !entry.busy) {
            session.shutdown(out);
            co_await conn.send(out, ctx.timeouts.send);
            reason = "shutdown";
            break;
        }
        // A message dropped (RSET, 552, ...) gives its bytes back.
        if (session.message_bytes() == 0) inflight.release();
        std::chrono::milliseconds wait;
        if (session.in_data()) {
            if (!reading_data) data_deadline.start(Clock::now());
            reading_data = true;
            const uint64_t need = session.message_bytes() + sizeof in;
            if (!inflight.reserve(need)) {
                log_inflight_wait(*ctx.inflight, client.ip);
                const auto paused_at = Clock::now();
                auto waiting = wait_for_budget(inflight, need, entry.slot, ctx.timeouts.data);
                const BudgetWait waited = co_await std::move(waiting);
                if (waited == BudgetWait::kShutdown) {
                    session.shutdown(out);
                    co_await conn.send(out, ctx.timeouts.send);
                    reason = "shutdown";
                    break;
                }
                if (waited == BudgetWait::kTimeout) {
                    session.timeout(out);
                    co_await conn.send(out, ctx.timeouts.send);
                    reason = "inflight_timeout";
                    break;
                }
                // We held the transfer, not the client: min_data_rate must
                // not cut it off for the time we made it wait.
                data_deadline.paused(Clock::now() - paused_at);
            }
            wait = data_deadline.remaining(Clock::now());
        } else {
            reading_data = false;
            wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        }
        if (wait.count() < 1) wait = std::chrono::milliseconds(1);
        int n;
        if (conn.plain) {
            n = co_await io::recv(conn.plain->fd(), in + end, sizeof in - end, wait, &entry.slot);
        } else {
            n = co_await conn.stream->recv(in + end, sizeof in - end, wait, &entry.slot);
        }
        if (n > 0) {
            end += static_cast<size_t>(n);
            if (reading_data) data_deadline.received(Clock::now(), static_cast<size_t>(n));
            continue;
        }
        // A timeout reads -ECANCELED on the plain socket (the linked
        // timeout cancels the recv) and -ETIME from a TLS stream.
        if (n == -ECANCELED && entry.slot.cancelled) {
            session.shutdown(out);
            co_await conn.send(out, ctx.timeouts.send);
            reason = "shutdown";
        } else if (n == -ECANCELED || n == -ETIME) {
            session.timeout(out);
            co_await conn.send(out, ctx.timeouts.send);
            reason = "timeout";
        } else {
            reason = n == 0 ? "eof" : "lost";
        }
        break;
    }
    if (conn.plain) {
        int sock = conn.plain->release();   // -1 when a failed STARTTLS closed it already
        if (sock >= 0) co_await io::close(sock);
    } else {
        auto closing = conn.close();
        co_await std::move(closing);
    }
    const auto& st = session.stats();
    log::info("disconnect", {{"client", client.ip},
                             {"reason", reason},
                             {"commands", st.commands},
                             {"bad", st.bad_commands},
                             {"delayed", st.delays},
                             {"messages", st.messages},
                             {"rcpts", st.recipients}});
    ctx.live.remove(entry);
}

}  // namespace ringpost::smtp
