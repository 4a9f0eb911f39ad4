// The IMAP io driver (see connection.hpp).
#include "imap/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <utility>

#include "imap/parser.hpp"
#include "io/ops.hpp"
#include "io/ring.hpp"
#include "io/stream.hpp"
#include "io/socket.hpp"
#include "tls/server_upgrade.hpp"
#include "util/log.hpp"

namespace ringpost::imap {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kRecvBuffer = 16384;

// The TLS close_notify at the end is best effort: a peer that stopped
// reading does not hold the session longer than this.
constexpr std::chrono::milliseconds kCloseTimeout{5000};

// Before login a client may send only small commands (CAPABILITY, LOGIN,
// AUTHENTICATE, ...): an unauthenticated peer cannot make us buffer a 64 MiB
// literal. Lines may be as long as the largest ID command RFC 2971 allows
// (about 62 KiB), which clients send before they log in; literals stay at
// 8 KiB. The configured limits apply once the client has logged in.
ReaderLimits before_login(const ReaderLimits& l) {
    constexpr uint64_t kLiteral = 8192;
    return {std::min<size_t>(l.max_line, kMaxIdLine), std::min<uint64_t>(l.max_literal, kLiteral),
            std::min<uint64_t>(l.max_command, kMaxIdLine + kLiteral)};
}

}  // namespace


io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx) {
    io::LiveEntry entry;
    ctx.live.add(entry);
    std::unique_ptr<io::Stream> stream = std::make_unique<io::PlainStream>(fd);
    SessionConfig config = ctx.config;
    if (io::is_loopback_ip(client.ip)) config.plaintext_allowed = true;
    config.starttls = ctx.tls != nullptr;
    const char* reason = "logout";

    log::info("connect", {{"proto", "imap"}, {"client", client.ip}, {"port", static_cast<int>(client.port)}});
    bool alive = true;
    if (ctx.implicit_tls) {
        // imaps (RFC 8314): the handshake comes before the greeting.
        alive = false;
        if (ctx.tls != nullptr) {
            auto upgrading = tls::upgrade_to_tls(stream, *ctx.tls, ctx.timeouts.tls_handshake, "imap", client.ip, &entry.slot);
            alive = co_await std::move(upgrading);
        }
        client.tls = alive;
        if (!alive) reason = "tls_failed";
    }
    Session session(config, ctx.backend, client);
    CommandReader reader(before_login(ctx.limits));
    bool full_limits = false;
    // Long FETCH replies go out as they grow, through the current stream
    // (plain, or TLS after STARTTLS). A change to the selected mailbox
    // interrupts the recv of an IDLE wait; the session calls these only
    // while it lives, i.e. while this frame does.
    const auto send_timeout = ctx.timeouts.send;
    session.set_flush([&stream, send_timeout](std::string& o) { return stream->send_all(o, send_timeout); });
    bool waiting_in_idle = false;
    bool recheck = false;
    session.set_wake([&entry, &waiting_in_idle] {
        if (waiting_in_idle && entry.slot.pending) io::Ring::current()->cancel(entry.slot.pending);
    });
    std::string out;
    std::string in;
    size_t pos = 0;
    char buf[kRecvBuffer];

    if (alive) {
        session.greet(out);
        alive = co_await stream->send_all(out, ctx.timeouts.send);
        if (!alive) reason = "lost";
    }
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
            if (!(co_await stream->send_all(out, ctx.timeouts.send))) {
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
            if (!full_limits && session.state() != State::kNotAuthenticated) {
                reader.set_limits(ctx.limits);
                full_limits = true;
            }
            if (next == Next::kClose && session.lost()) {
                reason = "lost";
                break;
            }
            if (next == Next::kStartTls) {
                // The tagged OK goes out in clear; whatever the client sent
                // after STARTTLS came in clear too: discard it, never
                // process it (CVE-2011-0411).
                if (!(co_await stream->send_all(out, ctx.timeouts.send))) {
                    reason = "lost";
                    break;
                }
                if (in.size() > pos)
                    log::warn("imap_starttls_injection",
                              {{"client", client.ip}, {"discarded", static_cast<int64_t>(in.size() - pos)}});
                in.clear();
                pos = 0;
                bool secured = false;
                if (ctx.tls != nullptr) {
                    auto upgrading =
                        tls::upgrade_to_tls(stream, *ctx.tls, ctx.timeouts.tls_handshake, "imap", client.ip, &entry.slot);
                    secured = co_await std::move(upgrading);
                }
                if (!secured) {
                    reason = "tls_failed";
                    break;
                }
                session.tls_started();
                deadline = Clock::now() + ctx.timeouts.idle;
                continue;
            }
            if (next == Next::kClose) {
                co_await stream->send_all(out, ctx.timeouts.send);
                if (session.bad_commands() > 0 && reason == std::string_view("logout") &&
                    session.state() == State::kLogout && config.max_bad_commands != 0 &&
                    session.bad_commands() >= config.max_bad_commands)
                    reason = "errors";
                break;
            }
            continue;
        }

        // All input consumed.
        in.clear();
        pos = 0;
        if (session.idling() && (session.changed() || recheck)) {
            recheck = false;
            auto r = session.refresh(out);
            co_await std::move(r);
            if (session.state() == State::kLogout) {   // the mailbox went away under us
                co_await stream->send_all(out, ctx.timeouts.send);
                reason = "mailbox_gone";
                break;
            }
        }
        if (!out.empty()) {
            if (!(co_await stream->send_all(out, ctx.timeouts.send))) {
                reason = "lost";
                break;
            }
        }
        if (ctx.live.draining() && reader.idle()) {
            session.shutdown(out);
            co_await stream->send_all(out, ctx.timeouts.send);
            reason = "shutdown";
            break;
        }
        auto now = Clock::now();
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        bool idling = session.idling();
        if (idling && wait > ctx.timeouts.idle_recheck) wait = ctx.timeouts.idle_recheck;
        if (wait.count() < 1) wait = std::chrono::milliseconds(1);
        waiting_in_idle = idling;
        int n = co_await stream->recv(buf, sizeof buf, wait, &entry.slot);
        waiting_in_idle = false;
        if (n > 0) {
            in.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n == -ECANCELED && entry.slot.cancelled) {
            session.shutdown(out);
            co_await stream->send_all(out, ctx.timeouts.send);
            reason = "shutdown";
        } else if ((n == -ECANCELED || n == -ETIME) && Clock::now() < deadline) {
            // IDLE: a notification or the periodic re-check.
            if (idling) recheck = true;
            continue;
        } else if (n == -ECANCELED || n == -ETIME) {
            session.timeout(out);
            co_await stream->send_all(out, ctx.timeouts.send);
            reason = "timeout";
        } else {
            reason = n == 0 ? "eof" : "lost";
        }
        break;
    }
    co_await stream->close(std::min(ctx.timeouts.send, kCloseTimeout));
    log::info("disconnect", {{"proto", "imap"},
                             {"client", client.ip},
                             {"user", session.user()},
                             {"reason", reason},
                             {"commands", session.commands()},
                             {"bad", session.bad_commands()}});
    ctx.live.remove(entry);
}

}  // namespace ringpost::imap
