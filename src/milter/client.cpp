// The milter connection over the ring; see client.hpp.
#include "milter/client.hpp"

#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/ops.hpp"
#include "milter/protocol.hpp"

namespace ringpost::milter {
namespace {

Result<Endpoint> unix_endpoint(std::string_view text, std::string_view path) {
    Endpoint e{std::string(text), {}};
    sockaddr_un un{};
    if (path.empty() || path.size() >= sizeof(un.sun_path)) return make_error("bad unix socket path in " + e.text);
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, path.data(), path.size());
    std::memcpy(&e.address.storage, &un, sizeof(un));
    e.address.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    return e;
}

std::chrono::milliseconds left(Clock::time_point deadline) {
    const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return std::max(d, std::chrono::milliseconds{1});
}

std::chrono::milliseconds bounded(std::chrono::milliseconds step, Clock::time_point deadline) {
    return std::min(step, left(deadline));
}

std::string describe(int n) {
    if (n == 0) return "the milter closed the connection";
    if (n == -ETIME || n == -ECANCELED) return "timed out";
    return std::strerror(-n);
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view text) {
    std::string_view s = text;
    if (s.starts_with("unix:")) return unix_endpoint(text, s.substr(5));
    if (s.starts_with("inet:")) s.remove_prefix(5);
    const size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return make_error("expected IP:PORT or unix:/path, got \"" + std::string(text) + "\"");
    std::string host(s.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const std::string_view port_text = s.substr(colon + 1);
    unsigned port = 0;
    for (char c : port_text) port = c >= '0' && c <= '9' && port < 65536 ? port * 10 + static_cast<unsigned>(c - '0') : 70000;
    if (port_text.empty() || port == 0 || port > 65535) return make_error("bad port in \"" + std::string(text) + "\"");
    auto address = io::make_address(host, static_cast<uint16_t>(port));
    if (!address) return make_error("expected an IP address in \"" + std::string(text) + "\"");
    return Endpoint{std::string(text), *address};
}

io::Task<Result<std::unique_ptr<Connection>>> Connection::open(const Endpoint& endpoint, const Timeouts& timeouts,
                                                               Clock::time_point deadline) {
    const int family = endpoint.address.storage.ss_family;
    io::Fd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) co_return make_error(std::string("socket: ") + std::strerror(errno), errno);
    auto connecting = io::connect(fd.get(), endpoint.address.get(), endpoint.address.length,
                                  bounded(timeouts.connect, deadline));
    const int rc = co_await connecting;
    if (rc < 0) {
        co_return make_error("connect to " + endpoint.text + ": " + (rc == -ECANCELED ? "timed out" : std::strerror(-rc)),
                             -rc);
    }
    if (family != AF_UNIX) io::set_nodelay(fd.get());
    std::unique_ptr<Connection> c(new Connection(std::make_unique<io::PlainStream>(std::move(fd))));
    auto negotiating = c->negotiate(timeouts, deadline);
    Result<void> negotiated = co_await std::move(negotiating);
    if (!negotiated) {
        auto closing = c->close();
        co_await std::move(closing);
        co_return negotiated.error();
    }
    co_return std::move(c);
}

Connection::~Connection() = default;

io::Task<Result<void>> Connection::negotiate(const Timeouts& timeouts, Clock::time_point deadline) {
    std::string out;
    put_option_negotiation(out, kVersion, kAllActions, kOfferedProtocol);
    auto sending = send(out, timeouts, deadline);
    if (Result<void> sent = co_await std::move(sending); !sent) co_return sent.error();
    auto reading = read_reply(timeouts, deadline);
    Result<Reply> r = co_await std::move(reading);
    if (!r) co_return r.error();
    if (r->code != rep::kOptionNegotiation) co_return make_error(std::string("option negotiation answered with '") + r->code + "'");
    if (r->version < 2) co_return make_error("milter protocol version " + std::to_string(r->version) + " is too old");
    // A milter may only take away what was offered.
    version_ = std::min(r->version, kVersion);
    protocol_ = r->protocol & kOfferedProtocol;
    co_return Result<void>{};
}

io::Task<Result<void>> Connection::send(std::string& out, const Timeouts& timeouts, Clock::time_point deadline) {
    if (out.empty()) co_return Result<void>{};
    auto sending = stream_->send_all(out, bounded(timeouts.command, deadline));
    if (!(co_await std::move(sending))) co_return make_error("writing to the milter failed", EPIPE);
    co_return Result<void>{};
}

io::Task<Result<Reply>> Connection::read_reply(const Timeouts& timeouts, Clock::time_point deadline) {
    char buf[16384];
    for (;;) {
        Reply reply;
        size_t consumed = 0;
        std::string error;
        const Parse p = next_reply(in_, consumed, reply, error);
        if (p == Parse::kError) co_return make_error("protocol error: " + error, EPROTO);
        if (p == Parse::kReply) {
            in_.erase(0, consumed);
            answered_ = true;
            co_return reply;
        }
        if (Clock::now() >= deadline) co_return make_error("timed out (total)", ETIME);
        auto receiving = stream_->recv(buf, sizeof(buf), bounded(timeouts.command, deadline));
        const int n = co_await std::move(receiving);
        if (n <= 0) co_return make_error(describe(n), n == 0 ? ECONNRESET : -n);
        in_.append(buf, static_cast<size_t>(n));
    }
}

io::Task<Result<Outcome>> Connection::run(const Transaction& t, const Timeouts& timeouts, Clock::time_point deadline) {
    reusable_ = false;
    answered_ = false;
    Exchange ex(t, protocol_);
    std::string out;
    while (!ex.finished()) {
        ex.write(out);
        auto sending = send(out, timeouts, deadline);
        if (Result<void> sent = co_await std::move(sending); !sent) co_return sent.error();
        if (!ex.awaiting()) break;   // cannot happen: the end of the body is always answered
        while (ex.awaiting()) {
            auto reading = read_reply(timeouts, deadline);
            Result<Reply> r = co_await std::move(reading);
            if (!r) co_return r.error();
            if (Result<void> taken = ex.on_reply(*r); !taken) co_return make_error("protocol error: " + taken.error().message, EPROTO);
        }
    }
    // The replayed SMTP connection ends here; a version 6 milter then
    // expects another on the same socket.
    if (!ex.message_closed()) put_bare(out, cmd::kAbort);
    if (version_ >= 6) {
        put_bare(out, cmd::kQuitNewConnection);
        auto sending = send(out, timeouts, deadline);
        reusable_ = (co_await std::move(sending)).ok() && in_.empty();
    }
    idle_since_ = Clock::now();
    co_return ex.take_outcome();
}

io::Task<void> Connection::close() {
    if (!stream_) co_return;
    if (version_ > 0) {
        std::string out;
        put_bare(out, cmd::kQuit);
        auto sending = stream_->send_all(out, std::chrono::milliseconds{1000});
        co_await std::move(sending);
    }
    auto closing = stream_->close(std::chrono::milliseconds{1000});
    co_await std::move(closing);
    stream_.reset();
}

}  // namespace ringpost::milter
