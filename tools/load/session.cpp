// One simulated SMTP client (see session.hpp). The hot loop (claim a
// message, stamp its Message-ID, send the prebuilt steps, check the replies)
// allocates nothing: the steps are views into the session's MessageTemplate,
// replies are parsed in place, and the awaiters live in this frame.
#include "load/session.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "io/ops.hpp"
#include "io/socket.hpp"
#include "load/awaiters.hpp"
#include "load/session_common.hpp"
#include "load/worker.hpp"

namespace ringpost::load {

using detail::kMaxConnectFailures;
using detail::offers_pipelining;
using detail::note_failure;
using detail::close_fd;

io::Task<void> run_session(Worker& w, SessionState& s) {
    const Options& o = w.options();
    Shared& shared = w.shared();
    Stats& st = w.stats();
    const bool idle = o.idle > 0;
    const std::string ehlo = "EHLO " + o.helo + "\r\n";
    static constexpr std::string_view kQuit = "QUIT\r\n";
    const int family = o.address.storage.ss_family;
    int backoff_ms = 0;
    unsigned connect_failures = 0;   // in a row; the session gives up at kMaxConnectFailures

    while (!w.stopping() && (idle || !shared.exhausted())) {
        if (backoff_ms > 0) {
            auto pause = io::sleep_for(io::Duration{backoff_ms});
            s.track(&pause.completion);
            s.untimed = true;
            co_await pause;
            s.untimed = false;
            s.pending = nullptr;
            if (w.stopping()) break;
        }

        // Handshake: connect, 220 greeting, EHLO -> 250. At most --connect-concurrency at once.
        co_await w.gate().acquire();
        if (w.stopping()) break;
        bool ready = false;
        bool pipelining = false;
        s.reader.reset();
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
                int code = co_await ReadReply(s);
                if (code == 220) code = co_await SendAll(s, ehlo);
                std::string_view text;
                if (code == 0) code = co_await ReadReply(s, nullptr, &text);
                if (code == 250) {
                    ready = true;
                    pipelining = o.pipelining && offers_pipelining(text);
                    if (o.pipelining && !pipelining) ++st.no_pipelining;
                } else {
                    ++st.handshake_errors;
                    note_failure(st, s, w.stopping(), code);
                }
            }
        }
        w.gate().release();

        if (idle) {
            shared.idle_settled.fetch_add(1, std::memory_order_relaxed);
            if (ready) {
                ++st.idle_established;
                // Hold: a recv that only ends when release() cancels it, or the server speaks/closes.
                s.untimed = true;
                const int r = co_await ReadReply(s);
                s.untimed = false;
                if (!w.stopping() || r != -ECANCELED) ++st.idle_dropped;
                if (r == -ECANCELED) co_await SendAll(s, kQuit);
            }
            close_fd(s);
            break;   // idle sessions connect once
        }

        if (!ready) {
            close_fd(s);
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
            int bad = 0;   // 0 = all as expected; else the unexpected code or error result
            for (const Step& step : steps) {
                int rc = co_await SendAll(s, step.data, step.is_body ? &t_sent : nullptr);
                if (rc != 0) {
                    bad = rc;
                    break;
                }
                for (uint16_t k = 0; k < step.replies; ++k, ++reply_index) {
                    const int code = co_await ReadReply(s, step.is_body ? &t_reply : nullptr);
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
                note_failure(st, s, w.stopping(), bad);
                healthy = false;   // unknown protocol state: start over on a new connection
            }
        }
        if (healthy && !w.stopping()) {
            if (co_await SendAll(s, kQuit) == 0) (void)co_await ReadReply(s);
        }
        close_fd(s);
    }
    close_fd(s);
    w.session_end();
}

}  // namespace ringpost::load
