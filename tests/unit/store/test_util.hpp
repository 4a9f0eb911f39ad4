// Helpers shared by the store unit tests: a temporary data directory and
// synchronous wrappers around the asynchronous commit stage.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/commit_stage.hpp"
#include "store/store.hpp"

namespace ringpost::store::testing {

class TempDir {
public:
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "rp-store-test-XXXXXX").string();
        if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
        path_ = templ;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string db() const { return path_ + "/db"; }

private:
    std::string path_;
};

struct Rcpt {
    std::string address;
    bool local = false;
};

inline mail::Envelope make_envelope(std::string sender, std::vector<Rcpt> rcpts, int64_t received_at = 1700000000) {
    mail::Envelope e;
    e.queue_id = new_queue_id();
    e.sender = std::move(sender);
    for (auto& r : rcpts) {
        mail::Recipient rc;
        rc.address = r.address;
        rc.local = r.local;
        e.recipients.push_back(std::move(rc));
    }
    e.helo = "client.example";
    e.client_ip = "192.0.2.1";
    e.protocol = "ESMTP";
    e.received_at = received_at;
    return e;
}

inline std::unique_ptr<AcceptRequest> make_request(mail::Envelope env, std::string data,
                                                   std::function<void(const Result<void>&)> done) {
    auto req = std::make_unique<AcceptRequest>();
    req->envelope = std::move(env);
    req->data = std::move(data);
    req->on_done = std::move(done);
    return req;
}

// Submits one message and waits for the commit thread's verdict.
inline Result<void> accept(Store& store, mail::Envelope env, std::string data) {
    std::promise<Result<void>> promise;
    auto future = promise.get_future();
    store.commit_stage().submit(make_request(std::move(env), std::move(data),
                                             [&promise](const Result<void>& r) { promise.set_value(r); }));
    return future.get();
}

// The text of an optional-string read, or a marker that makes a comparison fail visibly.
inline std::string text(const Result<std::optional<std::string>>& r) {
    if (!r.ok()) return "<error: " + r.error().message + ">";
    return r.value() ? *r.value() : "<absent>";
}

inline std::unique_ptr<Store> open_store(const std::string& path, bool read_only = false) {
    StoreOptions opts;
    opts.path = path;
    opts.read_only = read_only;
    auto r = Store::open(opts);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : nullptr;
}

inline const char* kMessage =
    "Received: from client.example\r\n"
    "From: Bob <bob@example.org>\r\n"
    "Subject: Hello\r\n"
    " there\r\n"
    "\r\n"
    "Body line\r\n";

}  // namespace ringpost::store::testing
