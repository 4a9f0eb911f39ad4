// The IMAP io driver (see connection.hpp).
#include "imap/connection.hpp"

#include <cerrno>
#include <memory>
#include <string>
#include <utility>

#include "imap/parser.hpp"
#include "io/ops.hpp"
#include "io/send_all.hpp"
#include "io/ring.hpp"
#include "util/log.hpp"

namespace ringpost::imap {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kRecvBuffer = 16384;

using io::send_all;

// Shared between the connection and the watch callback, which may run
// after the connection ended (a post already queued): hence shared_ptr.
struct Wake {
    bool changed = false;
    bool waiting = false;             // in IDLE, waiting for input
    io::CancelSlot* slot = nullptr;   // the recv to interrupt
};

}  // namespace

bool is_loopback(std::string_view ip) {
    return ip == "::1" || ip.substr(0, 4) == "127." || ip.substr(0, 11) == "::ffff:127.";
}

io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx) {
    io::LiveEntry entry;
    ctx.live.add(entry);
    SessionConfig config = ctx.config;
    if (is_loopback(client.ip)) config.plaintext_allowed = true;
    Session session(config, ctx.backend, client);
    CommandReader reader(ctx.limits);
    auto wake = std::make_shared<Wake>();
    wake->slot = &entry.slot;
    std::shared_ptr<void> watch;
    std::string watched;
    std::string out;
    std::string in;
    size_t pos = 0;
    char buf[kRecvBuffer];
    const char* reason = "logout";

    log::info("connect", {{"proto", "imap"}, {"client", client.ip}, {"port", static_cast<int>(client.port)}});
    session.greet(out);
    bool alive = co_await send_all(fd, out, ctx.timeouts.send);
    if (!alive) reason = "lost";
    auto deadline = Clock::now() + ctx.timeouts.idle;
    Command cmd;

    while (alive) {
        size_t consumed = 0;
        ReadEvent ev = reader.feed(std::string_view(in).substr(pos), consumed);
        pos += consumed;
        Next next = Next::kCommand;
        bool handled = true;
        switch (ev) {
        case ReadEvent::kCommand: {
            deadline = Clock::now() + ctx.timeouts.idle;
            ParseResult parsed = parse_command(reader.command());
            if (!parsed.ok()) {
                next = session.bad(parsed.command.tag, parsed.error, out);
                break;
            }
            cmd = std::move(parsed.command);
            entry.busy = true;
            auto running = session.execute(cmd, out);
            next = co_await std::move(running);
            entry.busy = false;
            break;
        }
        case ReadEvent::kLine: {
            deadline = Clock::now() + ctx.timeouts.idle;
            auto running = session.line(std::string(reader.line()), out);
            next = co_await std::move(running);
            break;
        }
        case ReadEvent::kContinue:
            out += CommandReader::kContinuation;
            if (!(co_await send_all(fd, out, ctx.timeouts.send))) {
                reason = "lost";
                alive = false;
            }
            continue;
        case ReadEvent::kError:
            next = session.bad(reader.error().tag, reader.error().text, out);
            break;
        case ReadEvent::kFatal:
            out += "* BYE ";
            out += reader.error().text;
            out += "\r\n";
            next = Next::kClose;
            reason = "error";
            break;
        case ReadEvent::kNeedInput:
            handled = false;
            break;
        }
        if (!alive) break;
        if (handled) {
            if (next == Next::kLine) reader.expect_line();
            if (next == Next::kClose) {
                co_await send_all(fd, out, ctx.timeouts.send);
                if (session.bad_commands() > 0 && reason == std::string_view("logout") &&
                    session.state() == State::kLogout && config.max_bad_commands != 0 &&
                    session.bad_commands() >= config.max_bad_commands)
                    reason = "errors";
                break;
            }
            // Follow the selected mailbox.
            std::string selected = session.selected_mailbox();
            if (selected != watched) {
                watch.reset();
                watched = selected;
                if (!selected.empty()) {
                    std::weak_ptr<Wake> weak = wake;
                    auto on_change = [weak] {
                        auto w = weak.lock();
                        if (!w) return;
                        w->changed = true;
                        if (w->waiting && w->slot && w->slot->pending) io::Ring::current()->cancel(w->slot->pending);
                    };
                    watch = ctx.backend.watch(session.user(), selected, on_change);
                }
            }
            continue;
        }

        // All input consumed.
        in.clear();
        pos = 0;
        if (session.idling() && wake->changed) {
            wake->changed = false;
            auto r = session.refresh(out);
            co_await std::move(r);
        }
        if (!out.empty()) {
            if (!(co_await send_all(fd, out, ctx.timeouts.send))) {
                reason = "lost";
                break;
            }
        }
        if (ctx.live.draining() && reader.idle()) {
            session.shutdown(out);
            co_await send_all(fd, out, ctx.timeouts.send);
            reason = "shutdown";
            break;
        }
        auto now = Clock::now();
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        bool idling = session.idling();
        if (idling && wait > ctx.timeouts.idle_recheck) wait = ctx.timeouts.idle_recheck;
        if (wait.count() < 1) wait = std::chrono::milliseconds(1);
        wake->waiting = idling;
        int n = co_await io::recv(fd, buf, sizeof buf, wait, &entry.slot);
        wake->waiting = false;
        if (n > 0) {
            in.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n == -ECANCELED && entry.slot.cancelled) {
            session.shutdown(out);
            co_await send_all(fd, out, ctx.timeouts.send);
            reason = "shutdown";
        } else if ((n == -ECANCELED || n == -ETIME) && Clock::now() < deadline) {
            // IDLE: a notification or the periodic re-check.
            if (idling) wake->changed = true;
            continue;
        } else if (n == -ECANCELED || n == -ETIME) {
            session.timeout(out);
            co_await send_all(fd, out, ctx.timeouts.send);
            reason = "timeout";
        } else {
            reason = n == 0 ? "eof" : "lost";
        }
        break;
    }
    watch.reset();
    co_await io::close(fd);
    log::info("disconnect", {{"proto", "imap"},
                             {"client", client.ip},
                             {"user", session.user()},
                             {"reason", reason},
                             {"commands", session.commands()},
                             {"bad", session.bad_commands()}});
    ctx.live.remove(entry);
}

}  // namespace ringpost::imap
