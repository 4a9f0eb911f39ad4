// CommandBudget: how long one IMAP command may work, and when it must let
// the other connections of its ring run (issue 11 item 4).
//
// A command that loops over messages or mailboxes (SEARCH, FETCH, LIST)
// calls checkpoint() between units of work. Every `slice` of work on the
// ring it pauses for one loop turn (a zero timer through io_uring, so that
// completions of other connections are reaped before it goes on); once the
// command has run longer than `limit` checkpoint() answers false and the
// command ends with "NO [LIMIT]" (RFC 5530: an implementation limit).
// The clock is injectable so that tests need not wait.
#pragma once

#include <chrono>
#include <functional>

#include "io/task.hpp"

namespace ringpost::imap {

using CommandClock = std::function<std::chrono::steady_clock::time_point()>;

class CommandBudget {
public:
    // limit 0: no time limit (the command still pauses every slice).
    CommandBudget(std::chrono::milliseconds limit, std::chrono::microseconds slice, const CommandClock& clock);

    // False when the command has used up its time; may pause on the ring first.
    io::Task<bool> checkpoint();
    bool expired() const { return expired_; }

private:
    std::chrono::steady_clock::time_point now() const;

    const CommandClock& clock_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point slice_start_;
    std::chrono::milliseconds limit_;
    std::chrono::microseconds slice_;
    bool expired_ = false;
};

}  // namespace ringpost::imap
