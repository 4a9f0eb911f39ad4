// Helpers shared by the store unit tests: a temporary data directory and
// synchronous wrappers around the asynchronous commit stage.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/commit_stage.hpp"
#include "store/keys.hpp"
#include "store/records.hpp"
#include "store/store.hpp"
#include "store/test_hooks.hpp"

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

// Submits one outcome and waits for the commit thread's verdict.
inline Result<void> write_outcome(Store& store, std::unique_ptr<OutcomeRequest> request) {
    std::promise<Result<void>> promise;
    auto future = promise.get_future();
    request->on_done = [&promise](const Result<void>& r) { promise.set_value(r); };
    store.commit_stage().submit(std::move(request));
    return future.get();
}

inline std::unique_ptr<OutcomeRequest> make_outcome(mail::Envelope env, std::vector<size_t> local_deliveries = {},
                                                    std::shared_ptr<const std::string> body = nullptr) {
    auto req = std::make_unique<OutcomeRequest>();
    req->envelope = std::move(env);
    req->local_deliveries = std::move(local_deliveries);
    req->body = std::move(body);
    return req;
}

// What the delivery engine does for the local transport: load the spooled
// message and deliver every pending local recipient into its INBOX; remote
// recipients keep their state and due time.
inline Result<void> deliver_local(Store& store, const std::string& queue_id) {
    auto env = store.spool().get_envelope(queue_id);
    auto body = store.spool().get_body(queue_id);
    if (!env.ok() || !env->has_value() || !body.ok() || !body->has_value())
        return make_error("message " + queue_id + " is not spooled");
    std::vector<size_t> local;
    for (size_t i = 0; i < (*env)->recipients.size(); ++i)
        if ((*env)->recipients[i].local) local.push_back(i);
    return write_outcome(store, make_outcome(**env, std::move(local), std::make_shared<const std::string>(**body)));
}

// accept() followed by deliver_local(): what local delivery at accept did before.
inline Result<void> accept_and_deliver(Store& store, const mail::Envelope& env, std::string data) {
    if (auto r = accept(store, env, std::move(data)); !r) return r;
    return deliver_local(store, env.queue_id);
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

// A fresh primary store with the user alice@localhost, and raw probes of
// its column families.
class StoreFixture : public ::testing::Test {
protected:
    void SetUp() override {
        store = open_store(dir.db());
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->users().add({"alice@localhost", "$y$hash", 0}).ok());
    }
    uint64_t refs(const std::string& qid) {
        auto v = test_hooks::raw_get(*store, keys::kBodyRefs, qid);
        EXPECT_TRUE(v.ok());
        if (!v.ok() || !v->has_value()) return 0;
        return decode_refcount(**v).value();
    }
    bool scheduled(int64_t at, const std::string& qid) {
        auto v = test_hooks::raw_get(*store, keys::kSchedule, keys::schedule_key(at, qid));
        return v.ok() && v->has_value();
    }
    size_t count(const char* cf) { return test_hooks::raw_count(*store, cf).value(); }
    mail::Envelope stored_envelope(const std::string& qid) {
        auto e = store->spool().get_envelope(qid);
        EXPECT_TRUE(e.ok() && e->has_value()) << qid;
        return e.ok() && e->has_value() ? **e : mail::Envelope{};
    }

    TempDir dir;
    std::unique_ptr<Store> store;
};

inline const char* kMessage =
    "Received: from client.example\r\n"
    "From: Bob <bob@example.org>\r\n"
    "Subject: Hello\r\n"
    " there\r\n"
    "\r\n"
    "Body line\r\n";

// A store with alice@localhost (and her default mailboxes) plus the checks
// the mailbox API tests share.
class MailboxFixture : public StoreFixture {
protected:
    static constexpr const char* kUser = "alice@localhost";

    // Spools a message to alice and delivers it into her INBOX, as the
    // delivery engine would; returns its queue ID.
    std::string deliver(const std::string& data = kMessage) {
        auto env = make_envelope("bob@example.org", {{kUser, true}});
        auto r = accept_and_deliver(*store, env, data);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return env.queue_id;
    }
    MailboxInfo info(const std::string& mailbox) {
        auto r = store->mailboxes().mailbox_info(kUser, mailbox);
        EXPECT_TRUE(r.ok() && r->has_value()) << mailbox;
        return r.ok() && r->has_value() ? **r : MailboxInfo{};
    }
    std::vector<uint32_t> uids(const std::string& mailbox) {
        std::vector<uint32_t> out;
        auto r = store->mailboxes().list_messages(kUser, mailbox);
        EXPECT_TRUE(r.ok()) << mailbox << ": " << (r.ok() ? "" : r.error().message);
        if (r.ok())
            for (const auto& m : r->messages) out.push_back(m.uid);
        return out;
    }
    MessageRecord record(const std::string& mailbox, uint32_t uid) {
        auto r = store->mailboxes().get_message_record(kUser, mailbox, uid);
        EXPECT_TRUE(r.ok() && r->has_value()) << mailbox << " " << uid;
        return r.ok() && r->has_value() ? **r : MessageRecord{};
    }
    bool body_stored(const std::string& qid) {
        auto v = test_hooks::raw_get(*store, keys::kBodies, qid);
        return v.ok() && v->has_value();
    }
    // The meta's counters against the message records themselves, and UIDs
    // ascending below uidnext.
    void expect_counters_exact(const std::string& mailbox) {
        SCOPED_TRACE("mailbox " + mailbox);
        auto listing = store->mailboxes().list_messages(kUser, mailbox);
        ASSERT_TRUE(listing.ok()) << listing.error().message;
        uint64_t bytes = 0, unseen = 0;
        uint32_t last = 0;
        for (const auto& m : listing->messages) {
            bytes += m.size;
            if (!(m.flags & kFlagSeen)) ++unseen;
            EXPECT_GT(m.uid, last);
            last = m.uid;
        }
        EXPECT_LT(last, listing->info.uidnext);
        EXPECT_EQ(listing->info.messages, listing->messages.size());
        EXPECT_EQ(listing->info.bytes, bytes);
        EXPECT_EQ(listing->info.unseen, unseen);
        // The same as mailbox_info and list_mailboxes report.
        MailboxInfo direct = info(mailbox);
        EXPECT_EQ(direct.messages, listing->info.messages);
        EXPECT_EQ(direct.unseen, listing->info.unseen);
        EXPECT_EQ(direct.bytes, listing->info.bytes);
        EXPECT_EQ(direct.uidnext, listing->info.uidnext);
    }
};

}  // namespace ringpost::store::testing
