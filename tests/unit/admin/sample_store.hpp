// A store with something of everything the admin commands show: two users,
// two mailbox messages (one UTF-8, one not), queued mail with a deferred
// recipient (a reply with a bounce class), a failed one and a queued one,
// a message from the null sender, and a suspension. Shared by the text and
// JSON output tests, which check the same facts in both formats.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "admin/admin.hpp"
#include "store_fixture.hpp"

namespace ringpost::test {

class SampleStore : public StoreFixture {
protected:
    // UTF-8 (with a NUL and a bare CR, which JSON strings can hold) and not UTF-8.
    static std::string utf8_message() {
        static const char kText[] = "Subject: caf\xc3\xa9 \xe2\x82\xac\r\nFrom: a@example.test\r\n\r\nline\0one\rtwo\r\n";
        return std::string(kText, sizeof kText - 1);
    }
    static std::string binary_message() { return "Subject: raw\r\n\r\n\xff\xfe bytes\r\n"; }

    void SetUp() override {
        StoreFixture::SetUp();
        now = static_cast<int64_t>(std::time(nullptr));
        run_ok({"user", "add", "alice@example.test"}, "pw\n");
        run_ok({"user", "add", "bob@example.test"}, "pw\n");
        accept(utf8_message(), "sender@example.test", "alice@example.test", true);
        accept(binary_message(), "sender@example.test", "alice@example.test", true);
        auto listed = store->mailboxes().list_mailbox("alice@example.test");
        ASSERT_TRUE(listed.ok() && listed->size() == 2);
        for (const auto& m : *listed) mailbox_ids.push_back(m.id);

        deferred_id = accept("Subject: deferred\r\n\r\nx\r\n", "sender@example.test", "rcpt@remote.example", false);
        record_attempt(deferred_id, [this](mail::Envelope& e) {
            e.recipients.push_back(e.recipients[0]);
            e.recipients.push_back(e.recipients[0]);
            e.recipients[1].address = "queued@remote.example";
            e.recipients[2].address = "gone@other.example";
            e.recipients[0].state = mail::RcptState::kDeferred;
            e.recipients[0].attempts = 2;
            e.recipients[0].last_reply = "452 4.2.2 Mailbox full";
            e.recipients[2].state = mail::RcptState::kFailed;
            e.recipients[2].attempts = 1;
            e.recipients[2].last_reply = "550 5.1.1 no such user";
            e.received_at = now - 600;
            e.next_attempt = 1800000000;
        });
        null_sender_id = accept("Subject: dsn\r\n\r\ny\r\n", "", "x@other.example", false);
        record_attempt(null_sender_id, [this](mail::Envelope& e) { e.received_at = now - 3000; });
        run_ok({"queue", "suspend", "remote.example", "--reason=asked to wait"});
    }

    void run_ok(const std::vector<std::string>& args, std::string_view in = "") {
        std::string out, err;
        ASSERT_EQ(admin::run_admin_command(*store, args, in, out, err), admin::kExitOk) << err;
    }

    int64_t now = 0;
    std::string deferred_id, null_sender_id;
    std::vector<std::string> mailbox_ids;   // as mailbox list orders them
};

}  // namespace ringpost::test
