// The coroutine of one simulated SMTP client: connect, greeting, EHLO, then
// either transactions (send mode) or an idle hold (idle mode); reconnects
// after errors or every --per-connection messages.
#pragma once

#include "io/task.hpp"
#include "load/session_state.hpp"

namespace ringpost::load {

class Worker;

io::Task<void> run_session(Worker& worker, SessionState& s);

// The same over TLS (--starttls or --smtps; session_tls.cpp). A separate
// coroutine so that the plain path keeps its allocation-free awaiters.
io::Task<void> run_tls_session(Worker& worker, SessionState& s);

}  // namespace ringpost::load
