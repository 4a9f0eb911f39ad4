// The current server context of the listeners: read by every new session
// (and by STARTTLS) on any ring, replaced on SIGHUP by the main thread.
// Sessions keep the context they started with (a shared_ptr), so a reload
// drops none of them.
#pragma once

#include <memory>
#include <mutex>
#include <utility>

#include "tls/context.hpp"

namespace ringpost::tls {

class ContextHolder {
public:
    explicit ContextHolder(std::shared_ptr<ServerContext> initial) : current_(std::move(initial)) {}

    std::shared_ptr<ServerContext> get() const {
        std::lock_guard lock(mu_);
        return current_;
    }
    void set(std::shared_ptr<ServerContext> next) {
        std::lock_guard lock(mu_);
        current_ = std::move(next);
    }

private:
    mutable std::mutex mu_;   // held for a pointer copy only
    std::shared_ptr<ServerContext> current_;
};

}  // namespace ringpost::tls
