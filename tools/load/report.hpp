// The end-of-run report of ringpost-load: a text summary and, with --json,
// one JSON line (send mode and idle mode have their own fields).
#pragma once

#include <cstdio>

#include "load/options.hpp"
#include "load/stats.hpp"

namespace ringpost::load {

struct RunFacts {
    double elapsed_s = 0;        // start until the last session ended (send mode) / handshakes done (idle)
    double cpu_user_s = 0;       // getrusage(RUSAGE_SELF) over the run
    double cpu_sys_s = 0;
    uint64_t claimed = 0;        // messages taken from the shared counter
    bool hit_timeout = false;    // --timeout ended the run
    unsigned idle_settled = 0;
    double hold_s = 0;
};

void print_text(std::FILE* out, const Options& o, const Stats& st, const RunFacts& f);
void print_json(std::FILE* out, const Options& o, const Stats& st, const RunFacts& f);

}  // namespace ringpost::load
