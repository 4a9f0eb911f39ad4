// One simulated SMTP client over TLS (--starttls, --smtps; see session.hpp).
// The shape is run_session's (connect under the gate, back-off, persistent
// sessions or --per-connection, the same counters), but after the handshake
// every step goes through tls::TlsStream: its recv/send_all are coroutines
// with their own timeouts (--io-timeout), so the worker's ticker does not
// time them; a forced stop cancels the recv slot and shuts the socket.
// STARTTLS follows RFC 3207: EHLO, STARTTLS, 220, handshake, EHLO again;
// whatever the server sent after its 220 is discarded.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <string_view>

#include "io/ops.hpp"
#include "io/socket.hpp"
#include "load/awaiters.hpp"
#include "load/session.hpp"
#include "load/session_common.hpp"
#include "load/worker.hpp"

namespace ringpost::load {

namespace {

using detail::kMaxConnectFailures;
using detail::offers_pipelining;

constexpr int kTlsFailed = -100003;   // TLS record-layer failure (-EPROTO from the stream)

io::Duration io_timeout(const Options& o) {
    return io::Duration{std::max<long long>(1, static_cast<long long>(o.io_timeout * 1000.0))};
}

// The next SMTP reply over the TLS stream: its code, or kClosed / kMalformed /
// kTlsFailed / -errno (-ETIME after --io-timeout, -ECANCELED at a forced stop).
io::Task<int> tls_reply(SessionState& s, io::Duration timeout, Clock::time_point* stamp = nullptr,
                        std::string_view* text = nullptr) {
    for (;;) {
        int code = 0;
        switch (s.reader.next(code, text)) {
            case ReplyReader::Status::complete:
                if (stamp) *stamp = Clock::now();
                co_return code;
            case ReplyReader::Status::malformed:
                co_return kMalformed;
            case ReplyReader::Status::incomplete:
                break;
        }
        char* at = s.reader.prepare();
        const size_t space = s.reader.space();
        if (space == 0) co_return kMalformed;
        const int n = co_await s.tls->recv(at, space, timeout, &s.tls_slot);
        if (n == 0) co_return kClosed;
        if (n == -EPROTO) co_return kTlsFailed;
        if (n < 0) co_return n;
        s.reader.commit(static_cast<size_t>(n));
    }
}

// Sends `data` over the TLS stream (copied into `buf`, which send_all clears).
io::Task<int> tls_send(SessionState& s, std::string& buf, std::string_view data, io::Duration timeout,
                       Clock::time_point* stamp = nullptr) {
    // (co_await only in plain statements: g++ 12 miscompiles some co_await in conditions)
    buf.assign(data);
    const bool sent = co_await s.tls->send_all(buf, timeout);
    int result = 0;
    if (!sent) result = s.tls->last_error().empty() ? kClosed : kTlsFailed;
    if (sent && stamp) *stamp = Clock::now();
    co_return result;
}

void note_tls_failure(Stats& st, const SessionState& s, bool stopping, int result) {
    if (result == -ETIME || (result == -ECANCELED && s.timed_out)) {
        st.note(Failure::timeout);
    } else if (stopping && (result == -ECANCELED || result == kClosed || result < 0)) {
        st.note(Failure::aborted);
    } else if (result == kTlsFailed) {
        st.note(Failure::tls);
        if (st.tls_error.empty() && s.tls) st.tls_error = s.tls->last_error();
    } else {
        detail::note_failure(st, s, stopping, result);
    }
}

void close_session(SessionState& s) {
    if (s.tls) {
        s.tls.reset();   // closes the socket
        s.fd = -1;
    }
    detail::close_fd(s);
}

}  // namespace

io::Task<void> run_tls_session(Worker& w, SessionState& s) {
    const Options& o = w.options();
    Shared& shared = w.shared();
    Stats& st = w.stats();
    const bool starttls = o.tls == Options::Tls::starttls;
    const std::string ehlo = "EHLO " + o.helo + "\r\n";
    static constexpr std::string_view kStartTls = "STARTTLS\r\n";
    static constexpr std::string_view kQuit = "QUIT\r\n";
    const int family = o.address.storage.ss_family;
    const io::Duration timeout = io_timeout(o);
    std::string host = o.server.substr(0, o.server.rfind(':'));   // an IP literal: no SNI, nothing verified
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    std::string out;   // the bytes of one send (TlsStream::send_all clears it)
    out.reserve(o.size + 1024);
    int backoff_ms = 0;
    unsigned connect_failures = 0;

    while (!w.stopping() && !shared.exhausted()) {
        if (backoff_ms > 0) {
            auto pause = io::sleep_for(io::Duration{backoff_ms});
            s.track(&pause.completion);
            s.untimed = true;
            co_await pause;
            s.untimed = false;
            s.pending = nullptr;
            if (w.stopping()) break;
        }

        // Handshake: connect, [220, EHLO, STARTTLS, 220,] TLS, [220,] EHLO -> 250.
        co_await w.gate().acquire();
        if (w.stopping()) break;
        bool ready = false;
        bool pipelining = false;
        s.reader.reset();
        s.tls_slot = io::CancelSlot{};
        s.fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s.fd < 0) {
            ++st.connect_errors;
        } else {
            io::set_nodelay(s.fd);
            auto conn = io::connect(s.fd, o.address.get(), o.address.length);
            s.track(&conn.completion);
            const int rc = co_await conn;
            s.pending = nullptr;
            if (rc < 0) {
                ++st.connect_errors;
                if (rc == -ECANCELED && s.timed_out) st.note(Failure::timeout);
            } else {
                ++st.connections;
                int code = 0;
                bool tls_step = false;   // a failure now is a TLS (handshake) failure
                if (starttls) {
                    code = co_await ReadReply(s);
                    if (code == 220) code = co_await SendAll(s, ehlo);
                    if (code == 0) code = co_await ReadReply(s);
                    if (code == 250) code = co_await SendAll(s, kStartTls);
                    if (code == 0) {
                        code = co_await ReadReply(s);
                        if (code != 220) tls_step = true;   // STARTTLS refused (or not offered)
                    }
                    if (code == 220) code = 0;
                    s.reader.reset();   // RFC 3207 4.2: nothing sent in clear after the 220 counts
                }
                if (code == 0 && !w.stopping()) {
                    tls_step = true;
                    s.tls = tls::TlsStream::client(s.fd, shared.tls, host, false);
                    if (!s.tls) {
                        s.fd = -1;   // closed by client()
                        code = kTlsFailed;
                        if (st.tls_error.empty()) st.tls_error = "cannot allocate a TLS session";
                    } else {
                        auto hs = co_await s.tls->handshake(timeout);
                        if (!hs) {
                            code = hs.error().code == std::errc::stream_timeout ? -ETIME : kTlsFailed;
                            if (st.tls_error.empty()) st.tls_error = hs.error().message;
                        } else {
                            ++st.tls_handshakes;
                            tls_step = false;
                        }
                    }
                }
                if (code == 0 && !s.tls) code = -ECANCELED;   // stopped before the handshake
                if (code == 0 && !starttls) {
                    code = co_await tls_reply(s, timeout);   // the greeting, over TLS
                    if (code == 220) code = 0;
                }
                std::string_view text;
                if (code == 0) code = co_await tls_send(s, out, ehlo, timeout);
                if (code == 0) code = co_await tls_reply(s, timeout, nullptr, &text);
                if (code == 250) {
                    ready = true;
                    pipelining = o.pipelining && offers_pipelining(text);
                    if (o.pipelining && !pipelining) ++st.no_pipelining;
                } else {
                    ++st.handshake_errors;
                    if (tls_step) {
                        ++st.tls_handshake_errors;
                        if (code > 0 && st.tls_error.empty())   // STARTTLS answered, but not with 220
                            st.tls_error = "STARTTLS refused with " + std::to_string(code);
                    }
                    note_tls_failure(st, s, w.stopping(), code);
                }
            }
        }
        w.gate().release();

        if (!ready) {
            close_session(s);
            if (++connect_failures >= kMaxConnectFailures) {
                ++st.gave_up;
                break;
            }
            backoff_ms = std::min(std::max(backoff_ms * 2, 50), 1000);
            continue;
        }
        backoff_ms = 0;
        connect_failures = 0;

        // Transactions.
        MessageTemplate& m = *s.message;
        const std::vector<Step>& steps = pipelining ? m.pipelined() : m.lockstep();
        uint64_t sent_here = 0;
        bool healthy = true;
        while (healthy && !w.stopping() && (o.per_connection == 0 || sent_here < o.per_connection)) {
            uint64_t id = 0;
            if (!shared.claim(id)) break;
            m.stamp(id);
            Clock::time_point t_sent{}, t_reply{};
            size_t reply_index = 0;
            int bad = 0;
            for (const Step& step : steps) {
                int rc = co_await tls_send(s, out, step.data, timeout, step.is_body ? &t_sent : nullptr);
                if (rc != 0) {
                    bad = rc;
                    break;
                }
                for (uint16_t k = 0; k < step.replies; ++k, ++reply_index) {
                    const int code = co_await tls_reply(s, timeout, step.is_body ? &t_reply : nullptr);
                    if (code < 0 || !m.expected(reply_index, code)) {
                        bad = code;
                        break;
                    }
                }
                if (bad != 0) break;
            }
            ++sent_here;
            if (bad == 0) {
                ++st.ok;
                const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t_reply - t_sent).count();
                st.latency.add(us > 0 ? static_cast<uint64_t>(us) : 0);
            } else {
                ++st.failed;
                note_tls_failure(st, s, w.stopping(), bad);
                healthy = false;
            }
        }
        if (healthy && !w.stopping()) {
            const int rc = co_await tls_send(s, out, kQuit, timeout);
            if (rc == 0) {
                (void)co_await tls_reply(s, timeout);
                co_await s.tls->close(io::Duration{1000});   // close_notify, then the socket
                s.tls.reset();
                s.fd = -1;
            }
        }
        close_session(s);
    }
    close_session(s);
    w.session_end();
}

}  // namespace ringpost::load
