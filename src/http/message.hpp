// http::Request and http::Response: what the parser (parser.hpp) makes of
// a client's bytes and what a handler answers, in our own types, so that
// nothing outside parser.cpp sees Boost.Beast. Header names compare
// case-insensitively (RFC 9110 5.1); the target's path and query
// parameters are percent-decoded once here, so routes and handlers work
// on plain strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringpost::http {

// The methods of RFC 9110 9.3 and PATCH (RFC 5789); anything else is
// kUnknown, which the router answers 501.
enum class Method : unsigned char { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kConnect, kTrace, kUnknown };

Method method_from(std::string_view text);   // exact, case-sensitive (RFC 9110 9.1)
std::string_view method_name(Method m);      // "GET"; "?" for kUnknown

// Header fields in the order received; lookups ignore the case of names.
class Headers {
public:
    void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
    // Replaces every field of that name with one.
    void set(std::string_view name, std::string value);
    // The first field's value, or null.
    const std::string* find(std::string_view name) const;
    bool has(std::string_view name) const { return find(name) != nullptr; }
    auto begin() const { return fields_.begin(); }
    auto end() const { return fields_.end(); }
    size_t size() const { return fields_.size(); }

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;   // decoded, in order

struct Request {
    Method method = Method::kUnknown;
    std::string method_text;   // as sent ("GET", "PROPFIND")
    std::string target;        // as sent: "/api/v1/queue/list?arg=x"
    std::string path;          // decoded, without the query: "/api/v1/queue/list"
    QueryParams query;
    Headers headers;
    std::string body;
    unsigned version = 11;     // 10 = HTTP/1.0, 11 = HTTP/1.1
    bool keep_alive = true;    // the client's wish (Connection, version)

    // The first query parameter of that name, or null; every one of them.
    const std::string* param(std::string_view name) const;
    std::vector<std::string> params(std::string_view name) const;
};

struct Response {
    int status = 200;
    Headers headers;           // Content-Length, Date and Connection are added when written
    std::string body;
    bool close = false;        // end the connection after this one

    // A JSON document (Content-Type: application/json).
    static Response json(int status, std::string body);
    // {"error": "message"} with that status.
    static Response error(int status, std::string_view message);
};

// Percent-decoding (RFC 3986 2.1); `plus_is_space` for query strings
// (application/x-www-form-urlencoded). False for a bad escape or a NUL.
bool percent_decode(std::string_view in, bool plus_is_space, std::string& out);
// Splits an origin-form target ("/path?query"; an absolute-form one has its
// scheme and authority dropped) into the decoded path and parameters; false
// if it is neither form or an escape is bad.
bool parse_target(std::string_view target, std::string& path, QueryParams& query);

// A JSON string literal (quotes included) of `s`; bytes that are not UTF-8
// become U+FFFD.
std::string json_string(std::string_view s);

}  // namespace ringpost::http
