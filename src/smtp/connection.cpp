#include "smtp/connection.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include "io/ops.hpp"
#include "io/send_all.hpp"
#include "io/ring.hpp"
#include "util/log.hpp"

namespace ringpost::smtp {
namespace {

using Clock = std::chrono::steady_clock;

// Input buffer in the coroutine frame: 8 KiB holds any command line
// (Limits::max_command_line is below it) and a good slice of DATA; idle
// sessions stay well under the 16 KiB budget.
constexpr size_t kInputBuffer = 8192;

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
    bool ok = false;

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        handle = h;
        ring = io::Ring::current();
        spool.commit(std::move(message), [this](bool result) {
            ok = result;
            auto h2 = handle;
            ring->post([h2] { h2.resume(); });
        });
    }
    bool await_resume() const noexcept { return ok; }
};

using io::send_all;

}  // namespace

io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx) {
    io::LiveEntry entry;
    ctx.live.add(entry);
    Session session(ctx.config, ctx.policy, client);
    std::string out;
    char in[kInputBuffer];
    size_t start = 0;
    size_t end = 0;
    const char* reason = "quit";

    log::info("connect", {{"client", client.ip}, {"port", static_cast<int>(client.port)}});
    session.greet(out);
    bool alive = co_await send_all(fd, out, ctx.timeouts.send);
    auto deadline = Clock::now() + ctx.timeouts.command;
    uint32_t seen_commands = 0;

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
            if (!out.empty() && !(co_await send_all(fd, out, ctx.timeouts.send))) {
                reason = "lost";
                break;
            }
            AcceptedMessage message = session.take_message();
            CommitAwaiter commit{ctx.spool, message, nullptr, {}, false};
            bool ok = co_await commit;
            session.committed(ok, out);
            entry.busy = session.in_transaction();
            if (ctx.live.draining() && !entry.busy) {
                session.shutdown(out);
                co_await send_all(fd, out, ctx.timeouts.send);
                reason = "shutdown";
                break;
            }
            continue;
        }
        if (ev == Event::kClose) {
            co_await send_all(fd, out, ctx.timeouts.send);
            reason = session.stats().bad_commands >= ctx.config.limits.max_bad_commands ? "errors" : "quit";
            break;
        }
        // kNeedInput: flush replies only now that the input is drained.
        if (!out.empty()) {
            if (!(co_await send_all(fd, out, ctx.timeouts.send))) {
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
            co_await send_all(fd, out, ctx.timeouts.send);
            reason = "shutdown";
            break;
        }
        std::chrono::milliseconds wait;
        if (session.in_data()) {
            wait = ctx.timeouts.data;
        } else {
            wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (wait.count() < 1) wait = std::chrono::milliseconds(1);
        }
        int n = co_await io::recv(fd, in + end, sizeof in - end, wait, &entry.slot);
        if (n > 0) {
            end += static_cast<size_t>(n);
            continue;
        }
        if (n == -ECANCELED && entry.slot.cancelled) {
            session.shutdown(out);
            co_await send_all(fd, out, ctx.timeouts.send);
            reason = "shutdown";
        } else if (n == -ECANCELED) {
            session.timeout(out);
            co_await send_all(fd, out, ctx.timeouts.send);
            reason = "timeout";
        } else {
            reason = n == 0 ? "eof" : "lost";
        }
        break;
    }
    co_await io::close(fd);
    const auto& st = session.stats();
    log::info("disconnect", {{"client", client.ip},
                             {"reason", reason},
                             {"commands", st.commands},
                             {"bad", st.bad_commands},
                             {"messages", st.messages},
                             {"rcpts", st.recipients}});
    ctx.live.remove(entry);
}

}  // namespace ringpost::smtp
