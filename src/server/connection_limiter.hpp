// Process-wide connection accounting shared by all workers, one limiter per
// service: the total (max_connections) and per client IP
// (max_connections_per_ip). Touched once at connect and once at
// disconnect, so a mutex is cheap enough.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "server/ip_key.hpp"

namespace ringpost::server {

class ConnectionLimiter {
public:
    ConnectionLimiter(uint32_t max_total, uint32_t max_per_ip) : max_total_(max_total), max_per_ip_(max_per_ip) {}

    enum class Verdict { kOk, kTooManyTotal, kTooManyFromIp };
    // On kOk the connection is counted and must be released later.
    Verdict acquire(const uint8_t ip16[16]);
    void release(const uint8_t ip16[16]);
    uint32_t total() const;

private:
    mutable std::mutex mu_;
    uint32_t max_total_;
    uint32_t max_per_ip_;
    uint32_t total_ = 0;
    std::unordered_map<IpKey, uint32_t, IpKeyHash> per_ip_;
};

// One limiter per service, as Dovecot has per-service limits: a flood on
// port 25 never takes the slots of IMAP, POP3 or submission users. The
// implicit-TLS listeners count with their service (smtps with submission,
// pop3s with pop3, imaps with imap, https with http).
struct ServiceLimiters {
    ConnectionLimiter* smtp = nullptr;
    ConnectionLimiter* submission = nullptr;
    ConnectionLimiter* pop3 = nullptr;
    ConnectionLimiter* imap = nullptr;
    ConnectionLimiter* http = nullptr;   // http and https
};

}  // namespace ringpost::server
