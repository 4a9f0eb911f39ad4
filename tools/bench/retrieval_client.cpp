// retrieval_client.cpp: one POP3/IMAP retrieval session for retrieval-bench.sh,
// the lean client (a Python client costs about as much CPU per message as the
// servers under test, on the same 2 cores).
//
//   retrieval_client pop3|imap|imap-bulk|imap-login HOST PORT USER PASSWORD EXPECT_FILE GO_FD TIMEOUT_S
//
// EXPECT_FILE: one line "size crc32" per message, in mailbox order (written
// by retrieval_drive.py from its manifest). The client loads it, prints
// "ready" on stdout, blocks until it can read one byte from GO_FD (so that
// all sessions start together and process start-up is not timed), then on
// ONE connection:
//   pop3       USER, PASS, STAT, RETR i for i = 1..n one at a time, QUIT
//   imap       LOGIN, EXAMINE INBOX, FETCH i (BODY.PEEK[]) one at a time, LOGOUT
//   imap-bulk  LOGIN, EXAMINE INBOX, FETCH 1:* (BODY.PEEK[]), LOGOUT
//   imap-login LOGIN, LOGOUT (what a session costs before any message)
// and checks every message's size and CRC-32 (POP3: after undoing the
// dot-stuffing). It prints one JSON line: counts, CLOCK_MONOTONIC times
// (start, login done, end; the same clock as Python's time.monotonic) and
// its own CPU time (getrusage) over the session. Exit 0 even when the session
// failed: the line says so ("error").
//
// Build: c++ -O2 -std=c++20 -o retrieval_client retrieval_client.cpp
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

// ---- CRC-32 (IEEE 802.3, as zlib's crc32), slicing by 8 --------------------------------

uint32_t crc_table[8][256];

void crc_init() {
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
        for (int t = 1; t < 8; ++t) crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFF];
}

uint32_t crc_update(uint32_t crc, const char* p, size_t n) {
    crc = ~crc;
    auto* b = reinterpret_cast<const unsigned char*>(p);
    while (n >= 8) {
        uint32_t lo, hi;
        std::memcpy(&lo, b, 4);
        std::memcpy(&hi, b + 4, 4);
        lo ^= crc;
        crc = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^ crc_table[5][(lo >> 16) & 0xFF] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xFF] ^ crc_table[2][(hi >> 8) & 0xFF] ^
              crc_table[1][(hi >> 16) & 0xFF] ^ crc_table[0][hi >> 24];
        b += 8;
        n -= 8;
    }
    while (n--) crc = crc_table[0][(crc ^ *b++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

double now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

double cpu_seconds() {
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// ---- a socket with one input buffer ----------------------------------------------------

class Conn {
public:
    Conn(const char* host, int port, int timeout_s) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) throw Failure(std::string("socket: ") + strerror(errno));
        timeval tv{timeout_s, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int one = 1;
        setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) throw Failure(std::string("bad address ") + host);
        if (connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
            throw Failure(std::string("connect: ") + strerror(errno));
        buf_.resize(1 << 20);
    }
    ~Conn() { if (fd_ >= 0) close(fd_); }

    void send(std::string_view s) {
        while (!s.empty()) {
            ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw Failure(std::string("send: ") + strerror(errno));
            }
            s.remove_prefix(static_cast<size_t>(n));
        }
    }

    // Read more input; with need > 0, make room for `need` unread bytes first.
    void fill(size_t need = 0) {
        if (pos_ > 0 && (pos_ == len_ || pos_ >= buf_.size() / 2 || buf_.size() - len_ < 65536)) {
            std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
            len_ -= pos_;
            pos_ = 0;
        }
        size_t want = std::max(len_ + 65536, pos_ + need);
        if (buf_.size() < want) buf_.resize(std::max(want, buf_.size() * 2));
        for (;;) {
            ssize_t n = recv(fd_, buf_.data() + len_, buf_.size() - len_, 0);
            if (n > 0) {
                len_ += static_cast<size_t>(n);
                return;
            }
            if (n == 0) throw Failure("connection closed by the server");
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) throw Failure("timeout waiting for the server");
            throw Failure(std::string("recv: ") + strerror(errno));
        }
    }

    // One line including its LF; valid until the next call.
    std::string_view readline() {
        for (size_t from = pos_;;) {
            auto* p = static_cast<const char*>(std::memchr(buf_.data() + from, '\n', len_ - from));
            if (p) {
                std::string_view line(buf_.data() + pos_, static_cast<size_t>(p - (buf_.data() + pos_)) + 1);
                pos_ += line.size();
                return line;
            }
            size_t off = len_ - pos_;
            fill();
            from = pos_ + off;
        }
    }

    std::string_view read(size_t n) {
        while (len_ - pos_ < n) fill(n);
        std::string_view out(buf_.data() + pos_, n);
        pos_ += n;
        return out;
    }

    // POP3 multi-line body up to CRLF.CRLF (the status line's CRLF was just consumed).
    std::string_view read_dotted() {
        // the body starts at pos_; the terminator may be ".\r\n" right away (empty body)
        size_t scanned = 0;
        for (;;) {
            std::string_view avail(buf_.data() + pos_, len_ - pos_);
            if (avail.size() >= 3 && avail.substr(0, 3) == ".\r\n") {
                pos_ += 3;
                return std::string_view(buf_.data() + pos_ - 3, 0);
            }
            size_t from = scanned > 4 ? scanned - 4 : 0;
            auto* p = static_cast<const char*>(memmem(avail.data() + from, avail.size() - from, "\r\n.\r\n", 5));
            if (p) {
                size_t body_len = static_cast<size_t>(p - avail.data()) + 2;
                std::string_view body(avail.data(), body_len);
                pos_ += body_len + 3;
                return body;
            }
            scanned = avail.size();
            fill();
        }
    }

private:
    int fd_ = -1;
    std::vector<char> buf_;
    size_t pos_ = 0, len_ = 0;
};

struct Expect {
    size_t size;
    uint32_t crc;
};

struct Result {
    long ok = 0, bad = 0, fetched = 0;
    long long bytes = 0;
    std::string bad_example, error;
    double t_login = 0;
};

void check(Result& r, const std::vector<Expect>& ex, long seq, std::string_view body, uint32_t crc) {
    r.fetched++;
    r.bytes += static_cast<long long>(body.size());
    if (seq >= 1 && static_cast<size_t>(seq) <= ex.size() && ex[seq - 1].size == body.size() && ex[seq - 1].crc == crc) {
        r.ok++;
        return;
    }
    r.bad++;
    if (r.bad_example.empty()) {
        char b[160];
        snprintf(b, sizeof b, "message %ld: %zu bytes (expected %zu), crc %s", seq, body.size(),
                 (seq >= 1 && static_cast<size_t>(seq) <= ex.size()) ? ex[seq - 1].size : 0,
                 (seq >= 1 && static_cast<size_t>(seq) <= ex.size() && ex[seq - 1].crc == crc) ? "ok" : "differs");
        r.bad_example = b;
    }
}

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string trim(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
    std::string out;
    for (char c : s.substr(0, 120)) out += (c >= 32 && c < 127 && c != '"' && c != '\\') ? c : '?';
    return out;
}

// ---- POP3 ------------------------------------------------------------------------------

void pop3(Conn& c, const std::string& user, const std::string& pass, const std::vector<Expect>& ex, Result& r) {
    if (!starts(c.readline(), "+OK")) throw Failure("POP3 greeting");
    c.send("USER " + user + "\r\n");
    if (auto l = c.readline(); !starts(l, "+OK")) throw Failure("USER: " + trim(l));
    c.send("PASS " + pass + "\r\n");
    if (auto l = c.readline(); !starts(l, "+OK")) throw Failure("PASS: " + trim(l));
    r.t_login = now();
    c.send("STAT\r\n");
    auto l = c.readline();
    if (!starts(l, "+OK ")) throw Failure("STAT: " + trim(l));
    long n = std::strtol(std::string(l.substr(4)).c_str(), nullptr, 10);
    if (n != static_cast<long>(ex.size()))
        throw Failure("STAT says " + std::to_string(n) + " messages, expected " + std::to_string(ex.size()));
    std::string scratch;
    char cmd[32];
    for (long i = 1; i <= n; ++i) {
        int len = snprintf(cmd, sizeof cmd, "RETR %ld\r\n", i);
        c.send(std::string_view(cmd, static_cast<size_t>(len)));
        if (auto s = c.readline(); !starts(s, "+OK")) throw Failure("RETR " + std::to_string(i) + ": " + trim(s));
        std::string_view body = c.read_dotted();
        // undo dot-stuffing: a line starting with ".." lost its first dot
        if (starts(body, "..") || memmem(body.data(), body.size(), "\r\n..", 4)) {
            scratch.clear();
            size_t k = 0;
            if (starts(body, "..")) k = 1;
            while (k < body.size()) {
                auto* p = static_cast<const char*>(memmem(body.data() + k, body.size() - k, "\r\n..", 4));
                size_t end = p ? static_cast<size_t>(p - body.data()) + 3 : body.size();
                scratch.append(body.data() + k, end - k);
                k = p ? end + 1 : body.size();
            }
            body = scratch;
        }
        check(r, ex, i, body, crc_update(0, body.data(), body.size()));
    }
    c.send("QUIT\r\n");
    if (auto q = c.readline(); !starts(q, "+OK")) throw Failure("QUIT: " + trim(q));
}

// ---- IMAP ------------------------------------------------------------------------------

class Imap {
public:
    Imap(Conn& c, const std::vector<Expect>& ex, Result& r) : c_(c), ex_(ex), r_(r) {}

    // Sends one command; verifies the BODY[] literals of FETCH responses; returns the untagged
    // "* n EXISTS" count if one came (or -1).
    long command(const std::string& cmd) {
        char tag[16];
        int tl = snprintf(tag, sizeof tag, "a%d ", ++n_);
        c_.send(std::string(tag, static_cast<size_t>(tl)) + cmd + "\r\n");
        long exists = -1;
        for (;;) {
            std::string_view line = c_.readline();
            if (starts(line, std::string_view(tag, static_cast<size_t>(tl)))) {
                if (!starts(line.substr(static_cast<size_t>(tl)), "OK"))
                    throw Failure(cmd.substr(0, cmd.find(' ')) + ": " + trim(line));
                return exists;
            }
            if (line.size() >= 3 && line.substr(line.size() - 3) == "}\r\n") {
                size_t open = line.rfind('{');
                size_t n = std::strtoul(std::string(line.substr(open + 1)).c_str(), nullptr, 10);
                bool is_body = line.find("BODY[]") != std::string_view::npos && starts(line, "* ");
                long seq = is_body ? std::strtol(std::string(line.substr(2, 12)).c_str(), nullptr, 10) : 0;
                std::string_view lit = c_.read(n);
                if (is_body) check(r_, ex_, seq, lit, crc_update(0, lit.data(), lit.size()));
                std::string_view rest = c_.readline();
                while (rest.size() >= 3 && rest.substr(rest.size() - 3) == "}\r\n") {   // more literals
                    size_t o = rest.rfind('{');
                    c_.read(std::strtoul(std::string(rest.substr(o + 1)).c_str(), nullptr, 10));
                    rest = c_.readline();
                }
                continue;
            }
            if (starts(line, "* ") && line.find(" EXISTS") != std::string_view::npos)
                exists = std::strtol(std::string(line.substr(2, 12)).c_str(), nullptr, 10);
        }
    }

private:
    Conn& c_;
    const std::vector<Expect>& ex_;
    Result& r_;
    int n_ = 0;
};

void imap(Conn& c, const std::string& user, const std::string& pass, const std::vector<Expect>& ex, Result& r, bool bulk,
          bool login_only) {
    if (!starts(c.readline(), "* OK")) throw Failure("IMAP greeting");
    Imap m(c, ex, r);
    m.command("LOGIN \"" + user + "\" \"" + pass + "\"");
    r.t_login = now();
    if (login_only) {
        m.command("LOGOUT");
        return;
    }
    long n = m.command("EXAMINE INBOX");
    if (n != static_cast<long>(ex.size()))
        throw Failure("EXAMINE says " + std::to_string(n) + " messages, expected " + std::to_string(ex.size()));
    if (bulk) {
        m.command("FETCH 1:* (BODY.PEEK[])");
    } else {
        for (long i = 1; i <= n; ++i) {
            long before = r.fetched;
            m.command("FETCH " + std::to_string(i) + " (BODY.PEEK[])");
            if (r.fetched != before + 1)
                throw Failure("FETCH " + std::to_string(i) + ": " + std::to_string(r.fetched - before) + " bodies");
        }
    }
    m.command("LOGOUT");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: %s pop3|imap|imap-bulk|imap-login HOST PORT USER PASSWORD EXPECT_FILE GO_FD TIMEOUT_S\n", argv[0]);
        return 2;
    }
    std::string proto = argv[1], host = argv[2], user = argv[4], pass = argv[5];
    int port = atoi(argv[3]), go_fd = atoi(argv[7]), timeout_s = atoi(argv[8]);
    if (proto != "pop3" && proto != "imap" && proto != "imap-bulk" && proto != "imap-login") {
        fprintf(stderr, "retrieval_client: unknown protocol %s\n", proto.c_str());
        return 2;
    }
    crc_init();
    std::vector<Expect> ex;
    {
        std::ifstream f(argv[6]);
        size_t size;
        uint32_t crc;
        while (f >> size >> crc) ex.push_back({size, crc});
    }
    printf("ready\n");
    fflush(stdout);
    char go;
    ssize_t got;
    while ((got = ::read(go_fd, &go, 1)) < 0 && errno == EINTR) {}
    if (got != 1) return 1;   // the driver went away before the start: run nothing
    double cpu0 = cpu_seconds();
    double t0 = now();
    Result r;
    try {
        Conn c(host.c_str(), port, timeout_s);
        if (proto == "pop3")
            pop3(c, user, pass, ex, r);
        else
            imap(c, user, pass, ex, r, proto == "imap-bulk", proto == "imap-login");
    } catch (const std::exception& e) {
        r.error = std::string("Failure: ") + e.what();
    }
    double t1 = now();
    double cpu = cpu_seconds() - cpu0;
    printf("{\"user\": \"%s\", \"ok\": %ld, \"bad\": %ld, \"fetched\": %ld, \"bytes\": %lld, \"bad_example\": \"%s\", "
           "\"error\": \"%s\", \"t_start\": %.6f, ",
           user.c_str(), r.ok, r.bad, r.fetched, r.bytes, trim(r.bad_example).c_str(), trim(r.error).c_str(), t0);
    if (r.t_login > 0) printf("\"t_login\": %.6f, ", r.t_login);
    printf("\"t_end\": %.6f, \"cpu\": %.6f}\n", t1, cpu);
    fflush(stdout);
    return 0;
}
