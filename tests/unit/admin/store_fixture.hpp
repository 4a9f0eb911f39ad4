// A real Store in a temporary directory, plus a way to put an accepted
// message into it through the commit stage (what an SMTP session does).
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "mail/envelope.hpp"
#include "store/commit_stage.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

namespace ringpost::test {

class StoreFixture : public ::testing::Test {
protected:
    void SetUp() override {
        store::StoreOptions options;
        options.path = dir.file("data");
        auto s = store::Store::open(options);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store = std::move(s.value());
    }
    void TearDown() override { store.reset(); }   // ~Store drains and stops the commit stage

    // Accepts `data` from `sender` for `rcpt`; local=true then delivers it
    // into the mailbox, as the delivery engine does (an OutcomeRequest).
    std::string accept(const std::string& data, const std::string& sender, const std::string& rcpt, bool local) {
        auto req = std::make_unique<store::AcceptRequest>();
        req->envelope.queue_id = store::new_queue_id();
        req->envelope.sender = sender;
        mail::Recipient r;
        r.address = rcpt;
        r.local = local;
        r.state = mail::RcptState::kQueued;
        r.notify = mail::kNotifyFailure | mail::kNotifyDelay;
        r.orcpt = "rfc822;" + rcpt;
        req->envelope.recipients.push_back(r);
        req->envelope.helo = "client.example";
        req->envelope.client_ip = "192.0.2.7";
        req->envelope.protocol = "ESMTP";
        req->envelope.received_at = 1700000000;
        req->envelope.next_attempt = 1700000000;
        req->envelope.body_size = data.size();
        req->data = data;
        std::promise<Result<void>> done;
        auto fut = done.get_future();
        req->on_done = [&done](const Result<void>& res) { done.set_value(res); };
        std::string id = req->envelope.queue_id;
        mail::Envelope spooled = req->envelope;
        store->commit_stage().submit(std::move(req));
        auto res = fut.get();
        EXPECT_TRUE(res.ok()) << res.error().message;
        if (local && res.ok()) deliver_locally(std::move(spooled), data);
        return id;
    }

    void deliver_locally(mail::Envelope envelope, const std::string& data) {
        auto out = std::make_unique<store::OutcomeRequest>();
        out->envelope = std::move(envelope);
        out->local_deliveries = {0};
        out->body = std::make_shared<const std::string>(data);
        write_outcome(std::move(out));
    }

    // Queued message `id` after a delivery attempt that did `attempt` to its
    // envelope (the delivery engine's outcome write).
    void record_attempt(const std::string& id, const std::function<void(mail::Envelope&)>& attempt) {
        auto env = store->spool().get_envelope(id);
        auto body = store->spool().get_body(id);
        ASSERT_TRUE(env.ok() && env->has_value() && body.ok() && body->has_value());
        auto out = std::make_unique<store::OutcomeRequest>();
        out->envelope = std::move(**env);
        attempt(out->envelope);
        out->body = std::make_shared<const std::string>(std::move(**body));
        write_outcome(std::move(out));
    }

    // Through the commit stage, as the engine does; waits for the write.
    void write_outcome(std::unique_ptr<store::OutcomeRequest> out) {
        std::promise<Result<void>> done;
        auto fut = done.get_future();
        out->on_done = [&done](const Result<void>& res) { done.set_value(res); };
        store->commit_stage().submit(std::move(out));
        auto res = fut.get();
        EXPECT_TRUE(res.ok()) << res.error().message;
    }

    TempDir dir;
    std::unique_ptr<store::Store> store;
};

}  // namespace ringpost::test
