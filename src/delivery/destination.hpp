// One destination domain on the delivery ring: its queue of jobs and the
// connection workers (coroutines) that empty it, at most
// max_connections_per_destination at a time (Postfix's
// default_destination_concurrency_limit). Each worker resolves the
// destination, connects to the first MX host that answers, then runs jobs
// over that connection (RSET between them, up to max_messages_per_connection),
// waits idle_timeout for more, and QUITs. Destinations are independent, so
// a slow or dead domain only holds up its own queue.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "delivery/engine_impl.hpp"
#include "delivery/targets.hpp"
#include "io/ops.hpp"
#include "io/task.hpp"

namespace ringpost::delivery {

class Destination {
public:
    Destination(DeliveryEngine::Impl& engine, std::string domain) : engine_(engine), domain_(std::move(domain)) {}
    ~Destination();

    void enqueue(Job job);
    // Engine stopping: queued jobs end without an attempt, idle workers quit.
    void shut_down();
    // No job queued and no worker left: the engine may forget it.
    bool retired() const { return workers_ == 0 && queue_.empty(); }
    const std::string& domain() const { return domain_; }
    // The address of this destination's most preferred host, once resolved.
    const std::string& preferred_ip() const { return preferred_ip_; }
    bool has_jobs() const { return !queue_.empty(); }
    // Hands a queued job to a connection of another destination whose
    // server is this destination's preferred host (connection sharing).
    Job take_job();

private:
    io::Task<void> worker();
    // Every queued job ends with `d` for each of its recipients.
    void fail_queue(const Diagnostic& d);
    // The next job for the connection to `ip`: one of ours, else one of
    // another destination whose preferred host is `ip` (many domains, one
    // MX host: Postfix likewise reuses connections by server address);
    // else wait up to idle_timeout. Empty if none came, the engine is
    // stopping, or another destination waits for a slot of that host.
    io::Task<std::optional<Job>> next_job(const std::string& ip);
    std::optional<Job> take_any(const std::string& ip);
    void set_preferred_ip(const std::string& ip);
    void wake_one();

    DeliveryEngine::Impl& engine_;
    const std::string domain_;
    std::deque<Job> queue_;
    uint32_t workers_ = 0;     // worker coroutines alive
    uint32_t connected_ = 0;   // of which hold a connection
    std::vector<io::CancelSlot*> idle_;   // workers waiting for a job
    std::string preferred_ip_;            // registered in the engine's by_ip index
};

}  // namespace ringpost::delivery
