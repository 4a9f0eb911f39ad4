// The descriptor budget: how many client connections the process can hold
// open. At start the soft RLIMIT_NOFILE is raised to the hard limit; a
// reserve stays for the store, DNS, outbound delivery, listeners and rings;
// the rest is shared by the services (SMTP, submission, POP3, IMAP). When
// their max_connections together ask for more, the budget is shared
// max-min fairly, so every service keeps a share and together they stay
// below the limit. What a client sees at each limit: docs/ROBUSTNESS.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringpost::server {

struct NofileLimit {
    uint64_t soft_before = 0;   // as the process started
    uint64_t soft = 0;          // in effect now
    uint64_t hard = 0;
    std::string error;          // why raising failed; "" = fine
};

// Raises the soft RLIMIT_NOFILE to the hard limit (capped where the hard
// limit is "unlimited": the kernel refuses more than nr_open anyway).
NofileLimit raise_nofile_limit();

// Descriptors kept for everything but client connections: the process's
// own (stdio, log, admin socket, eventfds), the store's table cache
// (max_open_files in store/store_open.cpp) and logs, outbound SMTP and DNS
// sockets, and per worker its ring and listeners. At most a quarter of the
// limit, so a low limit still leaves most of it for clients.
uint64_t fd_reserve(uint64_t nofile, unsigned threads, unsigned listeners);

struct ServiceShare {
    const char* name;
    uint32_t wanted;    // configured max_connections
    uint32_t granted;   // what the budget allows (<= wanted; >= 1 unless wanted is 0)
};

// Fills `granted`: wanted as is when the sum fits in `connections`; else a
// service asking for no more than an equal part gets it all, and the
// others share the rest equally. Returns whether any was cut.
bool share_connections(uint64_t connections, std::vector<ServiceShare>& services);

}  // namespace ringpost::server
