// The text output of the reading commands, byte for byte, on a store with
// something of everything (sample_store.hpp): the gathering shared with
// the JSON output must not change a character of what scripts parse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/core.h>

#include "admin/admin.hpp"
#include "sample_store.hpp"

namespace ringpost::admin {
namespace {

using ::testing::EndsWith;

std::string iso(int64_t t) {
    time_t tt = static_cast<time_t>(t);
    tm parts{};
    gmtime_r(&tt, &parts);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return buf;
}

class TextOutput : public test::SampleStore {
protected:
    std::string run(const std::vector<std::string>& args) {
        std::string out, err;
        EXPECT_EQ(run_admin_command(*store, args, "", out, err), kExitOk) << err;
        return out;
    }
};

TEST_F(TextOutput, QueueList) {
    EXPECT_EQ(run({"queue", "list"}),
              deferred_id + "        24 " + iso(now - 600) +
                  " <sender@example.test> <rcpt@remote.example> <queued@remote.example> next=2027-01-15T08:00:00Z"
                  " attempts=2 last_error=\"452 4.2.2 Mailbox full\" class=mailbox-full\n" +
                  null_sender_id + "        19 " + iso(now - 3000) +
                  " <> <x@other.example> next=2023-11-14T22:13:20Z attempts=0\n"
                  "-- 2 messages, 43 bytes, 3 recipients pending\n");
}

TEST_F(TextOutput, QueueShow) {
    EXPECT_EQ(run({"queue", "show", deferred_id}),
              "queue_id: " + deferred_id +
                  "\n"
                  "sender: <sender@example.test>\n"
                  "recipient: <rcpt@remote.example> state=deferred notify=FAILURE,DELAY orcpt=rfc822;rcpt@remote.example"
                  " local=no attempts=2 class=mailbox-full last_reply=452 4.2.2 Mailbox full\n"
                  "recipient: <queued@remote.example> state=queued notify=FAILURE,DELAY orcpt=rfc822;rcpt@remote.example"
                  " local=no attempts=0\n"
                  "recipient: <gone@other.example> state=failed notify=FAILURE,DELAY orcpt=rfc822;rcpt@remote.example"
                  " local=no attempts=1 class=invalid-recipient last_reply=550 5.1.1 no such user\n"
                  "envid: -\nret: -\nbody_type: 7BIT\nsmtputf8: no\nclient: 192.0.2.7\nhelo: client.example\n"
                  "protocol: ESMTP\npool: (default)\nreceived: " +
                  iso(now - 600) +
                  "\n"
                  "next_attempt: 2027-01-15T08:00:00Z\nsize: 24\n\nSubject: deferred\r\n\r\nx\r\n");
}

TEST_F(TextOutput, QueueSummary) {
    auto suspended = store->spool().suspensions();
    ASSERT_TRUE(suspended.ok() && suspended->size() == 1);
    const std::string header = fmt::format("{:<32} {:<28}", "DOMAIN", "SITE") +
                               "   MSGS   RCPTS  OLDEST   <5m  <10m  <20m  <40m  <80m <160m <320m <640m <1280m 1280m+\n";
    EXPECT_EQ(run({"queue", "summary"}),
              header + fmt::format("{:<32} {:<28}", "other.example", "-") +
                  "      1       1     50m     0     0     0     0     1     0     0     0     0      0\n" +
                  fmt::format("{:<32} {:<28}", "remote.example", "-") +
                  "      1       2     10m     0     0     1     0     0     0     0     0     0      0\n"
                  "\n"
                  "suspended remote.example until resumed since " + iso(suspended->front().since) +
                  ": asked to wait\n"
                  "-- 2 domains, 1 suspension\n");
}

TEST_F(TextOutput, QueueStatsUsersAndMailbox) {
    EXPECT_EQ(run({"queue", "stats"}),
              "messages: 2\nrecipients_pending: 3\nheld: 0\nbytes: 43\noldest: " + iso(now - 3000) + " (age 50m)\n");
    EXPECT_THAT(run({"user", "list"}), ::testing::MatchesRegex("alice@example\\.test [-0-9T:]+Z password\n"
                                                               "bob@example\\.test [-0-9T:]+Z password\n"));
    EXPECT_EQ(run({"mailbox", "list", "alice@example.test"}),
              mailbox_ids[0] + "       128 2023-11-14T22:13:20Z -     caf\xc3\xa9 \xe2\x82\xac\n" + mailbox_ids[1] +
                  "        96 2023-11-14T22:13:20Z -     raw\n");
    EXPECT_THAT(run({"mailbox", "show", "alice@example.test", mailbox_ids[1]}), EndsWith(binary_message()));
}

}  // namespace
}  // namespace ringpost::admin
