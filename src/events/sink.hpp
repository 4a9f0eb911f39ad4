// Where events go: a webhook (webhook_sink.cpp) or a file (file_sink.cpp).
// Each sink has its own cursor in the store (store::EventLog) and its own
// batching and retry settings; the pushers (pushers.hpp) read the log
// after the cursor and call deliver() until it succeeds, then move the
// cursor past the batch.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "events/backoff.hpp"
#include "events/options.hpp"
#include "io/blocking_pool.hpp"
#include "io/ops.hpp"
#include "io/task.hpp"
#include "store/event_log.hpp"
#include "tls/context.hpp"
#include "util/result.hpp"

namespace ringpost::events {

class Sink {
public:
    virtual ~Sink() = default;
    // The cursor's name in the store: "webhook:NAME" or "file".
    virtual const std::string& name() const = 0;
    virtual size_t batch_size() const = 0;
    // A batch smaller than batch_size waits until its oldest event is this old.
    virtual std::chrono::milliseconds max_batch_delay() const = 0;
    virtual Backoff& backoff() = 0;
    // Hands the events on, in order; ok only once the other side has them
    // (a 2xx, the bytes synced to the file). Runs on the pushers' ring.
    virtual io::Task<Result<void>> deliver(const std::vector<store::LoggedEvent>& events, io::CancelSlot* slot) = 0;
};

// The body of a batch: one JSON object per line, each line ending in "\n".
std::string json_lines(const std::vector<store::LoggedEvent>& events);

std::unique_ptr<Sink> make_webhook_sink(const WebhookOptions& options, io::BlockingPool& pool,
                                        std::shared_ptr<tls::ClientContext> tls);
std::unique_ptr<Sink> make_file_sink(const std::string& path, io::BlockingPool& pool);

}  // namespace ringpost::events
