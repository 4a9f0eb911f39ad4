#include "server/fd_budget.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace ringpost::server {
namespace {

// Where the hard limit is RLIM_INFINITY: Linux's default fs.nr_open.
constexpr uint64_t kUnlimitedCap = 1u << 20;

constexpr uint64_t kProcessFds = 64;      // stdio, log, admin socket, eventfds, TLS files, store WAL/MANIFEST/LOCK
constexpr uint64_t kStoreTableCache = 256;   // RocksDB max_open_files (store/store_open.cpp)
constexpr uint64_t kDeliveryFds = 256;    // outbound SMTP connections and DNS sockets
constexpr uint64_t kPerWorkerFds = 4;     // ring, eventfd, blocking-pool wake-ups

}  // namespace

NofileLimit raise_nofile_limit() {
    NofileLimit out;
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        out.error = std::strerror(errno);
        return out;
    }
    out.soft_before = lim.rlim_cur;
    out.hard = lim.rlim_max == RLIM_INFINITY ? kUnlimitedCap : lim.rlim_max;
    out.soft = lim.rlim_cur == RLIM_INFINITY ? kUnlimitedCap : lim.rlim_cur;
    if (out.soft < out.hard) {
        rlimit raised = lim;
        raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? kUnlimitedCap : lim.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) out.soft = raised.rlim_cur;
        else out.error = std::strerror(errno);
    }
    return out;
}

uint64_t fd_reserve(uint64_t nofile, unsigned threads, unsigned listeners) {
    const uint64_t wanted = kProcessFds + kStoreTableCache + kDeliveryFds +
                            static_cast<uint64_t>(threads) * (kPerWorkerFds + listeners);
    return std::min(wanted, nofile / 4);
}

bool share_connections(uint64_t connections, std::vector<ServiceShare>& services) {
    uint64_t wanted = 0;
    for (const auto& s : services) wanted += s.wanted;
    if (wanted <= connections) {
        for (auto& s : services) s.granted = s.wanted;
        return false;
    }
    // Max-min fair: smallest demand first; each gets what it asks or an
    // equal part of what is left, so a small service is never cut for a
    // big one and what a small one leaves goes to the others.
    std::vector<ServiceShare*> order;
    for (auto& s : services) order.push_back(&s);
    std::stable_sort(order.begin(), order.end(), [](const ServiceShare* a, const ServiceShare* b) { return a->wanted < b->wanted; });
    uint64_t left = connections;
    size_t others = order.size();
    for (ServiceShare* s : order) {
        const uint64_t fair = left / others--;
        const uint64_t granted = std::min<uint64_t>(s->wanted, fair);
        s->granted = static_cast<uint32_t>(std::max<uint64_t>(granted, s->wanted ? 1 : 0));
        left -= std::min<uint64_t>(left, s->granted);
    }
    return true;
}

}  // namespace ringpost::server
