// SessionState: everything one simulated SMTP client keeps between
// messages (socket, receive buffer, prebuilt transaction bytes) and what the
// worker's ticker needs to time out or cancel its current operation.
// Allocated once, before the run; the coroutine only refers to it.
#pragma once

#include <cstdint>
#include <memory>

#include "io/ops.hpp"
#include "io/ring.hpp"
#include "load/message.hpp"
#include "load/reply.hpp"
#include "tls/tls_stream.hpp"

namespace ringpost::load {

struct SessionState {
    SessionState(unsigned session_id, size_t recv_buffer, const uint32_t* worker_tick)
        : id(session_id), reader(recv_buffer), tick(worker_tick) {}

    unsigned id;
    int fd = -1;
    ReplyReader reader;
    std::unique_ptr<MessageTemplate> message;   // null in idle mode

    // --starttls/--smtps: the TLS stream once it exists (it owns the socket
    // then; `fd` stays its number, for shutdown(2) at a forced stop), and
    // the slot of its running recv, for cancels.
    std::unique_ptr<tls::TlsStream> tls;
    io::CancelSlot tls_slot;

    // The operation in flight (its Completion is the SQE's user_data), so the
    // ticker can cancel it; null while the coroutine runs.
    io::Completion* pending = nullptr;
    uint32_t op_tick = 0;        // worker tick when that operation started
    const uint32_t* tick;        // the worker's tick counter
    bool untimed = false;        // the current operation is exempt from --io-timeout (idle hold)
    bool timed_out = false;      // the ticker cancelled the current operation

    void track(io::Completion* c) {
        pending = c;
        op_tick = *tick;
        timed_out = false;
    }
};

}  // namespace ringpost::load
