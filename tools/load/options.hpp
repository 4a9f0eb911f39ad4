// Options of ringpost-load: what the command line says, after validation.
// parse_options() owns the CLI11 definitions and the loopback-only rule.
#pragma once

#include <cstdint>
#include <string>

#include "io/socket.hpp"

namespace ringpost::load {

struct Options {
    // target
    std::string server = "127.0.0.1:2525";
    io::SocketAddress address;          // parsed from `server`, always loopback

    // load shape
    unsigned sessions = 100;
    uint64_t messages = 1000;
    uint64_t size = 4096;               // body bytes after the header block (before dot-stuffing)
    unsigned rcpts = 1;
    unsigned rcpt_domains = 1;          // >1: spread recipients over d1.DOMAIN .. dN.DOMAIN
    bool pipelining = true;
    unsigned threads = 1;
    uint64_t per_connection = 0;        // messages per connection; 0 = unlimited
    std::string to = "user@sink.test";
    std::string from = "bench@src.test";
    std::string helo = "load.test";
    // --message-file: this message (header and body, line ends made CRLF)
    // sent as it is, every time, instead of the generated one; --size and
    // the Message-ID stamping do not apply (a DKIM signature stays valid).
    std::string message_file;
    std::string message;

    // bounds
    double timeout = 120.0;             // whole run, seconds
    double io_timeout = 30.0;           // one SMTP step without progress, seconds
    unsigned connect_concurrency = 256; // handshakes in flight (all threads together)
    size_t recv_buffer = 16384;

    // TLS (no certificate verification; sessions are not resumed)
    enum class Tls { none, starttls, smtps };
    Tls tls = Tls::none;                // --starttls: EHLO, STARTTLS, handshake, EHLO; --smtps: implicit TLS
    std::string tls_version = "1.3";    // "1.3" or "1.2" (the only version offered)

    // idle mode
    unsigned idle = 0;                  // >0: open this many idle sessions instead of sending
    double hold = 10.0;

    // output
    bool json = false;
};

// Parses argv; on --help or a usage error prints to stdout/stderr and
// returns false with `exit_code` set (0 for --help, 2 for errors).
bool parse_options(int argc, char** argv, Options& out, int& exit_code);

}  // namespace ringpost::load
