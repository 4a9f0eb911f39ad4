// Worker: one thread, one io_uring, its own SO_REUSEPORT listeners, and all
// the SMTP sessions the kernel hands to those listeners. Nothing mutable is
// shared with other workers on the hot path except the commit stage queue
// and the connection limiter.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "app/config.hpp"
#include "io/socket.hpp"

namespace ringpost::store {
class Store;
}
namespace ringpost::delivery {
class DeliveryEngine;
}

namespace ringpost::app {

class ConnectionLimiter;

class Worker {
public:
    // `engine` (may be null) takes accepted messages straight from memory.
    Worker(unsigned index, const Config& config, store::Store& store, delivery::DeliveryEngine* engine,
           ConnectionLimiter& limiter, std::vector<io::Fd> listeners);
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
    const Config& config_;
    store::Store& store_;
    delivery::DeliveryEngine* engine_;
    ConnectionLimiter& limiter_;
    std::vector<io::Fd> listeners_;
    std::thread thread_;
    std::atomic<State*> state_{nullptr};
    std::atomic<int> started_{0};   // 0 pending, 1 running, -1 failed
};

}  // namespace ringpost::app
