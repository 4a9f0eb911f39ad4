// Writing a Response on the wire (RFC 9112 4-6): the status line, the
// handler's fields, then the ones every answer carries: Date, Connection
// and Content-Length (always: a body of known length keeps the connection
// usable, and no answer here streams). A HEAD request's answer has the
// headers of GET and no body (RFC 9110 9.3.2).
#pragma once

#include <ctime>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace ringpost::http {

struct WriteOptions {
    bool keep_alive = true;   // false: "Connection: close"
    bool head = false;        // the answer to a HEAD request: no body
    unsigned version = 11;    // the request's: an HTTP/1.0 client that keeps the connection hears "keep-alive"
};

// Appends the whole response to `out`.
void write_response(const Response& response, const WriteOptions& options, std::string& out);

// "OK", "Not Found"; "Unknown" for a code without a phrase here.
std::string_view reason_phrase(int status);

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7, IMF-fixdate).
std::string http_date(std::time_t t);

// The interim answer to "Expect: 100-continue" (RFC 9110 10.1.1).
inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace ringpost::http
