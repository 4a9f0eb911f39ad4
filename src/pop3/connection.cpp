// The POP3 io driver (see connection.hpp).
#include "pop3/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "io/ops.hpp"
#include "io/stream.hpp"
#include "io/socket.hpp"
#include "tls/server_upgrade.hpp"
#include "util/log.hpp"

namespace ringpost::pop3 {
namespace {

using Clock = std::chrono::steady_clock;

// Input buffer in the coroutine frame: holds any command line and any SASL
// response the limits allow (they are lowered to fit); POP3 clients send
// little, so idle sessions stay small.
constexpr size_t kInputBuffer = 4096;
// The TLS close_notify at the end is best effort: a peer that stopped
// reading does not hold the session longer than this.
constexpr std::chrono::milliseconds kCloseTimeout{5000};

// Holds the maildrop lock between a successful open and the end of the
// connection; released in the destructor too, so no way out of the
// coroutine (even destroying its frame) leaves a maildrop locked.
class MaildropLock {
public:
    explicit MaildropLock(Backend& backend) : backend_(backend) {}
    ~MaildropLock() { release(); }
    MaildropLock(const MaildropLock&) = delete;
    MaildropLock& operator=(const MaildropLock&) = delete;

    void hold(const std::string& user) {
        release();
        user_ = user;
        held_ = true;
    }
    void release() {
        if (!held_) return;
        held_ = false;
        backend_.close_maildrop(user_);
    }

private:
    Backend& backend_;
    std::string user_;
    bool held_ = false;
};


const char* auth_word(AuthStatus s) {
    switch (s) {
    case AuthStatus::kOk:
        return "ok";
    case AuthStatus::kBadCredentials:
        return "failed";
    case AuthStatus::kTempFail:
        return "tempfail";
    }
    return "?";
}

SessionConfig fit_to_buffer(const SessionConfig& c) {
    SessionConfig fitted = c;
    fitted.limits.max_command_line = std::min<uint32_t>(fitted.limits.max_command_line, kInputBuffer);
    fitted.limits.max_auth_line = std::min<uint32_t>(fitted.limits.max_auth_line, kInputBuffer);
    return fitted;
}

}  // namespace

io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx) {
    io::LiveEntry entry;
    ctx.live.add(entry);
    std::unique_ptr<io::Stream> stream = std::make_unique<io::PlainStream>(fd);
    SessionConfig config = fit_to_buffer(ctx.config);
    config.tls_available = ctx.tls != nullptr;
    if (io::is_loopback_ip(client.ip)) config.plaintext_allowed = true;
    MaildropLock lock(ctx.backend);
    std::string out;
    char in[kInputBuffer];
    size_t start = 0;
    size_t end = 0;
    const char* reason = "quit";

    log::info("connect", {{"proto", "pop3"}, {"client", client.ip}, {"port", static_cast<int>(client.port)}});
    bool alive = true;
    if (ctx.implicit_tls) {
        // pop3s (RFC 8314): the handshake comes before the greeting.
        alive = false;
        if (ctx.tls != nullptr) {
            auto upgrading = tls::upgrade_to_tls(stream, *ctx.tls, ctx.timeouts.tls_handshake, "pop3", client.ip, &entry.slot);
            alive = co_await std::move(upgrading);
        }
        client.tls = alive;
        if (!alive) reason = "tls_failed";
    }
    Session session(config, client);
    if (alive) {
        session.greet(out);
        alive = co_await stream->send_all(out, ctx.timeouts.send);
        if (!alive) reason = "lost";
    }
    auto deadline = Clock::now() + ctx.timeouts.idle;
    uint32_t seen_commands = 0;

    while (alive) {
        size_t consumed = 0;
        Event ev = session.feed(std::string_view(in + start, end - start), consumed, out);
        start += consumed;
        if (session.stats().commands != seen_commands) {
            // A complete command arrived: the autologout timer starts anew.
            seen_commands = session.stats().commands;
            deadline = Clock::now() + ctx.timeouts.idle;
        }
        entry.busy = session.in_update();

        if (ev == Event::kFlush) {
            // The next chunk of RETR/TOP/LIST/UIDL: send it before making more.
            if (!(co_await stream->send_all(out, ctx.timeouts.send))) {
                reason = "lost";
                break;
            }
            continue;
        }
        if (ev == Event::kAuthenticate) {
            Session::Credentials cred = session.credentials();
            std::string user = cred.user;
            auto checking = ctx.backend.authenticate(std::move(cred.user), std::move(cred.password), client.ip);
            AuthResult result = co_await std::move(checking);
            log::info("pop3_login", {{"client", client.ip}, {"user", user}, {"result", auth_word(result.status)}});
            session.auth_done(result, out);
            continue;
        }
        if (ev == Event::kOpenMaildrop) {
            auto opening = ctx.backend.open_maildrop(session.user());
            Result<std::vector<MaildropEntry>> maildrop = co_await std::move(opening);
            if (maildrop) {
                lock.hold(session.user());
            } else {
                log::info("pop3_maildrop_refused", {{"client", client.ip},
                                                    {"user", session.user()},
                                                    {"error", maildrop.error().message}});
            }
            session.maildrop_opened(std::move(maildrop), out);
            continue;
        }
        if (ev == Event::kFetch) {
            auto fetching = ctx.backend.fetch(session.user(), session.fetch_uid());
            Result<std::string> message = co_await std::move(fetching);
            if (!message) {
                log::warn("pop3_fetch_failed", {{"client", client.ip},
                                                {"user", session.user()},
                                                {"uid", session.fetch_uid()},
                                                {"error", message.error().message}});
            }
            session.fetched(std::move(message), out);
            continue;
        }
        if (ev == Event::kUpdate) {
            auto removing = ctx.backend.remove(session.user(), session.deletions());
            Result<void> removed = co_await std::move(removing);
            if (!removed) {
                log::warn("pop3_remove_failed", {{"client", client.ip},
                                                 {"user", session.user()},
                                                 {"error", removed.error().message}});
            }
            session.updated(removed, out);
            continue;
        }
        if (ev == Event::kStartTls) {
            // RFC 2595 4: "+OK" goes out in clear, then the handshake. What
            // the client sent after STLS came in clear too: discard it,
            // never process it (CVE-2011-0411).
            if (!(co_await stream->send_all(out, ctx.timeouts.send))) {
                reason = "lost";
                break;
            }
            if (end > start)
                log::warn("pop3_stls_injection", {{"client", client.ip}, {"discarded", static_cast<int64_t>(end - start)}});
            start = end = 0;
            bool secured = false;
            if (ctx.tls != nullptr) {
                auto upgrading = tls::upgrade_to_tls(stream, *ctx.tls, ctx.timeouts.tls_handshake, "pop3", client.ip, &entry.slot);
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
        if (ev == Event::kClose) {
            // Unlock before the last response: a client that reconnects at
            // once must not find its own maildrop still locked.
            lock.release();
            co_await stream->send_all(out, ctx.timeouts.send);
            const auto& st = session.stats();
            if (ctx.config.limits.max_bad_commands != 0 && st.bad_commands >= ctx.config.limits.max_bad_commands)
                reason = "errors";
            else if (ctx.config.limits.max_auth_failures != 0 && st.auth_failures >= ctx.config.limits.max_auth_failures)
                reason = "auth_failures";
            break;
        }

        // kNeedInput: flush responses only now that the input is drained.
        if (!out.empty()) {
            if (!(co_await stream->send_all(out, ctx.timeouts.send))) {
                reason = "lost";
                break;
            }
            // We answered: the client's idle time starts now.
            deadline = Clock::now() + ctx.timeouts.idle;
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
            log::error("input_stall", {{"proto", "pop3"}, {"client", client.ip}});
            reason = "error";
            break;
        }
        if (ctx.live.draining() && !entry.busy) {
            session.shutdown(out);
            lock.release();
            co_await stream->send_all(out, ctx.timeouts.send);
            reason = "shutdown";
            break;
        }
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (wait.count() < 1) wait = std::chrono::milliseconds(1);
        int n = co_await stream->recv(in + end, sizeof in - end, wait, &entry.slot);
        if (n > 0) {
            end += static_cast<size_t>(n);
            continue;
        }
        if (n == -ECANCELED && entry.slot.cancelled) {
            session.shutdown(out);
            lock.release();
            co_await stream->send_all(out, ctx.timeouts.send);
            reason = "shutdown";
        } else if (n == -ECANCELED || n == -ETIME) {   // the timeout (plain: -ECANCELED, TLS: -ETIME)
            // RFC 1939 3: autologout closes without a response and without UPDATE.
            session.timeout(out);
            reason = "timeout";
        } else {
            reason = n == 0 ? "eof" : "lost";
        }
        break;
    }
    lock.release();
    co_await stream->close(std::min(ctx.timeouts.send, kCloseTimeout));
    const auto& st = session.stats();
    log::info("disconnect", {{"proto", "pop3"},
                             {"client", client.ip},
                             {"reason", reason},
                             {"commands", st.commands},
                             {"bad", st.bad_commands},
                             {"auth_failures", st.auth_failures},
                             {"retrieved", st.retrieved},
                             {"deleted", st.deleted}});
    ctx.live.remove(entry);
}

}  // namespace ringpost::pop3
