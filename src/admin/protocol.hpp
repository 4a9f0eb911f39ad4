// Admin socket wire format (binary-safe, length-prefixed; all integers are
// 32-bit big-endian). Pure encode/decode functions, so framing is unit-tested
// without sockets.
//
// Request, client -> server, then the client shuts down its sending side:
//   "RPADMIN1" | u32 argc | argc x (u32 len | bytes) | u32 stdin_len | bytes
//   then optional fields, each  u8 tag | u32 len | bytes  (at most one of a tag):
//   'F' = output format, "json" or "text" (absent: text).
// The fields came later: a request without one is what every client sent
// before, and a client sends one only when it needs it (--json), so a text
// request still works against an older server (which refuses a field as
// "trailing bytes" rather than answering in the wrong format).
// Response, server -> client, then the server closes:
//   frames of  u8 type | u32 len | bytes
//   type 'O' = standard output bytes, 'E' = standard error bytes,
//   'X' = exit code (len 4, u32), always the last frame.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "admin/command_table.hpp"
#include "util/result.hpp"

namespace ringpost::admin::wire {

inline constexpr std::string_view kMagic = "RPADMIN1";
inline constexpr size_t kMaxArgs = 32;
inline constexpr size_t kMaxArgBytes = 4096;
inline constexpr size_t kMaxStdinBytes = 64 * 1024;
inline constexpr size_t kMaxFieldBytes = 64;
inline constexpr char kFormatField = 'F';
inline constexpr size_t kMaxRequestBytes =
    kMagic.size() + 4 + kMaxArgs * (4 + kMaxArgBytes) + 4 + kMaxStdinBytes + (1 + 4 + kMaxFieldBytes);
inline constexpr size_t kMaxFrameBytes = 64 * 1024;   // output is split into frames this size

struct Request {
    std::vector<std::string> args;
    std::string stdin_data;
    OutputFormat format = OutputFormat::kText;
};

Result<std::string> encode_request(const std::vector<std::string>& args, std::string_view stdin_data,
                                   OutputFormat format = OutputFormat::kText);
Result<Request> decode_request(std::string_view bytes);

std::string encode_response(std::string_view out, std::string_view err, int exit_code);
// Error if the bytes end before the 'X' frame (server died mid-command) or are malformed.
Result<int> decode_response(std::string_view bytes, std::string& out, std::string& err);

// Blocking fd helpers shared by both ends; they retry on EINTR and short I/O.
Result<void> write_all(int fd, std::string_view bytes);
// Reads until EOF; error if more than `limit` bytes arrive.
Result<std::string> read_to_eof(int fd, size_t limit);
// SO_RCVTIMEO / SO_SNDTIMEO (`option`) of `seconds`: neither end waits forever on the other.
void set_timeout(int fd, int option, int seconds);

}  // namespace ringpost::admin::wire
