// Text and JSON reports (see report.hpp).
#include "load/report.hpp"

#include <fmt/core.h>

#include <string>

namespace ringpost::load {

namespace {

double ms(double us) { return us / 1000.0; }

std::string codes_text(const Stats& st) {
    std::string s;
    for (size_t c = 0; c < st.by_code.size(); ++c)
        if (st.by_code[c]) s += fmt::format("{}{}={}", s.empty() ? "" : " ", c, st.by_code[c]);
    return s;
}

std::string failures_text(const Stats& st) {
    std::string s;
    for (size_t i = 0; i < st.failures.size(); ++i)
        if (st.failures[i])
            s += fmt::format("{}{}={}", s.empty() ? "" : " ", failure_name(static_cast<Failure>(i)), st.failures[i]);
    return s;
}

std::string json_escape(const std::string& in) {
    std::string out;
    for (char c : in) {
        if (c == '"' || c == '\\') out.push_back('\\');
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out.push_back(c);
    }
    return out;
}

const char* tls_mode(const Options& o) {
    switch (o.tls) {
        case Options::Tls::starttls: return "starttls";
        case Options::Tls::smtps: return "smtps";
        case Options::Tls::none: break;
    }
    return "none";
}

}  // namespace

void print_text(std::FILE* out, const Options& o, const Stats& st, const RunFacts& f) {
    const double cpu = f.cpu_user_s + f.cpu_sys_s;
    if (o.idle > 0) {
        fmt::print(out, "ringpost-load idle: {} sessions to {} over {} thread(s)\n", o.idle, o.server, o.threads);
        fmt::print(out, "established: {} of {} in {:.3f} s (connect errors {}, handshake errors {}), held {:.1f} s, "
                        "dropped by server during hold: {}\n",
                   st.idle_established, o.idle, f.elapsed_s, st.connect_errors, st.handshake_errors, f.hold_s,
                   st.idle_dropped);
        if (!codes_text(st).empty()) fmt::print(out, "unexpected replies by code: {}\n", codes_text(st));
        fmt::print(out, "cpu: user {:.3f} s, sys {:.3f} s\n", f.cpu_user_s, f.cpu_sys_s);
        return;
    }
    fmt::print(out, "ringpost-load: {} sessions, {} thread(s), {} messages x {} B body, {} rcpt(s), pipelining {}, "
                    "{} to {}\n",
               o.sessions, o.threads, o.messages, o.size, o.rcpts, o.pipelining ? "on" : "off",
               o.per_connection == 0 ? std::string("persistent sessions") : fmt::format("{} msg/conn", o.per_connection),
               o.server);
    fmt::print(out, "messages: ok {}  failed {}  not sent {}{}\n", st.ok, st.failed, o.messages - f.claimed,
               f.hit_timeout ? "  (stopped by --timeout)" : "");
    fmt::print(out, "connections: {}  connect errors {}  handshake errors {}{}{}\n", st.connections,
               st.connect_errors, st.handshake_errors,
               st.no_pipelining ? fmt::format("  without PIPELINING {}", st.no_pipelining) : std::string(),
               st.gave_up ? fmt::format("  sessions given up (10 failed handshakes in a row) {}", st.gave_up)
                          : std::string());
    if (o.tls != Options::Tls::none)
        fmt::print(out, "tls: {} TLSv{}, handshakes ok {}  failed {}{}\n", tls_mode(o), o.tls_version,
                   st.tls_handshakes, st.tls_handshake_errors,
                   st.tls_error.empty() ? std::string() : "  (first error: " + st.tls_error + ")");
    if (!failures_text(st).empty()) fmt::print(out, "failures: {}\n", failures_text(st));
    if (!codes_text(st).empty()) fmt::print(out, "unexpected replies by code: {}\n", codes_text(st));
    fmt::print(out, "elapsed: {:.3f} s  rate: {:.1f} msg/s\n", f.elapsed_s, f.elapsed_s > 0 ? st.ok / f.elapsed_s : 0.0);
    const auto& h = st.latency;
    fmt::print(out, "latency end-of-data -> 250 (ms): p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  max {:.3f}\n",
               ms(h.quantile(0.50)), ms(h.quantile(0.90)), ms(h.quantile(0.99)), ms(static_cast<double>(h.max())));
    fmt::print(out, "cpu (this tool): user {:.3f} s  sys {:.3f} s  total {:.3f} s  = {:.1f} us/msg\n", f.cpu_user_s,
               f.cpu_sys_s, cpu, st.ok ? cpu * 1e6 / static_cast<double>(st.ok) : 0.0);
}

void print_json(std::FILE* out, const Options& o, const Stats& st, const RunFacts& f) {
    const double cpu = f.cpu_user_s + f.cpu_sys_s;
    std::string codes;
    for (size_t c = 0; c < st.by_code.size(); ++c)
        if (st.by_code[c]) codes += fmt::format("{}\"{}\":{}", codes.empty() ? "" : ",", c, st.by_code[c]);
    std::string fails;
    for (size_t i = 0; i < st.failures.size(); ++i)
        if (st.failures[i])
            fails += fmt::format("{}\"{}\":{}", fails.empty() ? "" : ",", failure_name(static_cast<Failure>(i)),
                                 st.failures[i]);
    if (o.idle > 0) {
        fmt::print(out,
                   "{{\"mode\":\"idle\",\"server\":\"{}\",\"sessions\":{},\"threads\":{},\"established\":{},"
                   "\"connect_errors\":{},\"handshake_errors\":{},\"dropped\":{},\"setup_s\":{:.3f},\"hold_s\":{:.1f},"
                   "\"failures_by_code\":{{{}}},\"cpu_user_s\":{:.3f},\"cpu_sys_s\":{:.3f}}}\n",
                   json_escape(o.server), o.idle, o.threads, st.idle_established, st.connect_errors,
                   st.handshake_errors, st.idle_dropped, f.elapsed_s, f.hold_s, codes, f.cpu_user_s, f.cpu_sys_s);
        return;
    }
    const auto& h = st.latency;
    fmt::print(out,
               "{{\"mode\":\"send\",\"server\":\"{}\",\"sessions\":{},\"threads\":{},\"messages\":{},\"size\":{},"
               "\"rcpts\":{},\"pipelining\":{},\"per_connection\":{},\"ok\":{},\"failed\":{},\"not_sent\":{},"
               "\"timed_out\":{},\"connections\":{},\"connect_errors\":{},\"handshake_errors\":{},"
               "\"no_pipelining\":{},\"sessions_gave_up\":{},\"elapsed_s\":{:.3f},\"msgs_per_s\":{:.1f},"
               "\"latency_ms\":{{\"p50\":{:.3f},\"p90\":{:.3f},\"p99\":{:.3f},\"max\":{:.3f}}},"
               "\"failures\":{{{}}},\"failures_by_code\":{{{}}},"
               "\"cpu_user_s\":{:.3f},\"cpu_sys_s\":{:.3f},\"cpu_s\":{:.3f},\"cpu_us_per_msg\":{:.2f},"
               "\"tls\":\"{}\",\"tls_version\":\"{}\",\"tls_handshakes\":{},\"tls_handshake_errors\":{},"
               "\"tls_error\":\"{}\"}}\n",
               json_escape(o.server), o.sessions, o.threads, o.messages, o.size, o.rcpts, o.pipelining,
               o.per_connection, st.ok, st.failed, o.messages - f.claimed, f.hit_timeout, st.connections,
               st.connect_errors, st.handshake_errors, st.no_pipelining, st.gave_up, f.elapsed_s,
               f.elapsed_s > 0 ? st.ok / f.elapsed_s : 0.0, ms(h.quantile(0.50)), ms(h.quantile(0.90)),
               ms(h.quantile(0.99)), ms(static_cast<double>(h.max())), fails, codes, f.cpu_user_s, f.cpu_sys_s, cpu,
               st.ok ? cpu * 1e6 / static_cast<double>(st.ok) : 0.0, tls_mode(o),
               o.tls == Options::Tls::none ? std::string() : o.tls_version, st.tls_handshakes,
               st.tls_handshake_errors, json_escape(st.tls_error));
}

}  // namespace ringpost::load
