// Test helpers: real DNS servers on loopback. Dnsmasq runs dnsmasq as a
// child process on a free 127.0.0.1 port (killed in the destructor);
// FakeDnsServer answers UDP queries on 127.0.0.1 from a handler in its own
// thread (SERVFAIL, chosen TTLs, SOA in negative answers, silence) and
// counts the queries it gets.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdio>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dns_packet.hpp"

namespace ringpost::dns::test {

class Dnsmasq {
public:
    // Starts dnsmasq with `args` (records) plus the loopback-only options;
    // nullptr and `why` when it is missing or does not come up.
    static std::unique_ptr<Dnsmasq> start(const std::vector<std::string>& args, std::string& why);
    ~Dnsmasq();
    uint16_t port() const { return port_; }

private:
    Dnsmasq() = default;
    pid_t pid_ = -1;
    uint16_t port_ = 0;
    std::string dir_;
};

class FakeDnsServer {
public:
    // nullopt: no reply.
    using Handler = std::function<std::optional<Bytes>(const Question&)>;
    explicit FakeDnsServer(Handler handler);
    ~FakeDnsServer();
    uint16_t port() const { return port_; }
    int queries() const { return queries_.load(); }

private:
    void loop();
    Handler handler_;
    int fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<int> queries_{0};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// A UDP port on 127.0.0.1 that nobody listens on right now.
uint16_t free_udp_port();

// A test suite sharing one dnsmasq that serves Zone(); its tests are
// skipped, with the reason, when dnsmasq is missing or does not start.
// A subclass's SetUp calls this SetUp first and returns if IsSkipped().
template <std::vector<std::string> (*Zone)()>
class DnsmasqSuite : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server_ = Dnsmasq::start(Zone(), why_).release();
        if (!server_) std::fprintf(stderr, "live DNS tests skipped: %s\n", why_.c_str());
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override {
        if (!server_) GTEST_SKIP() << why_;
    }
    static std::string server_address() { return "127.0.0.1:" + std::to_string(server_->port()); }

    static inline Dnsmasq* server_ = nullptr;
    static inline std::string why_;
};

}  // namespace ringpost::dns::test
