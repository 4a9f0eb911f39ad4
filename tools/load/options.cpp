// Command line of ringpost-load (CLI11) and validation of the values.
#include "load/options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <fstream>
#include <sstream>

#include "load/target.hpp"

namespace ringpost::load {

namespace {

bool valid_mailbox(const std::string& s) {
    auto at = s.find('@');
    if (at == 0 || at == std::string::npos || at + 1 >= s.size() || s.find('@', at + 1) != std::string::npos) return false;
    for (unsigned char c : s)
        if (c <= ' ' || c >= 127 || c == '<' || c == '>') return false;
    return true;
}

// The file's text with every line ending in CRLF (a lone LF becomes CRLF).
bool read_message(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream text;
    text << in.rdbuf();
    const std::string raw = text.str();
    out.clear();
    out.reserve(raw.size() + raw.size() / 32);
    for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
        out += raw[i];
    }
    if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
    return true;
}

}  // namespace

bool parse_options(int argc, char** argv, Options& o, int& exit_code) {
    CLI::App app{"ringpost-load: SMTP load generator on ringpost's io_uring runtime (loopback targets only)"};
    app.add_option("--server,-S", o.server, "target IP:PORT or [IPV6]:PORT (127.0.0.0/8 or ::1 only)")
        ->capture_default_str();
    app.add_option("--sessions,-s", o.sessions, "concurrent SMTP sessions")->capture_default_str()
        ->check(CLI::Range(1u, 1000000u));
    app.add_option("--messages,-m", o.messages, "total messages to send (all sessions together)")
        ->capture_default_str();
    app.add_option("--size,-l", o.size, "body bytes per message, after the headers (76-char lines)")
        ->capture_default_str()->check(CLI::Range(uint64_t{0}, uint64_t{1} << 30));
    app.add_option("--rcpts,-r", o.rcpts, "recipients per message (>1: 1user@.., 2user@.. like smtp-source -r)")
        ->capture_default_str()->check(CLI::Range(1u, 10000u));
    app.add_option("--rcpt-domains", o.rcpt_domains,
                   "spread recipients over N domains d1.DOMAIN..dN.DOMAIN (1 = the --to domain only)")
        ->capture_default_str()->check(CLI::Range(1u, 100000u));
    app.add_flag("--pipelining,!--no-pipelining", o.pipelining,
                 "send MAIL+RCPT+DATA in one write when the server offers PIPELINING (RFC 2920)")
        ->capture_default_str();
    app.add_option("--threads,-T", o.threads, "threads (one io_uring each)")->capture_default_str()
        ->check(CLI::Range(1u, 256u));
    app.add_option("--per-connection,-k", o.per_connection,
                   "messages per connection, then QUIT and reconnect (0 = one persistent session)")
        ->capture_default_str();
    app.add_option("--message-file", o.message_file,
                   "send this message (header and body) as it is, every time, instead of a generated one "
                   "(no --size, no Message-ID stamping: a DKIM signature stays valid)");
    app.add_option("--to,-t", o.to, "recipient")->capture_default_str();
    app.add_option("--from,-f", o.from, "sender")->capture_default_str();
    app.add_option("--helo,-M", o.helo, "EHLO name")->capture_default_str();
    app.add_option("--timeout", o.timeout, "bound on the whole run, seconds")->capture_default_str()
        ->check(CLI::Range(0.1, 86400.0));
    app.add_option("--io-timeout", o.io_timeout, "bound on one step (connect, send, reply) without progress, seconds")
        ->capture_default_str()->check(CLI::Range(0.1, 3600.0));
    app.add_option("--connect-concurrency", o.connect_concurrency,
                   "connection handshakes (connect+greeting+EHLO) in flight at once, all threads together")
        ->capture_default_str()->check(CLI::Range(1u, 1000000u));
    app.add_option("--recv-buffer", o.recv_buffer, "receive buffer per session, bytes")->capture_default_str()
        ->check(CLI::Range(size_t{1024}, size_t{16} << 20));
    app.add_option("--idle", o.idle,
                   "idle mode: open N sessions (greeting + EHLO), hold them for --hold seconds, close")
        ->check(CLI::Range(1u, 10000000u));
    app.add_option("--hold", o.hold, "idle mode: seconds to hold the sessions")->capture_default_str()
        ->check(CLI::Range(0.0, 86400.0));
    bool starttls = false, smtps = false;
    auto* st_flag = app.add_flag("--starttls", starttls,
                                 "EHLO, STARTTLS, TLS handshake, EHLO again, then the transactions "
                                 "(no certificate verification)");
    app.add_flag("--smtps", smtps, "implicit TLS (RFC 8314): TLS handshake right after connect, then the greeting")
        ->excludes(st_flag);
    app.add_option("--tls-version", o.tls_version, "TLS version offered with --starttls/--smtps: 1.3 or 1.2")
        ->capture_default_str()->check(CLI::IsMember({"1.2", "1.3"}));
    app.add_flag("--json", o.json, "print the result as one JSON line on stdout (the text report goes to stderr)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        exit_code = app.exit(e);
        if (exit_code != 0) exit_code = 2;
        return false;
    }
    o.tls = starttls ? Options::Tls::starttls : smtps ? Options::Tls::smtps : Options::Tls::none;
    auto fail = [&](const std::string& msg) {
        fmt::print(stderr, "ringpost-load: {}\n", msg);
        exit_code = 2;
        return false;
    };
    auto addr = parse_loopback_target(o.server);
    if (!addr) return fail(addr.error().message);
    o.address = *addr;
    if (!valid_mailbox(o.to)) return fail("bad --to address \"" + o.to + "\" (expected local@domain)");
    if (!valid_mailbox(o.from)) return fail("bad --from address \"" + o.from + "\" (expected local@domain)");
    for (unsigned char c : o.helo)
        if (c <= ' ' || c >= 127) return fail("bad --helo name \"" + o.helo + "\"");
    if (o.helo.empty()) return fail("--helo must not be empty");
    if (o.idle > 0 && o.tls != Options::Tls::none) return fail("--idle does not support --starttls/--smtps");
    if (o.idle == 0 && o.messages == 0) return fail("--messages must be at least 1");
    if (!o.message_file.empty() && !read_message(o.message_file, o.message))
        return fail("cannot read --message-file " + o.message_file);
    if (!o.message_file.empty() && o.message.empty()) return fail("--message-file " + o.message_file + " is empty");
    return true;
}

}  // namespace ringpost::load
