// Admin socket framing; format in protocol.hpp. Lengths are checked
// against limits before anything is allocated, since the server decodes
// bytes from any local process that can open the socket.
#include "admin/protocol.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringpost::admin::wire {
namespace {

void put_u32(std::string& s, uint32_t v) {
    char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                 static_cast<char>(v)};
    s.append(b, 4);
}

// A cursor over received bytes; every take_* fails cleanly on truncation.
struct Cursor {
    std::string_view rest;
    bool take_u32(uint32_t& v) {
        if (rest.size() < 4) return false;
        auto b = reinterpret_cast<const unsigned char*>(rest.data());
        v = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
        rest.remove_prefix(4);
        return true;
    }
    bool take_bytes(size_t n, std::string_view& out) {
        if (rest.size() < n) return false;
        out = rest.substr(0, n);
        rest.remove_prefix(n);
        return true;
    }
};

void put_frame(std::string& s, char type, std::string_view payload) {
    s += type;
    put_u32(s, static_cast<uint32_t>(payload.size()));
    s.append(payload);
}

void put_chunked(std::string& s, char type, std::string_view data) {
    for (size_t pos = 0; pos < data.size(); pos += kMaxFrameBytes)
        put_frame(s, type, data.substr(pos, kMaxFrameBytes));
}

// The optional fields after standard input (protocol.hpp).
Result<void> take_fields(Cursor& c, Request& req) {
    bool format_seen = false;
    while (!c.rest.empty()) {
        const char tag = c.rest[0];
        c.rest.remove_prefix(1);
        uint32_t len = 0;
        std::string_view value;
        if (!c.take_u32(len)) return make_error("truncated admin request");
        if (len > kMaxFieldBytes) return make_error("admin request: field too long");
        if (!c.take_bytes(len, value)) return make_error("truncated admin request");
        if (tag != kFormatField) return make_error("admin request: unknown field");
        if (format_seen) return make_error("admin request: output format given twice");
        format_seen = true;
        if (value == "json") req.format = OutputFormat::kJson;
        else if (value == "text") req.format = OutputFormat::kText;
        else return make_error("admin request: unknown output format");
    }
    return {};
}

}  // namespace

Result<std::string> encode_request(const std::vector<std::string>& args, std::string_view stdin_data,
                                   OutputFormat format) {
    if (args.empty() || args.size() > kMaxArgs) return make_error("admin request: bad number of arguments");
    if (stdin_data.size() > kMaxStdinBytes) return make_error("admin request: standard input too large");
    std::string s(kMagic);
    put_u32(s, static_cast<uint32_t>(args.size()));
    for (const auto& a : args) {
        if (a.size() > kMaxArgBytes) return make_error("admin request: argument too long");
        put_u32(s, static_cast<uint32_t>(a.size()));
        s += a;
    }
    put_u32(s, static_cast<uint32_t>(stdin_data.size()));
    s.append(stdin_data);
    if (format == OutputFormat::kJson) put_frame(s, kFormatField, "json");   // text: the request as ever
    return s;
}

Result<Request> decode_request(std::string_view bytes) {
    Cursor c{bytes};
    std::string_view magic;
    if (!c.take_bytes(kMagic.size(), magic) || magic != kMagic)
        return make_error("not a ringpost admin request (bad magic or version)");
    uint32_t argc = 0;
    if (!c.take_u32(argc)) return make_error("truncated admin request");
    if (argc == 0 || argc > kMaxArgs) return make_error("admin request: bad number of arguments");
    Request req;
    for (uint32_t i = 0; i < argc; ++i) {
        uint32_t len = 0;
        std::string_view arg;
        if (!c.take_u32(len)) return make_error("truncated admin request");
        if (len > kMaxArgBytes) return make_error("admin request: argument too long");
        if (!c.take_bytes(len, arg)) return make_error("truncated admin request");
        req.args.emplace_back(arg);
    }
    uint32_t in_len = 0;
    std::string_view in;
    if (!c.take_u32(in_len)) return make_error("truncated admin request");
    if (in_len > kMaxStdinBytes) return make_error("admin request: standard input too large");
    if (!c.take_bytes(in_len, in)) return make_error("truncated admin request");
    if (auto fields = take_fields(c, req); !fields) return fields.error();
    req.stdin_data = std::string(in);
    return req;
}

std::string encode_response(std::string_view out, std::string_view err, int exit_code) {
    std::string s;
    s.reserve(out.size() + err.size() + 64);
    put_chunked(s, 'O', out);
    put_chunked(s, 'E', err);
    std::string code;
    put_u32(code, static_cast<uint32_t>(exit_code));
    put_frame(s, 'X', code);
    return s;
}

Result<int> decode_response(std::string_view bytes, std::string& out, std::string& err) {
    Cursor c{bytes};
    while (!c.rest.empty()) {
        char type = c.rest[0];
        c.rest.remove_prefix(1);
        uint32_t len = 0;
        std::string_view payload;
        if (!c.take_u32(len) || !c.take_bytes(len, payload))
            return make_error("admin server closed the connection mid-reply");
        switch (type) {
            case 'O': out.append(payload); break;
            case 'E': err.append(payload); break;
            case 'X': {
                Cursor p{payload};
                uint32_t code = 0;
                if (len != 4 || !p.take_u32(code) || !c.rest.empty())
                    return make_error("malformed admin reply (exit frame)");
                return static_cast<int>(code);
            }
            default: return make_error("malformed admin reply (unknown frame type)");
        }
    }
    return make_error("admin server closed the connection before reporting an exit code");
}

Result<void> write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        // send() with MSG_NOSIGNAL: a peer that went away must give EPIPE, not kill us with SIGPIPE.
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return make_error("timed out writing to admin socket", ETIMEDOUT);
            return make_error(std::string("write to admin socket: ") + std::strerror(errno), errno);
        }
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

void set_timeout(int fd, int option, int seconds) {
    timeval tv{};
    tv.tv_sec = seconds;
    ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

Result<std::string> read_to_eof(int fd, size_t limit) {
    std::string data;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return make_error("timed out reading from admin socket", ETIMEDOUT);
            return make_error(std::string("read from admin socket: ") + std::strerror(errno), errno);
        }
        if (n == 0) return data;
        if (data.size() + static_cast<size_t>(n) > limit) return make_error("admin message too large", EMSGSIZE);
        data.append(buf, static_cast<size_t>(n));
    }
}

}  // namespace ringpost::admin::wire
