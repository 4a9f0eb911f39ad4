// The HTTP io driver (connection.hpp): a loop over the parser's events on
// a proto::Connection, which holds the socket, the buffers, the deadline
// and the TLS stream shared with SMTP, POP3 and IMAP.
#include "http/connection.hpp"

#include <algorithm>
#include <utility>

#include "http/writer.hpp"
#include "proto/connection.hpp"
#include "util/log.hpp"

namespace ringpost::http {
namespace {

using proto::ReadResult;

// Answers waiting in out() go out at this size even while pipelined
// requests remain, so a burst of them cannot pile up unbounded output.
constexpr size_t kFlushAt = 64 * 1024;

proto::ConnectionOptions connection_options(const ConnectionContext& ctx, const Caller& client) {
    // Room for a whole header block (the parser's limit) and a large read
    // of body bytes behind it; the buffer starts small.
    const size_t limit = std::max<size_t>(ctx.limits.max_header + 1, 16 * 1024) + 48 * 1024;
    return {.proto = "http", .client_ip = client.ip, .input_initial = 4096, .input_limit = limit,
            .send_timeout = ctx.timeouts.send, .handshake_timeout = ctx.timeouts.tls_handshake,
            .close_timeout = std::min(ctx.timeouts.send, proto::kCloseTimeout),
            .injection_event = "http_injection", .injection_field = "discarded",
            .idle_timeout = ctx.timeouts.idle, .reason = "close", .tls_unavailable_reason = "tls_failed"};
}

class Driver {
public:
    Driver(int fd, ConnectionContext& ctx, Caller client)
        : ctx_(ctx), caller_(std::move(client)), conn_(fd, ctx.live, connection_options(ctx, caller_)),
          parser_(ctx.limits) {}

    io::Task<void> run();

private:
    io::Task<bool> step();
    io::Task<bool> respond(Request request);
    io::Task<bool> refuse(int status, std::string text);   // by value: the frame keeps it
    io::Task<bool> read();
    void log_request(const Request& request, const Response& response, std::chrono::steady_clock::time_point began);

    ConnectionContext& ctx_;
    Caller caller_;
    proto::Connection conn_;
    RequestParser parser_;
    uint64_t requests_ = 0;
};

io::Task<void> Driver::run() {
    auto beginning = conn_.begin(ctx_.tls, ctx_.implicit_tls);
    bool alive = co_await std::move(beginning);
    caller_.tls = conn_.tls() != nullptr;
    conn_.restart_deadline();
    while (alive) {
        auto stepping = step();
        alive = co_await std::move(stepping);
    }
    auto closing = conn_.finish();
    co_await std::move(closing);
    log::debug("disconnect", {{"proto", "http"}, {"client", caller_.ip}, {"reason", conn_.reason()},
                              {"requests", requests_}});
}

io::Task<bool> Driver::step() {
    size_t consumed = 0;
    const RequestParser::Event ev = parser_.feed(conn_.input(), consumed);
    conn_.consume(consumed);
    conn_.set_busy(parser_.in_progress());
    switch (ev) {
        case RequestParser::Event::kRequest: return respond(parser_.take());
        case RequestParser::Event::kContinue:
            conn_.out() += kContinue;
            return conn_.send_replies();
        case RequestParser::Event::kError: return refuse(parser_.error_status(), parser_.error_text());
        case RequestParser::Event::kNeedInput: break;
    }
    return read();
}

io::Task<bool> Driver::respond(Request request) {
    conn_.set_busy(true);
    const auto began = std::chrono::steady_clock::now();
    caller_.token.clear();
    auto dispatching = ctx_.router.dispatch(request, caller_);
    Response response = co_await std::move(dispatching);
    ++requests_;
    const bool keep = request.keep_alive && !response.close && !conn_.draining();
    write_response(response, {.keep_alive = keep, .head = request.method == Method::kHead, .version = request.version},
                   conn_.out());
    log_request(request, response, began);
    conn_.set_busy(false);
    if (!keep) {
        auto ending = conn_.hang_up("close");
        co_return co_await std::move(ending);
    }
    if (conn_.out().size() >= kFlushAt) {
        auto sending = conn_.send_replies();
        co_return co_await std::move(sending);
    }
    co_return true;
}

// A request that cannot be framed: its answer, then the connection ends.
io::Task<bool> Driver::refuse(int status, std::string text) {
    Response response = Response::error(status, text);
    write_response(response, {.keep_alive = false}, conn_.out());
    log::warn("http_refused", {{"client", caller_.ip}, {"status", status}, {"error", text}});
    auto ending = conn_.hang_up("bad_request");
    co_return co_await std::move(ending);
}

// The input is drained: the answers so far go out, then more is read.
io::Task<bool> Driver::read() {
    auto answering = conn_.answer();
    if (!(co_await std::move(answering))) co_return false;
    if (conn_.draining() && !parser_.in_progress()) {
        auto ending = conn_.hang_up("shutdown");
        co_return co_await std::move(ending);
    }
    const bool in_body = parser_.in_body();
    auto reading = conn_.fill();
    const ReadResult got = co_await reading;
    if (got == ReadResult::kData) {
        // A body in progress gets the whole idle time anew per read; a
        // header must come within one (a trickle cannot stretch it).
        if (in_body) conn_.restart_deadline();
        co_return true;
    }
    if (got == ReadResult::kTimeout && parser_.in_progress()) {
        auto refusing = refuse(408, "request not received in time");
        co_await std::move(refusing);
        conn_.end("timeout");
        co_return false;
    }
    auto ending = conn_.hang_up(got);
    co_return co_await std::move(ending);
}

void Driver::log_request(const Request& request, const Response& response,
                         std::chrono::steady_clock::time_point began) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - began);
    const log::Level level = response.status >= 500 ? log::Level::kWarn : log::Level::kInfo;
    log::event(level, "http_request",
               {{"method", request.method_text},
                {"path", request.path},
                {"status", response.status},
                {"bytes", response.body.size()},
                {"ms", static_cast<int64_t>(us.count() / 1000)},
                {"client", caller_.ip},
                {"token", caller_.token.empty() ? std::string_view("-") : std::string_view(caller_.token)}});
}

}  // namespace

io::Task<void> serve_connection(int fd, Caller client, ConnectionContext ctx) {
    return proto::run_driver<Driver>(fd, ctx, std::move(client));
}

}  // namespace ringpost::http
