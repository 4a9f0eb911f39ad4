// The POP3 io driver (see connection.hpp): a loop over the session's
// events on a proto::Connection, which holds the socket, the buffers and
// the TLS swap shared with SMTP and IMAP.
#include "pop3/connection.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "io/socket.hpp"
#include "proto/connection.hpp"
#include "util/log.hpp"

namespace ringpost::pop3 {
namespace {

using proto::ReadResult;

// The input buffer holds any command line and any SASL response the
// limits allow (they are lowered to fit); it starts small and grows only
// for a long line, so idle sessions stay small.
constexpr size_t kInputInitial = 1024;
constexpr size_t kInputLimit = 4096;

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

const char* auth_word(auth::Status s) {
    switch (s) {
    case auth::Status::kOk:
        return "ok";
    case auth::Status::kBadCredentials:
        return "failed";
    case auth::Status::kTempFail:
        return "tempfail";
    }
    return "?";
}

SessionConfig session_config(const ConnectionContext& ctx, const ClientInfo& client) {
    SessionConfig fitted = ctx.config;
    fitted.limits.max_command_line = std::min<uint32_t>(fitted.limits.max_command_line, kInputLimit);
    fitted.limits.max_auth_line = std::min<uint32_t>(fitted.limits.max_auth_line, kInputLimit);
    fitted.tls_available = ctx.tls != nullptr;
    if (io::is_loopback_ip(client.ip)) fitted.plaintext_allowed = true;
    return fitted;
}

proto::ConnectionOptions connection_options(const ConnectionContext& ctx, const ClientInfo& client) {
    return {.proto = "pop3", .client_ip = client.ip, .input_initial = kInputInitial, .input_limit = kInputLimit,
            .send_timeout = ctx.timeouts.send, .handshake_timeout = ctx.timeouts.tls_handshake,
            .close_timeout = std::min(ctx.timeouts.send, proto::kCloseTimeout),
            .injection_event = "pop3_stls_injection", .injection_field = "discarded",
            .idle_timeout = ctx.timeouts.idle, .reason = "quit", .tls_unavailable_reason = "tls_failed"};
}

// One connection: the session over a proto::Connection (whose deadline is
// the RFC 1939 autologout timer: it restarts with every complete command
// and every response sent) and the maildrop lock. Every handler returns
// false when the connection ends (its reason recorded in the Connection).
class Driver {
public:
    Driver(int fd, ConnectionContext& ctx, ClientInfo client)
        : ctx_(ctx), client_(std::move(client)), conn_(fd, ctx.live, connection_options(ctx, client_)),
          lock_(ctx.backend) {}

    io::Task<void> run();

private:
    // The handler of an event other than kNeedInput.
    io::Task<bool> step(Event ev);
    // kClose: why the session closed ("quit", or a limit it reached).
    const char* close_reason() const;
    io::Task<bool> authenticate();
    io::Task<bool> open_maildrop();
    io::Task<bool> fetch();
    io::Task<bool> update();
    io::Task<bool> start_tls();
    io::Task<bool> read();
    // The session's shutdown response, sent with the lock released first.
    io::Task<bool> shut_down();
    void log_disconnect() const;

    ConnectionContext& ctx_;
    ClientInfo client_;
    proto::Connection conn_;
    MaildropLock lock_;
    std::optional<Session> session_;
};

io::Task<void> Driver::run() {
    log::info("connect", {{"proto", "pop3"}, {"client", client_.ip}, {"port", static_cast<int>(client_.port)}});
    // pop3s: the handshake comes before the greeting.
    auto beginning = conn_.begin(ctx_.tls, ctx_.implicit_tls);
    bool alive = co_await std::move(beginning);
    client_.tls = conn_.tls() != nullptr;
    session_.emplace(session_config(ctx_, client_), client_);
    Session& session = *session_;
    if (alive) {
        auto greeting = conn_.greet(session);
        alive = co_await std::move(greeting);
    }
    while (alive) {
        const Event ev = conn_.feed(session);
        conn_.set_busy(session.in_update());
        auto stepping = ev == Event::kNeedInput ? read() : step(ev);
        alive = co_await std::move(stepping);
    }
    lock_.release();
    auto closing = conn_.finish();
    co_await std::move(closing);
    log_disconnect();
}

io::Task<bool> Driver::step(Event ev) {
    if (ev == Event::kAuthenticate) return authenticate();
    if (ev == Event::kOpenMaildrop) return open_maildrop();
    if (ev == Event::kFetch) return fetch();
    if (ev == Event::kUpdate) return update();
    if (ev == Event::kStartTls) return start_tls();
    // The next chunk of RETR/TOP/LIST/UIDL: send it before making more.
    if (ev == Event::kFlush) return conn_.send_replies();
    if (ev == Event::kClose) {
        // Unlock before the last response: a client that reconnects at
        // once must not find its own maildrop still locked.
        lock_.release();
        return conn_.hang_up(close_reason());
    }
    return read();
}

const char* Driver::close_reason() const {
    const auto& st = session_->stats();
    const Limits& limits = ctx_.config.limits;
    if (limits.max_bad_commands != 0 && st.bad_commands >= limits.max_bad_commands) return "errors";
    if (limits.max_auth_failures != 0 && st.auth_failures >= limits.max_auth_failures) return "auth_failures";
    return "quit";
}

io::Task<bool> Driver::authenticate() {
    Session::Credentials cred = session_->credentials();
    std::string user = cred.user;
    auto checking = ctx_.backend.authenticate(std::move(cred.user), std::move(cred.password), client_.ip);
    auth::Outcome result = co_await std::move(checking);
    log::info("pop3_login", {{"client", client_.ip}, {"user", user}, {"result", auth_word(result.status)}});
    session_->auth_done(result, conn_.out());
    co_return true;
}

io::Task<bool> Driver::open_maildrop() {
    Session& session = *session_;
    auto opening = ctx_.backend.open_maildrop(session.user());
    Result<std::vector<MaildropEntry>> maildrop = co_await std::move(opening);
    if (maildrop) {
        lock_.hold(session.user());
    } else {
        log::info("pop3_maildrop_refused",
                  {{"client", client_.ip}, {"user", session.user()}, {"error", maildrop.error().message}});
    }
    session.maildrop_opened(std::move(maildrop), conn_.out());
    co_return true;
}

io::Task<bool> Driver::fetch() {
    Session& session = *session_;
    auto fetching = ctx_.backend.fetch(session.user(), session.fetch_uid());
    Result<std::string> message = co_await std::move(fetching);
    if (!message) {
        log::warn("pop3_fetch_failed", {{"client", client_.ip},
                                        {"user", session.user()},
                                        {"uid", session.fetch_uid()},
                                        {"error", message.error().message}});
    }
    session.fetched(std::move(message), conn_.out());
    co_return true;
}

io::Task<bool> Driver::update() {
    Session& session = *session_;
    auto removing = ctx_.backend.remove(session.user(), session.deletions());
    Result<void> removed = co_await std::move(removing);
    if (!removed) {
        log::warn("pop3_remove_failed",
                  {{"client", client_.ip}, {"user", session.user()}, {"error", removed.error().message}});
    }
    session.updated(removed, conn_.out());
    co_return true;
}

io::Task<bool> Driver::start_tls() {
    // RFC 2595 4: "+OK" goes out in clear, then the handshake; what the
    // client sent after STLS is discarded (Connection::start_tls_after_reply).
    auto starting = conn_.start_tls_after_reply(ctx_.tls);
    const bool secured = co_await std::move(starting);
    if (secured) session_->tls_started();
    co_return secured;
}

io::Task<bool> Driver::shut_down() {
    lock_.release();
    auto ending = conn_.hang_up(ReadResult::kShutdown, *session_);
    co_return co_await std::move(ending);
}

// kNeedInput: responses go out only now that the input is drained (and
// the client's idle time starts then), then the next read.
io::Task<bool> Driver::read() {
    auto answering = conn_.answer();
    if (!(co_await std::move(answering))) co_return false;
    if (conn_.draining() && !session_->in_update()) {
        auto ending = shut_down();
        co_return co_await std::move(ending);
    }
    auto reading = conn_.fill();
    const ReadResult got = co_await reading;
    if (got == ReadResult::kData) co_return true;
    if (got == ReadResult::kShutdown) {
        auto ending = shut_down();
        co_return co_await std::move(ending);
    }
    // RFC 1939 3: autologout closes without a response and without UPDATE.
    auto ending = conn_.hang_up(got, *session_);
    co_return co_await std::move(ending);
}

void Driver::log_disconnect() const {
    const auto& st = session_->stats();
    log::info("disconnect", {{"proto", "pop3"},
                             {"client", client_.ip},
                             {"reason", conn_.reason()},
                             {"commands", st.commands},
                             {"bad", st.bad_commands},
                             {"auth_failures", st.auth_failures},
                             {"retrieved", st.retrieved},
                             {"deleted", st.deleted}});
}

}  // namespace

io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx) {
    return proto::run_driver<Driver>(fd, ctx, std::move(client));
}

}  // namespace ringpost::pop3
