// The outbound HTTP/1.1 client of the webhook sink: POSTs over one
// kept-alive connection while the server keeps it (a new one after a
// response that closes it, or after kIdleLimit without use), over TCP on
// the current ring (src/io),
// TLS for https (src/tls; the certificate chain and host name verified),
// every connect, send and receive bounded by the timeout; the response
// read by ResponseReader (http_response.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/blocking_pool.hpp"
#include "io/ops.hpp"
#include "io/stream.hpp"
#include "io/task.hpp"
#include "events/url.hpp"
#include "tls/context.hpp"
#include "util/result.hpp"

namespace ringpost::events {

struct HttpPost {
    Url url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string content_type;
    std::string body;
    io::Duration timeout{10000};
};

struct HttpReply {
    int status = 0;
    std::string body;   // the start of it, for the log
};

class HttpClient {
public:
    // `pool` resolves host names (getaddrinfo blocks); `tls` is for https
    // (null: https fails).
    HttpClient(io::BlockingPool& pool, std::shared_ptr<tls::ClientContext> tls) : pool_(pool), tls_(std::move(tls)) {}

    // Any complete response is a reply (the caller judges the status);
    // errors are the network's, TLS's, a timeout, or a malformed response.
    // `slot` cancels a wait (shutdown).
    io::Task<Result<HttpReply>> post(const HttpPost& request, io::CancelSlot* slot);
    // Connections opened so far (tests, the log).
    uint64_t connections() const { return connections_; }

    // A kept connection unused this long is closed rather than reused:
    // servers drop idle ones after a few seconds to minutes.
    static constexpr std::chrono::seconds kIdleLimit{30};

private:
    // One request and its response on stream_; `answered` tells whether any
    // byte of a response came (else a kept connection may just have been
    // closed by the server, and a new one is worth one more try).
    io::Task<Result<HttpReply>> exchange(const HttpPost& request, io::CancelSlot* slot, bool& answered, bool& keep);
    io::Task<Result<std::unique_ptr<io::Stream>>> connect(const Url& url, io::Duration timeout, io::CancelSlot* slot);
    io::Task<void> drop(io::Duration timeout);

    io::BlockingPool& pool_;
    std::shared_ptr<tls::ClientContext> tls_;
    std::unique_ptr<io::Stream> stream_;   // the kept connection, if any
    std::string stream_origin_;            // its scheme, host and port
    std::chrono::steady_clock::time_point last_used_{};
    uint64_t connections_ = 0;
};

// The request's bytes (tests).
std::string format_post(const HttpPost& request);

}  // namespace ringpost::events
