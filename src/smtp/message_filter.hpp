// Work on an accepted message between the end of its data and the commit:
// milters (content filters), then DKIM signing. Asynchronous, so that CPU-heavy
// work runs off the ring (src/server runs it on a pool) while the session
// waits, as it waits for the commit. Optional: without a filter the driver
// commits at once.
#pragma once

#include <cstdint>
#include <string>

#include "io/task.hpp"
#include "smtp/session.hpp"

namespace ringpost::smtp {

// What the driver does next: commit (code 0), or answer the end of data
// with this reply instead and drop the message (e.g. 451 4.3.0 when
// signing failed, so that the client tries again later).
struct FilterVerdict {
    uint16_t code = 0;
    std::string enhanced;   // "4.3.0"
    std::string text;
    // A milter's discard: the client is told the message was queued (250)
    // and it is dropped instead of committed (code stays 0).
    bool discard = false;

    bool accepted() const { return code == 0 && !discard; }
};

class MessageFilter {
public:
    virtual ~MessageFilter() = default;
    // May change message.data (keeping envelope.body_size equal to its
    // size) and read message.origin; never throws.
    virtual io::Task<FilterVerdict> filter(AcceptedMessage& message) = 0;
};

}  // namespace ringpost::smtp
