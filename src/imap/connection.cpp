// The IMAP io driver (see connection.hpp): a loop over the command
// reader's events and the session's answers on a proto::Connection, which
// holds the socket, the buffers and the TLS swap shared with SMTP and POP3.
#include "imap/connection.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "imap/parser.hpp"
#include "io/ring.hpp"
#include "io/socket.hpp"
#include "proto/connection.hpp"
#include "util/log.hpp"

namespace ringpost::imap {
namespace {

using proto::ReadResult;

// Reads go into a buffer that starts small and grows to kReadLimit only
// while the client sends more than fits (an APPEND literal); the reader
// takes all of it, so an idle session holds just the small one.
constexpr size_t kReadInitial = 1024;
constexpr size_t kReadLimit = 16384;


proto::ConnectionOptions connection_options(const ConnectionContext& ctx, const ClientInfo& client) {
    return {.proto = "imap",
            .client_ip = client.ip,
            .input_initial = kReadInitial,
            .input_limit = kReadLimit,
            .send_timeout = ctx.timeouts.send,
            .handshake_timeout = ctx.timeouts.tls_handshake,
            .close_timeout = std::min(ctx.timeouts.send, proto::kCloseTimeout),
            .injection_event = "imap_starttls_injection",
            .injection_field = "discarded",
            .idle_timeout = ctx.timeouts.idle,
            .reason = "logout"};
}

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

// One connection: the reader and the session over a proto::Connection
// (whose deadline is the autologout timer) and the IDLE wake-up. Handlers
// return false when the connection ends (its reason recorded in the
// Connection).
class Driver {
public:
    Driver(int fd, ConnectionContext& ctx, ClientInfo client)
        : ctx_(ctx), client_(std::move(client)), conn_(fd, ctx.live, connection_options(ctx, client_)),
          reader_(before_login(ctx.limits)) {}

    io::Task<void> run();

private:
    void start_session();
    // A reader event to the session: what it wants next.
    io::Task<Next> handle(ReadEvent ev);
    io::Task<bool> after(Next next);
    io::Task<bool> start_tls();
    io::Task<bool> read();

    ConnectionContext& ctx_;
    ClientInfo client_;
    SessionConfig config_;
    proto::Connection conn_;
    CommandReader reader_;
    std::optional<Session> session_;
    Command cmd_;
    bool full_limits_ = false;
    bool waiting_in_idle_ = false;   // the read may be woken by a mailbox change
    bool recheck_ = false;           // woken in IDLE: re-list before reading again
};

void Driver::start_session() {
    config_ = ctx_.config;
    if (io::is_loopback_ip(client_.ip)) config_.plaintext_allowed = true;
    config_.starttls = ctx_.tls != nullptr;
    session_.emplace(config_, ctx_.backend, client_);
    // Long FETCH replies go out as they grow, through the current stream
    // (plain, or TLS after STARTTLS). A change to the selected mailbox
    // interrupts the read of an IDLE wait; the session calls these only
    // while it lives, i.e. while this driver does.
    session_->set_flush([this](std::string& o) { return conn_.send(o); });
    session_->set_wake([this] {
        io::CancelSlot& slot = conn_.entry().slot;
        if (waiting_in_idle_ && slot.pending) io::Ring::current()->cancel(slot.pending);
    });
}

io::Task<void> Driver::run() {
    log::info("connect", {{"proto", "imap"}, {"client", client_.ip}, {"port", static_cast<int>(client_.port)}});
    // imaps: the handshake comes before the greeting.
    auto beginning = conn_.begin(ctx_.tls, ctx_.implicit_tls);
    bool alive = co_await std::move(beginning);
    client_.tls = conn_.tls() != nullptr;
    start_session();
    if (alive) {
        auto greeting = conn_.greet(*session_);
        alive = co_await std::move(greeting);
    }
    while (alive) {
        size_t consumed = 0;
        const ReadEvent ev = reader_.feed(conn_.input(), consumed);
        conn_.consume(consumed);
        if (ev == ReadEvent::kNeedInput) {
            auto reading = read();
            alive = co_await std::move(reading);
        } else if (ev == ReadEvent::kContinue) {
            conn_.out() += CommandReader::kContinuation;
            auto sending = conn_.send_replies();
            alive = co_await std::move(sending);
        } else {
            auto handling = handle(ev);
            const Next next = co_await std::move(handling);
            auto continuing = after(next);
            alive = co_await std::move(continuing);
        }
    }
    auto closing = conn_.finish();
    co_await std::move(closing);
    log::info("disconnect", {{"proto", "imap"},
                             {"client", client_.ip},
                             {"user", session_->user()},
                             {"reason", conn_.reason()},
                             {"commands", session_->commands()},
                             {"bad", session_->bad_commands()}});
}

io::Task<Next> Driver::handle(ReadEvent ev) {
    Session& session = *session_;
    std::string& out = conn_.out();
    if (ev == ReadEvent::kCommand) {
        conn_.restart_deadline();
        ParseResult parsed = parse_command(reader_.command());
        if (!parsed.ok()) co_return session.bad(parsed.command.tag, parsed.error, out);
        cmd_ = std::move(parsed.command);
        conn_.set_busy(true);
        auto running = session.execute(cmd_, out);
        const Next next = co_await std::move(running);
        conn_.set_busy(false);
        co_return next;
    }
    if (ev == ReadEvent::kLine) {
        conn_.restart_deadline();
        auto running = session.line(std::string(reader_.line()), out);
        co_return co_await std::move(running);
    }
    if (ev == ReadEvent::kError) co_return session.bad(reader_.error().tag, reader_.error().text, out);
    // kFatal: the reader cannot go on.
    out += "* BYE ";
    out += reader_.error().text;
    out += "\r\n";
    conn_.end("error");
    co_return Next::kClose;
}

io::Task<bool> Driver::after(Next next) {
    Session& session = *session_;
    if (next == Next::kLine) reader_.expect_line();
    if (!full_limits_ && session.state() != State::kNotAuthenticated) {
        reader_.set_limits(ctx_.limits);
        full_limits_ = true;
    }
    if (next == Next::kStartTls) {
        auto starting = start_tls();
        co_return co_await std::move(starting);
    }
    if (next != Next::kClose) co_return true;
    if (session.lost()) {
        conn_.end("lost");
        co_return false;
    }
    const bool errors = session.bad_commands() > 0 && conn_.reason() == std::string_view("logout") &&
                        session.state() == State::kLogout && config_.max_bad_commands != 0 &&
                        session.bad_commands() >= config_.max_bad_commands;
    auto ending = conn_.hang_up(errors ? "errors" : conn_.reason());
    co_return co_await std::move(ending);
}

io::Task<bool> Driver::start_tls() {
    // The tagged OK goes out in clear; what the client sent after STARTTLS
    // is discarded (Connection::start_tls_after_reply).
    auto starting = conn_.start_tls_after_reply(ctx_.tls);
    if (!(co_await std::move(starting))) co_return false;
    session_->tls_started();
    co_return true;
}

// All input consumed: re-list in IDLE if needed, flush, then read.
io::Task<bool> Driver::read() {
    Session& session = *session_;
    conn_.discard_input();
    if (session.idling() && (session.changed() || recheck_)) {
        recheck_ = false;
        auto refreshing = session.refresh(conn_.out());
        co_await std::move(refreshing);
        if (session.state() == State::kLogout) {   // the mailbox went away under us
            auto ending = conn_.hang_up("mailbox_gone");
            co_return co_await std::move(ending);
        }
    }
    if (!conn_.out().empty()) {
        auto sending = conn_.send_replies();
        if (!(co_await std::move(sending))) co_return false;
    }
    if (conn_.draining() && reader_.idle()) {
        auto ending = conn_.hang_up(ReadResult::kShutdown, session);
        co_return co_await std::move(ending);
    }
    auto wait = conn_.until_deadline();
    const bool idling = session.idling();
    if (idling && wait > ctx_.timeouts.idle_recheck) wait = ctx_.timeouts.idle_recheck;
    waiting_in_idle_ = idling;
    auto reading = conn_.fill(wait);
    const ReadResult got = co_await reading;
    waiting_in_idle_ = false;
    if (got == ReadResult::kTimeout && conn_.before_deadline()) {
        // IDLE: a notification or the periodic re-check.
        if (idling) recheck_ = true;
        co_return true;
    }
    if (got == ReadResult::kData) co_return true;
    auto ending = conn_.hang_up(got, session);
    co_return co_await std::move(ending);
}

}  // namespace

io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx) {
    return proto::run_driver<Driver>(fd, ctx, std::move(client));
}

}  // namespace ringpost::imap
