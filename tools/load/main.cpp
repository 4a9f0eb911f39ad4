// ringpost-load: entry point. Parses options, raises RLIMIT_NOFILE, starts
// one Worker (thread + io_uring) per --threads with the sessions spread over
// them, waits for the run (or, in idle mode, drives the hold), and reports.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "load/options.hpp"
#include "tls/context.hpp"
#include "load/report.hpp"
#include "load/worker.hpp"

using namespace ringpost::load;

namespace {

// Raise the soft open-files limit to the hard limit; returns the soft limit now in force.
rlim_t raise_nofile() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
    Options o;
    int exit_code = 0;
    if (!parse_options(argc, argv, o, exit_code)) return exit_code;

    const unsigned sessions = o.idle > 0 ? o.idle : o.sessions;
    const rlim_t nofile = raise_nofile();
    if (nofile != RLIM_INFINITY && nofile < sessions + 64)
        fmt::print(stderr, "ringpost-load: warning: open files limit {} is below {} sessions + 64\n", nofile, sessions);
    const unsigned threads = std::min(o.threads, sessions);
    o.threads = threads;

    Shared shared(o);
    if (o.tls != Options::Tls::none) {
        // One version only (TLS 1.3 by default), no verification (see TlsStream::client), no resumption.
        ringpost::tls::ClientConfig tc;
        tc.min_version = tc.max_version = "TLSv" + o.tls_version;
        auto ctx = ringpost::tls::ClientContext::create(tc);
        if (!ctx) {
            fmt::print(stderr, "ringpost-load: TLS client context: {}\n", ctx.error().message);
            return 2;
        }
        shared.tls = *ctx;
    }
    std::vector<std::unique_ptr<Worker>> workers;
    const unsigned gate = std::max(1u, o.connect_concurrency / threads);
    for (unsigned t = 0, first = 0; t < threads; ++t) {
        const unsigned n = sessions / threads + (t < sessions % threads ? 1 : 0);
        workers.push_back(std::make_unique<Worker>(shared, first, n, gate));
        first += n;
    }

    rusage ru0{}, ru1{};
    getrusage(RUSAGE_SELF, &ru0);
    shared.start = Clock::now();
    shared.deadline = shared.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
    for (auto& w : workers) w->start();

    RunFacts facts;
    if (o.idle > 0) {
        // Wait until every session has its greeting+EHLO (or failed), bounded by --timeout.
        while (shared.idle_settled.load() < sessions && Clock::now() < shared.deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        facts.elapsed_s = std::chrono::duration<double>(Clock::now() - shared.start).count();
        unsigned settled = shared.idle_settled.load();
        fmt::print(stderr, "ringpost-load: idle: {} of {} sessions past the handshake after {:.3f} s; holding {:.1f} s\n",
                   settled, sessions, facts.elapsed_s, o.hold);
        std::fflush(stderr);
        const auto hold_start = Clock::now();
        std::this_thread::sleep_for(std::chrono::duration<double>(o.hold));
        facts.hold_s = std::chrono::duration<double>(Clock::now() - hold_start).count();
        for (auto& w : workers) w->release();
        facts.idle_settled = settled;
    }
    for (auto& w : workers) w->join();
    getrusage(RUSAGE_SELF, &ru1);

    Stats total;
    Clock::time_point end = shared.start;
    bool broken = false;
    for (auto& w : workers) {
        if (!w->error().empty()) {
            fmt::print(stderr, "ringpost-load: worker failed: {}\n", w->error());
            broken = true;
        }
        total.merge(w->stats());
        end = std::max(end, w->end_time());
    }
    if (o.idle == 0) facts.elapsed_s = std::chrono::duration<double>(end - shared.start).count();
    facts.cpu_user_s = seconds(ru1.ru_utime) - seconds(ru0.ru_utime);
    facts.cpu_sys_s = seconds(ru1.ru_stime) - seconds(ru0.ru_stime);
    facts.claimed = shared.claimed();
    facts.hit_timeout = o.idle == 0 && end >= shared.deadline;

    print_text(o.json ? stderr : stdout, o, total, facts);
    if (o.json) print_json(stdout, o, total, facts);

    if (broken) return 1;
    if (o.idle > 0) return total.idle_established == o.idle ? 0 : 1;
    return total.ok == o.messages ? 0 : 1;
}
