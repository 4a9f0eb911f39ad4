// keep_until_exit: objects a shutdown leaves behind on purpose.
//
// A coroutine still suspended when its loop ends (a delivery cut at the end
// of the grace) is never destroyed under its feet: it, and what it uses,
// are leaked. Parking their addresses here keeps them reachable, so a leak
// checker (LeakSanitizer in the ASan build) does not report a deliberate
// leak as a defect and fail the process's exit status.
#pragma once

#include <mutex>
#include <vector>

namespace ringpost::io {

inline void keep_until_exit(const void* p) {
    static std::mutex mu;
    static auto* kept = new std::vector<const void*>();   // never freed: reachable to the end
    std::lock_guard<std::mutex> lock(mu);
    kept->push_back(p);
}

}  // namespace ringpost::io
