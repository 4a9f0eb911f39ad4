// The webhook sink's HTTP/1.1 client (http_client.hpp).
#include "events/http_client.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <cstring>

#include "events/http_response.hpp"
#include "io/socket.hpp"
#include "io/stream.hpp"
#include "tls/tls_stream.hpp"

namespace ringpost::events {
namespace {

// The first address of `host` (an IP literal, or a name through getaddrinfo).
Result<io::SocketAddress> resolve(const std::string& host, uint16_t port) {
    if (auto literal = io::make_address(host, port)) return literal;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0 || !found) return make_error("resolving " + host + ": " + gai_strerror(rc));
    io::SocketAddress a;
    std::memcpy(&a.storage, found->ai_addr, found->ai_addrlen);
    a.length = found->ai_addrlen;
    ::freeaddrinfo(found);
    if (a.storage.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = htons(port);
    else reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = htons(port);
    return a;
}

std::string host_header(const Url& url) {
    const bool v6 = url.host.find(':') != std::string::npos;
    std::string h = v6 ? "[" + url.host + "]" : url.host;
    if (url.port != (url.https ? 443 : 80)) h += ":" + std::to_string(url.port);
    return h;
}

bool bad_header_text(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

std::string format_post(const HttpPost& r) {
    std::string out = "POST " + r.url.target + " HTTP/1.1\r\nHost: " + host_header(r.url) +
                      "\r\nUser-Agent: ringpost\r\nContent-Type: " + r.content_type +
                      "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n";
    for (const auto& [name, value] : r.headers) {
        if (bad_header_text(name) || bad_header_text(value)) continue;   // refused by the configuration already
        out += name + ": " + value + "\r\n";
    }
    out += "\r\n";
    out += r.body;
    return out;
}

io::Task<Result<std::unique_ptr<io::Stream>>> HttpClient::connect(const Url& url, io::Duration timeout,
                                                                 io::CancelSlot* slot) {
    auto lookup = [&url] { return resolve(url.host, url.port); };
    auto address = co_await pool_.run(lookup);
    if (!address) co_return address.error();
    io::Fd fd(::socket(address->storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) co_return make_error(std::string("socket: ") + std::strerror(errno), errno);
    auto op = io::connect(fd.get(), address->get(), address->length, timeout);
    op.slot = slot;
    const int rc = co_await op;
    if (rc < 0) {
        const int e = -rc;
        co_return make_error("connect to " + url.host + ":" + std::to_string(url.port) + ": " +
                                 (e == ECANCELED ? "timed out" : std::strerror(e)), e);
    }
    io::set_nodelay(fd.get());
    if (!url.https) co_return std::unique_ptr<io::Stream>(new io::PlainStream(std::move(fd)));
    if (!tls_) co_return make_error("https without a TLS client context");
    auto tls = tls::TlsStream::client(fd.release(), tls_, url.host, /*verify=*/true);
    if (!tls) co_return make_error("TLS: out of memory");
    auto shaken = co_await tls->handshake(timeout, slot);
    if (!shaken) {
        co_await tls->close(timeout);
        co_return shaken.error();
    }
    co_return std::unique_ptr<io::Stream>(std::move(tls));
}

io::Task<void> HttpClient::drop(io::Duration timeout) {
    if (!stream_) co_return;
    std::unique_ptr<io::Stream> stream = std::move(stream_);
    co_await stream->close(timeout);
}

io::Task<Result<HttpReply>> HttpClient::exchange(const HttpPost& request, io::CancelSlot* slot, bool& answered,
                                                 bool& keep) {
    answered = false;
    keep = false;
    std::string out = format_post(request);
    if (!co_await stream_->send_all(out, request.timeout))
        co_return make_error("sending the request failed (peer gone or timed out)");
    ResponseReader reader;
    std::string buf(16 * 1024, '\0');
    for (;;) {
        const int n = co_await stream_->recv(buf.data(), buf.size(), request.timeout, slot);
        if (n < 0)
            co_return make_error(std::string("reading the response: ") +
                                     (n == -ETIME || n == -ECANCELED ? "timed out" : std::strerror(-n)),
                                 -n);
        ResponseReader::State st;
        size_t used = 0;
        if (n == 0) {
            st = reader.finish();
        } else {
            answered = true;
            st = reader.feed(std::string_view(buf.data(), static_cast<size_t>(n)), used);
        }
        if (st == ResponseReader::State::kError) co_return make_error("bad response: " + reader.error());
        if (st == ResponseReader::State::kDone) {
            // Bytes past the response would be out of step with the next one.
            keep = n > 0 && reader.keep_alive() && used == static_cast<size_t>(n);
            co_return HttpReply{reader.status(), reader.body()};
        }
    }
}

io::Task<Result<HttpReply>> HttpClient::post(const HttpPost& request, io::CancelSlot* slot) {
    const std::string origin =
        std::string(request.url.https ? "https://" : "http://") + request.url.host + ":" + std::to_string(request.url.port);
    const auto now = std::chrono::steady_clock::now();
    if (stream_ && (origin != stream_origin_ || now - last_used_ > kIdleLimit)) co_await drop(request.timeout);
    Result<HttpReply> result = make_error("no response");
    // At most two tries: a second only when a kept connection ended
    // before any response (the server closed it while it was idle).
    for (int attempt = 0; attempt < 2; ++attempt) {
        const bool reused = stream_ != nullptr;
        if (!stream_) {
            auto connected = co_await connect(request.url, request.timeout, slot);
            if (!connected) co_return connected.error();
            stream_ = std::move(connected).value();
            stream_origin_ = origin;
            ++connections_;
        }
        bool answered = false, keep = false;
        result = co_await exchange(request, slot, answered, keep);
        if (!keep) co_await drop(request.timeout);
        last_used_ = std::chrono::steady_clock::now();
        if (result || !reused || answered) break;
        // A timeout or the shutdown is no closed connection: not again.
        const int e = result.error().code.value();
        if (e == ETIME || e == ECANCELED) break;
    }
    co_return result;
}

}  // namespace ringpost::events
