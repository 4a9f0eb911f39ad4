// Shared by the TLS tests: temporary directories with a generated
// certificate, and a runner that drives a set of coroutines on a fresh Ring
// until they all finish (or a time limit, so a broken stream fails the test
// instead of hanging it).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "io/ops.hpp"
#include "io/ring.hpp"
#include "io/task.hpp"
#include "tls/context.hpp"
#include "tls/self_signed.hpp"

namespace ringpost::tls::testing {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/rp-tls-test-XXXXXX";
        const char* p = ::mkdtemp(tmpl);
        path = p ? p : "";
    }
    ~TempDir() {
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return path + "/" + name; }
};

// A fresh self-signed certificate and key for `host`.
struct Certs {
    TempDir dir;
    std::string cert;
    std::string key;
    explicit Certs(const std::string& host = "mx.example.test")
        : cert(dir.file("cert.pem")), key(dir.file("key.pem")) {
        auto r = ensure_self_signed(cert, key, host);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    }
};

inline ServerConfig server_config(const std::string& cert, const std::string& key) {
    ServerConfig c;
    c.cert_file = cert;
    c.key_file = key;
    return c;
}

inline ClientConfig client_config(const std::string& ca_file = "") {
    ClientConfig c;
    c.ca_file = ca_file;
    return c;
}

inline io::Task<void> counted(io::Task<void> task, int* left) {
    co_await std::move(task);
    --*left;
}

inline io::Task<void> supervise(io::Ring* ring, int* left, std::chrono::milliseconds limit, bool* timed_out) {
    auto start = std::chrono::steady_clock::now();
    while (*left > 0) {
        if (std::chrono::steady_clock::now() - start > limit) {
            *timed_out = true;
            break;
        }
        co_await io::sleep_for(std::chrono::milliseconds(1));
    }
    ring->stop();
}

inline void run_all(std::vector<io::Task<void>> tasks,
                    std::chrono::milliseconds limit = std::chrono::milliseconds(8000)) {
    io::Ring ring(1024);
    ring.bind_thread();
    int left = static_cast<int>(tasks.size());
    bool timed_out = false;
    for (auto& t : tasks) io::spawn(counted(std::move(t), &left));
    io::spawn(supervise(&ring, &left, limit, &timed_out));
    ring.run();
    EXPECT_FALSE(timed_out) << left << " coroutine(s) still running at the time limit";
}

}  // namespace ringpost::tls::testing
