// Worker: one thread, one io_uring, its own SO_REUSEPORT listeners, and all
// the SMTP sessions the kernel hands to those listeners. Nothing mutable is
// shared with other workers on the hot path except the commit stage queue
// and the connection limiters.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "server/connection_limiter.hpp"
#include "server/rate_limiter.hpp"
#include "io/socket.hpp"

namespace ringpost::store {
class Store;
}
namespace ringpost::delivery {
class DeliveryEngine;
}
namespace ringpost::pop3 {
class Backend;
}
namespace ringpost::imap {
class Backend;
}
namespace ringpost::tls {
class ContextHolder;
}
namespace ringpost::io {
class BlockingPool;
}
namespace ringpost::api {
struct Services;
}
namespace ringpost::smtp {
class Authenticator;
class InflightBudget;
class MessageFilter;
}

namespace ringpost::server {

class Greylist;
class ScreenCache;

// The worker's own SO_REUSEPORT listening sockets, by protocol.
struct WorkerListeners {
    std::vector<io::Fd> smtp;
    std::vector<io::Fd> pop3;
    std::vector<io::Fd> imap;
    std::vector<io::Fd> submission;   // SMTP, AUTH required (RFC 6409)
    std::vector<io::Fd> smtps;        // submission over implicit TLS (RFC 8314)
    std::vector<io::Fd> pop3s;
    std::vector<io::Fd> imaps;
    std::vector<io::Fd> http;         // the HTTP API (src/http, src/api)
    std::vector<io::Fd> https;
};

// What a worker serves with, besides its configuration and store.
struct WorkerServices {
    delivery::DeliveryEngine* engine = nullptr;   // takes accepted messages from memory (may be null)
    pop3::Backend* pop3 = nullptr;                // required when there are POP3 listeners
    imap::Backend* imap = nullptr;                // required when there are IMAP listeners
    tls::ContextHolder* tls = nullptr;            // the server certificate; null = no TLS at all
    smtp::Authenticator* smtp_auth = nullptr;     // SMTP AUTH password checks; null = no AUTH
    smtp::InflightBudget* inflight = nullptr;     // message bytes in memory, all workers; null = no limit
    smtp::MessageFilter* filter = nullptr;        // before each SMTP commit, after the worker's inbound checks (egress pool, DKIM signing); null = none
    const api::Services* api = nullptr;           // the HTTP API's shared services; null = no HTTP listeners
    RateLimiter* connection_rate = nullptr;       // per client address, the listeners that screen; null = none
    RateLimiter* message_rate = nullptr;          // MAIL FROMs per client address, the same; null = none
    io::BlockingPool* check_pool = nullptr;       // DKIM verification's CPU work; null = on the ring
    Greylist* greylist = nullptr;                 // [greylist], shared by all workers; null = off
    ScreenCache* screen_cache = nullptr;          // the screening's pass cache, shared by all workers; null = none
};

class Worker {
public:
    Worker(unsigned index, const config::Config& config, store::Store& store, WorkerServices services,
           ServiceLimiters limiters, WorkerListeners listeners);
    // Joins the thread, then destroys the ring: only once nothing posts to it.
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Starts the thread; false (with the reason logged) if its ring cannot be set up.
    bool start();
    // Any thread: stop accepting, 421 idle sessions, let transactions finish
    // within shutdown_grace, then stop the loop.
    void request_shutdown();
    void join();

    struct State;

private:
    void thread_main();

    unsigned index_;
    const config::Config& config_;
    store::Store& store_;
    WorkerServices services_;
    ServiceLimiters limiters_;
    WorkerListeners listeners_;
    std::thread thread_;
    // The ring and everything next to it: created on the thread, destroyed
    // by ~Worker (not when the thread ends) so that it outlives late posts.
    std::unique_ptr<State> owned_;
    std::atomic<State*> state_{nullptr};
    std::atomic<int> started_{0};   // 0 pending, 1 running, -1 failed
};

}  // namespace ringpost::server
