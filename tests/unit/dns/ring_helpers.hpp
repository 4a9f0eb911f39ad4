// Test helper: run a test body coroutine on a Ring until it finishes.
#pragma once

#include "io/ops.hpp"
#include "io/ring.hpp"
#include "io/task.hpp"

namespace ringpost::dns::test {

// `body` is a callable returning io::Task<void>; it must outlive the run
// (it does: it is the caller's object).
template <class F>
void run_on(io::Ring& ring, F& body) {
    auto main = [](io::Ring& r, F& b) -> io::Task<void> {
        co_await b();
        r.stop();
    };
    io::spawn(main(ring, body));
    ring.run();
}

}  // namespace ringpost::dns::test
