// The SMTP io driver (see connection.hpp): a loop over the session's
// events on a proto::Connection, which holds the socket, the buffers and
// the TLS swap shared with POP3 and IMAP.
#include "smtp/connection.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "io/ops.hpp"
#include "io/ring.hpp"
#include "proto/connection.hpp"
#include "smtp/data_deadline.hpp"
#include "util/log.hpp"
#include "util/log_rate_limit.hpp"

namespace ringpost::smtp {
namespace {

using Clock = std::chrono::steady_clock;
using proto::ReadResult;

// The input buffer holds any command line (Limits::max_command_line is
// below the limit) and a good slice of DATA; it starts small and grows
// only while the client sends more than fits, so an idle session stays
// well under the 16 KiB budget.
constexpr size_t kInputInitial = 1024;
constexpr size_t kInputLimit = 8192;


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
// callback posts the resumption to this connection's ring, whose loop
// resumes it from its ready queue (never inside the completion walk or
// inside posted work, io/ring.hpp).
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
            ring->post_resume(handle);
        });
    }
    Result<void> await_resume() { return std::move(result); }
};

proto::ConnectionOptions connection_options(const ConnectionContext& ctx, const ClientInfo& client) {
    return {.proto = "smtp", .client_ip = client.ip, .input_initial = kInputInitial, .input_limit = kInputLimit,
            .send_timeout = ctx.timeouts.send, .handshake_timeout = std::min(ctx.timeouts.handshake, ctx.timeouts.command),
            .injection_event = "starttls_pipelined", .injection_field = "bytes",
            .idle_timeout = ctx.timeouts.command, .reason = "quit", .tls_unavailable_reason = "error"};
}

// One connection: the session over a proto::Connection (whose deadline is
// the command deadline, which a trickle cannot stretch), the data deadline
// and the in-flight account. Every handler returns false when the
// connection ends (its reason recorded in the Connection).
class Driver {
public:
    Driver(int fd, ConnectionContext& ctx, ClientInfo client)
        : ctx_(ctx),
          client_(std::move(client)),
          conn_(fd, ctx.live, connection_options(ctx, client_)),
          data_deadline_(ctx.timeouts.data, ctx.timeouts.min_data_rate),
          inflight_(ctx.inflight, client_.ip) {}

    io::Task<void> run();

private:
    void start_session();
    // The handler of an event other than kNeedInput.
    io::Task<bool> step(Event ev);
    io::Task<bool> commit();
    io::Task<bool> authenticate();
    io::Task<bool> start_tls();
    // smtps: the TLS parameters for the Received: header.
    void implicit_tls_done(const tls::TlsStream& tls);
    io::Task<bool> delay();
    io::Task<bool> read();
    // The data deadline and the in-flight reservation before a read of
    // message data; nullopt when the connection ended meanwhile.
    io::Task<std::optional<std::chrono::milliseconds>> data_wait();
    // Replies so far, before an event that may take a while.
    io::Task<bool> send_pending();
    void log_disconnect() const;

    ConnectionContext& ctx_;
    ClientInfo client_;
    proto::Connection conn_;
    std::optional<Session> session_;
    DataDeadline data_deadline_;   // DATA/BDAT: data_timeout in hand, topped up by min_data_rate
    bool reading_data_ = false;
    // This session's share of the in-flight budget: covers the message
    // buffer plus one full read before every read in DATA/BDAT.
    InflightBudget::Account inflight_;
};

io::Task<bool> Driver::send_pending() {
    if (conn_.out().empty()) co_return true;
    auto sending = conn_.send_replies();
    co_return co_await std::move(sending);
}

void Driver::start_session() {
    SessionConfig config = ctx_.config;
    config.advertise_starttls = ctx_.tls != nullptr && !ctx_.implicit_tls;
    config.auth_available = ctx_.auth != nullptr;
    config.submission = ctx_.submission;
    session_.emplace(std::move(config), ctx_.policy, client_);
}

void Driver::implicit_tls_done(const tls::TlsStream& tls) {
    client_.tls = true;
    client_.tls_version = tls.tls_version();
    client_.tls_cipher = tls.tls_cipher();
    client_.tls_cipher_bits = tls.tls_cipher_bits();
}

io::Task<bool> Driver::step(Event ev) {
    switch (ev) {
    case Event::kCommit: return commit();
    case Event::kAuth: return authenticate();
    case Event::kStartTls: return start_tls();
    case Event::kDelay: return delay();
    case Event::kClose: return conn_.hang_up(session_->too_many_errors() ? "errors" : "quit");
    case Event::kNeedInput: break;
    }
    return read();
}

io::Task<void> Driver::run() {
    if (client_.screen.empty())
        log::info("connect", {{"client", client_.ip}, {"port", static_cast<int>(client_.port)}});
    else
        log::info("connect", {{"client", client_.ip}, {"port", static_cast<int>(client_.port)}, {"screen", client_.screen}});
    // smtps: the handshake before anything else.
    auto beginning = conn_.begin(ctx_.tls, ctx_.implicit_tls);
    if (!(co_await std::move(beginning))) {
        auto closing = conn_.finish();
        co_await std::move(closing);
        log::info("disconnect", {{"client", client_.ip}, {"reason", "tls_failed"}});
        co_return;
    }
    if (conn_.tls()) implicit_tls_done(*conn_.tls());
    start_session();
    Session& session = *session_;
    session.greet(conn_.out());
    auto greeting = conn_.flush();
    bool alive = co_await std::move(greeting);
    conn_.restart_deadline();
    while (alive) {
        const Event ev = conn_.feed(session);
        conn_.set_busy(session.in_transaction());
        // Reading is what a connection mostly does: straight to it.
        auto stepping = ev == Event::kNeedInput ? read() : step(ev);
        alive = co_await std::move(stepping);
    }
    auto closing = conn_.finish();
    co_await std::move(closing);
    log_disconnect();
}

io::Task<bool> Driver::commit() {
    Session& session = *session_;
    auto sending = send_pending();
    if (!(co_await std::move(sending))) co_return false;
    AcceptedMessage message = session.take_message();
    FilterVerdict verdict;
    if (ctx_.filter) {
        auto filtering = ctx_.filter->filter(message);
        verdict = co_await std::move(filtering);
    }
    if (verdict.accepted()) {
        CommitAwaiter committing{ctx_.spool, message, nullptr, {}, {}};
        Result<void> result = co_await committing;
        session.committed(result, conn_.out());
    } else if (verdict.discard) {
        // A milter dropped it; the client hears what a commit would say.
        session.committed(Result<void>{}, conn_.out());
    } else {
        session.refused(verdict.code, verdict.enhanced, verdict.text, conn_.out());
    }
    inflight_.release();   // the spool has the message, or it was dropped
    conn_.set_busy(session.in_transaction());
    if (conn_.draining() && !session.in_transaction()) {
        auto ending = conn_.hang_up(ReadResult::kShutdown, *session_);
        co_return co_await std::move(ending);
    }
    co_return true;
}

io::Task<bool> Driver::authenticate() {
    // Answer what came before first: the check may take seconds.
    auto sending = send_pending();
    if (!(co_await std::move(sending))) co_return false;
    AuthRequest request = session_->take_auth();
    auth::Outcome result;
    result.status = auth::Status::kTempFail;
    if (ctx_.auth) {
        auto checking = ctx_.auth->authenticate(std::move(request.user), std::move(request.password), client_.ip);
        result = co_await std::move(checking);
    }
    session_->auth_done(result.status, result.user, conn_.out());
    co_return true;
}

io::Task<bool> Driver::start_tls() {
    auto starting = conn_.start_tls_after_reply(ctx_.tls);
    if (!(co_await std::move(starting))) co_return false;
    const tls::TlsStream& tls = *conn_.tls();
    session_->tls_started(tls.tls_version(), tls.tls_cipher(), tls.tls_cipher_bits());
    co_return true;
}

io::Task<bool> Driver::delay() {
    // Past the soft error limit: the replies so far go out now, the next
    // one after error_delay, on a timer of this ring (Postfix sleep()s the
    // whole process here).
    auto sending = send_pending();
    if (!(co_await std::move(sending))) co_return false;
    io::SleepOp pause = io::sleep_for(session_->reply_delay());
    co_await pause;
    co_return true;
}

io::Task<std::optional<std::chrono::milliseconds>> Driver::data_wait() {
    Session& session = *session_;
    if (!reading_data_) data_deadline_.start(Clock::now());
    reading_data_ = true;
    const uint64_t need = session.message_bytes() + kInputLimit;
    if (!inflight_.reserve(need)) {
        log_inflight_wait(*ctx_.inflight, client_.ip);
        const auto paused_at = Clock::now();
        auto waiting = wait_for_budget(inflight_, need, conn_.entry().slot, ctx_.timeouts.data);
        const BudgetWait waited = co_await std::move(waiting);
        if (waited != BudgetWait::kGranted) {
            const bool shutdown = waited == BudgetWait::kShutdown;
            auto ending = conn_.hang_up(shutdown ? ReadResult::kShutdown : ReadResult::kTimeout, session);
            co_await std::move(ending);
            if (waited == BudgetWait::kTimeout) conn_.end("inflight_timeout");
            co_return std::nullopt;
        }
        // We held the transfer, not the client: min_data_rate must not cut
        // it off for the time we made it wait.
        data_deadline_.paused(Clock::now() - paused_at);
    }
    co_return data_deadline_.remaining(Clock::now());
}

// kNeedInput: replies go out only now that the input is drained (after a
// long DATA phase too, the client's time for its next command starts
// then), then the next read.
io::Task<bool> Driver::read() {
    auto answering = conn_.answer();
    if (!(co_await std::move(answering))) co_return false;
    Session& session = *session_;
    // A message dropped (RSET, 552, ...) gives its bytes back.
    if (session.message_bytes() == 0) inflight_.release();
    if (conn_.draining() && !session.in_transaction()) {
        auto ending = conn_.hang_up(ReadResult::kShutdown, *session_);
        co_return co_await std::move(ending);
    }
    std::chrono::milliseconds wait;
    if (session.in_data()) {
        auto waiting = data_wait();
        std::optional<std::chrono::milliseconds> data = co_await std::move(waiting);
        if (!data) co_return false;
        wait = *data;
    } else {
        reading_data_ = false;
        wait = conn_.until_deadline();
    }
    const size_t before = conn_.input().size();
    auto reading = conn_.fill(wait);
    const ReadResult got = co_await reading;
    if (got == ReadResult::kData) {
        if (reading_data_) data_deadline_.received(Clock::now(), conn_.input().size() - before);
        co_return true;
    }
    auto ending = conn_.hang_up(got, *session_);
    co_return co_await std::move(ending);
}

void Driver::log_disconnect() const {
    const auto& st = session_->stats();
    log::info("disconnect", {{"client", client_.ip}, {"reason", conn_.reason()}, {"commands", st.commands},
                             {"bad", st.bad_commands}, {"delayed", st.delays}, {"messages", st.messages},
                             {"rcpts", st.recipients}});
}

}  // namespace

io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx) {
    return proto::run_driver<Driver>(fd, ctx, std::move(client));
}

}  // namespace ringpost::smtp
