// write_response() and its pieces (writer.hpp).
#include "http/writer.hpp"

#include <array>
#include <utility>

namespace ringpost::http {
namespace {

constexpr std::array<std::pair<int, std::string_view>, 20> kReasons = {{
    {100, "Continue"},
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
}};

// The Date field changes once a second; formatting it is the only libc
// call per response, so each thread keeps the last one.
const std::string& date_now() {
    thread_local std::time_t cached_second = -1;
    thread_local std::string cached;
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        cached_second = now;
        cached = http_date(now);
    }
    return cached;
}

}  // namespace

std::string_view reason_phrase(int status) {
    for (const auto& [code, text] : kReasons)
        if (code == status) return text;
    return "Unknown";
}

std::string http_date(std::time_t t) {
    std::tm parts{};
    gmtime_r(&t, &parts);
    char buf[64];
    const size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &parts);
    return std::string(buf, n);
}

void write_response(const Response& response, const WriteOptions& options, std::string& out) {
    out += "HTTP/1.1 ";
    out += std::to_string(response.status);
    out += ' ';
    out += reason_phrase(response.status);
    out += "\r\n";
    for (const auto& [name, value] : response.headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    out += "Date: ";
    out += date_now();
    out += "\r\n";
    if (!options.keep_alive) out += "Connection: close\r\n";
    else if (options.version == 10) out += "Connection: keep-alive\r\n";
    out += "Content-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n\r\n";
    if (!options.head) out += response.body;
}

}  // namespace ringpost::http
