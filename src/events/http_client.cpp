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
                      "\r\nUser-Agent: ringpost\r\nConnection: close\r\nContent-Type: " + r.content_type +
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

io::Task<Result<HttpReply>> HttpClient::post(const HttpPost& request, io::CancelSlot* slot) {
    auto connected = co_await connect(request.url, request.timeout, slot);
    if (!connected) co_return connected.error();
    std::unique_ptr<io::Stream> stream = std::move(connected).value();
    std::string out = format_post(request);
    Result<HttpReply> result = make_error("no response");
    if (!co_await stream->send_all(out, request.timeout)) {
        result = make_error("sending the request failed (peer gone or timed out)");
    } else {
        ResponseReader reader;
        std::string buf(16 * 1024, '\0');
        for (;;) {
            const int n = co_await stream->recv(buf.data(), buf.size(), request.timeout, slot);
            ResponseReader::State st;
            if (n < 0) {
                result = make_error(std::string("reading the response: ") +
                                    (n == -ETIME || n == -ECANCELED ? "timed out" : std::strerror(-n)), -n);
                break;
            }
            if (n == 0) {
                st = reader.finish();
            } else {
                size_t used = 0;
                st = reader.feed(std::string_view(buf.data(), static_cast<size_t>(n)), used);
            }
            if (st == ResponseReader::State::kError) {
                result = make_error("bad response: " + reader.error());
                break;
            }
            if (st == ResponseReader::State::kDone) {
                result = HttpReply{reader.status(), reader.body()};
                break;
            }
        }
    }
    co_await stream->close(request.timeout);
    co_return result;
}

}  // namespace ringpost::events
