// BlockingPool (see blocking_pool.hpp): the threads, the bounded queue, and
// the hand-back to the caller's ring.
#include "io/blocking_pool.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace ringpost::io {

namespace detail {

Error pool_exception_error(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return make_error(std::string("blocking call failed: ") + ex.what(), BlockingPool::kThrew);
    } catch (...) {
        return make_error("blocking call failed: unknown exception", BlockingPool::kThrew);
    }
}

}  // namespace detail

BlockingPool::BlockingPool(Options options) : options_(options) {
    if (options_.threads == 0) options_.threads = 1;
    threads_.reserve(options_.threads);
    for (unsigned i = 0; i < options_.threads; ++i) {
        threads_.emplace_back([this] { worker(); });
        if (options_.name) {
            char name[16] = {};
            std::snprintf(name, sizeof name, "%s", options_.name);
            pthread_setname_np(threads_.back().native_handle(), name);
        }
    }
}

BlockingPool::~BlockingPool() { stop(); }

bool BlockingPool::submit(detail::PoolJob* job, Error& refusal) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) {
            refusal = make_error("blocking pool stopped", kStopped);
            return false;
        }
        if (queue_.size() >= options_.max_queued) {
            refusal = make_error("blocking pool busy: " + std::to_string(queue_.size()) + " calls waiting", kBusy);
            return false;
        }
        queue_.push_back(job);
    }
    cv_.notify_one();
    return true;
}

std::deque<detail::PoolJob*>::iterator BlockingPool::next_runnable() {
    if (options_.max_running_per_key == 0) return queue_.begin();
    return std::find_if(queue_.begin(), queue_.end(), [this](const detail::PoolJob* j) {
        if (j->key == 0) return true;
        auto it = running_per_key_.find(j->key);
        return it == running_per_key_.end() || it->second < options_.max_running_per_key;
    });
}

void BlockingPool::worker() {
    if (options_.nice != 0) {
        // PRIO_PROCESS with a thread id sets that thread only. Raising the
        // nice value needs no privilege; should it fail all the same, the
        // pool works at normal priority.
        const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
        errno = 0;
        const int base = ::getpriority(PRIO_PROCESS, tid);
        if (errno == 0) (void)::setpriority(PRIO_PROCESS, tid, std::clamp(base + options_.nice, -20, 19));
    }
    for (;;) {
        detail::PoolJob* job;
        {
            std::unique_lock<std::mutex> lock(mu_);
            // A call whose key is at its limit waits for one of that key's
            // running calls to end (which notifies), not for a new call.
            cv_.wait(lock, [this] { return (stopping_ && queue_.empty()) || next_runnable() != queue_.end(); });
            // Queued work is finished even when stopping: its callers are
            // suspended and only a completion brings them back.
            if (queue_.empty()) return;
            auto it = next_runnable();
            job = *it;
            queue_.erase(it);
            if (job->key != 0 && options_.max_running_per_key != 0) ++running_per_key_[job->key];
        }
        const uint64_t key = job->key;
        job->execute();
        // After this post the job belongs to the caller again (its frame may
        // free it as soon as it resumes): read what we need first.
        Ring* ring = job->ring;
        std::coroutine_handle<> h = job->handle;
        // Through the ring's ready queue (Ring's rules, ring.hpp). A ring
        // closed at shutdown drops it: the caller stays suspended.
        ring->post_resume(h);
        if (key != 0 && options_.max_running_per_key != 0) {
            {
                std::lock_guard<std::mutex> lock(mu_);
                auto it = running_per_key_.find(key);
                if (--it->second == 0) running_per_key_.erase(it);
            }
            cv_.notify_all();   // a call of this key may run now
        }
    }
}

void BlockingPool::stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

size_t BlockingPool::queued() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
}

}  // namespace ringpost::io
