// Every admin command's JSON output (OutputFormat::kJson; docs/CLI.md):
// one document that parses, with typed fields carrying the same facts as
// the text (text_output_test.cpp checks the text on the same store), and
// nothing on `out` when the command fails.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "sample_store.hpp"
#include "util/base64.hpp"

namespace ringpost::admin {
namespace {

using ::testing::MatchesRegex;
using nlohmann::json;

constexpr const char* kTimeRegex = "20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z";

class JsonOutput : public test::SampleStore {
protected:
    // Runs the command for a JSON caller; the document, or null on a failure.
    json run_json(const std::vector<std::string>& args, std::string_view in = "", int expect = kExitOk) {
        std::string out, err;
        EXPECT_EQ(run_admin_command(*store, AdminExtras{}, args, in, out, err, OutputFormat::kJson), expect) << err;
        if (expect != kExitOk) {
            EXPECT_EQ(out, "") << "a failed command writes nothing on out for a JSON caller";
            EXPECT_THAT(err, ::testing::StartsWith("ringpost: "));
            return nullptr;
        }
        EXPECT_EQ(err, "");
        EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "one document on one line: " << out;
        return json::parse(out);
    }
};

TEST(JsonTable, EveryCommandRendersJson) {
    for (const CommandSpec& spec : commands()) {
        // `ringpost metrics` speaks the Prometheus text format, which is its
        // interface (GET /metrics serves the same); --json wraps that text.
        if (spec.group == "metrics") continue;
        EXPECT_TRUE(spec.renders_json) << spec.group << " " << spec.name << " has no JSON renderer";
    }
}

TEST_F(JsonOutput, UserListAddDel) {
    json doc = run_json({"user", "list"});
    ASSERT_EQ(doc.at("users").size(), 2u);
    EXPECT_EQ(doc["users"][0].at("address"), "alice@example.test");
    EXPECT_EQ(doc["users"][1].at("address"), "bob@example.test");
    EXPECT_THAT(doc["users"][0].at("created").get<std::string>(), MatchesRegex(kTimeRegex));
    EXPECT_EQ(doc["users"][0].at("password"), true);

    doc = run_json({"user", "add", "Carol@Example.test"}, "pw\n");
    EXPECT_EQ(doc.at("address"), "carol@example.test");
    EXPECT_THAT(doc.at("created").get<std::string>(), MatchesRegex(kTimeRegex));
    run_json({"user", "add", "carol@example.test"}, "pw\n", kExitFailure);

    doc = run_json({"user", "del", "carol@example.test"});
    EXPECT_EQ(doc, json::parse(R"({"address": "carol@example.test", "deleted": true})"));
    run_json({"user", "del", "carol@example.test"}, "", kExitFailure);
    run_json({"user", "add", "not-an-address"}, "pw\n", kExitUsage);
}

TEST_F(JsonOutput, QueueList) {
    const json doc = run_json({"queue", "list"});
    EXPECT_EQ(doc.at("total"), json::parse(R"({"messages": 2, "bytes": 43, "recipients_pending": 3, "held": 0})"));
    ASSERT_EQ(doc.at("messages").size(), 2u);
    const json& m = doc["messages"][0];
    EXPECT_EQ(m.at("queue_id"), deferred_id);
    EXPECT_EQ(m.at("size"), 24);
    EXPECT_EQ(m.at("sender"), "sender@example.test");
    EXPECT_THAT(m.at("arrival").get<std::string>(), MatchesRegex(kTimeRegex));
    EXPECT_EQ(m.at("next_attempt"), "2027-01-15T08:00:00Z");
    EXPECT_EQ(m.at("attempts"), 2) << "the most attempts of a pending recipient, as the text's attempts=";
    EXPECT_EQ(m.at("pending"), 2);
    ASSERT_EQ(m.at("recipients").size(), 3u);
    EXPECT_EQ(m["recipients"][0], json::parse(R"({"address": "rcpt@remote.example", "status": "deferred",
        "notify": ["FAILURE", "DELAY"], "orcpt": "rfc822;rcpt@remote.example", "local": false, "attempts": 2,
        "last_reply": "452 4.2.2 Mailbox full", "bounce_class": "mailbox-full"})"));
    EXPECT_EQ(m["recipients"][1].at("status"), "queued");
    EXPECT_EQ(m["recipients"][1].at("last_reply"), nullptr);
    EXPECT_EQ(m["recipients"][1].at("bounce_class"), nullptr);
    EXPECT_EQ(m["recipients"][2].at("status"), "failed");
    EXPECT_EQ(m["recipients"][2].at("bounce_class"), "invalid-recipient");

    const json& dsn = doc["messages"][1];
    EXPECT_EQ(dsn.at("queue_id"), null_sender_id);
    EXPECT_EQ(dsn.at("sender"), "") << "the null sender";
    EXPECT_EQ(dsn.at("next_attempt"), "2023-11-14T22:13:20Z");
    EXPECT_EQ(dsn.at("attempts"), 0);
    EXPECT_EQ(dsn.at("recipients").size(), 1u);
}

TEST_F(JsonOutput, QueueShow) {
    const json doc = run_json({"queue", "show", deferred_id});
    const json listed = run_json({"queue", "list"})["messages"][0];
    EXPECT_EQ(doc.at("queue_id"), deferred_id);
    EXPECT_EQ(doc.at("sender"), "sender@example.test");
    ASSERT_EQ(doc.at("recipients").size(), 3u);
    EXPECT_EQ(doc["recipients"][0].at("bounce_class"), "mailbox-full");
    EXPECT_EQ(doc["recipients"][2].at("last_reply"), "550 5.1.1 no such user");
    for (const char* absent : {"envid", "ret", "pool"}) EXPECT_EQ(doc.at(absent), nullptr) << absent;
    EXPECT_EQ(doc.at("body_type"), "7BIT");
    EXPECT_EQ(doc.at("smtputf8"), false);
    EXPECT_EQ(doc.at("client"), "192.0.2.7");
    EXPECT_EQ(doc.at("helo"), "client.example");
    EXPECT_EQ(doc.at("protocol"), "ESMTP");
    EXPECT_EQ(doc.at("received"), listed.at("arrival"));
    EXPECT_EQ(doc.at("recipients"), listed.at("recipients"));
    EXPECT_EQ(doc.at("next_attempt"), "2027-01-15T08:00:00Z");
    EXPECT_EQ(doc.at("size"), 24);
    EXPECT_EQ(doc.at("message"), "Subject: deferred\r\n\r\nx\r\n");
    EXPECT_FALSE(doc.contains("message_base64"));

    run_json({"queue", "show", "0123456789ABCDEF"}, "", kExitFailure);
    run_json({"queue", "show", "xyz"}, "", kExitUsage);
    run_json({"queue", "show"}, "", kExitUsage);
}

TEST_F(JsonOutput, QueueSummaryAndStats) {
    const json doc = run_json({"queue", "summary"});
    ASSERT_EQ(doc.at("domains").size(), 2u);
    const json& other = doc["domains"][0];
    EXPECT_EQ(other.at("domain"), "other.example");
    EXPECT_EQ(other.at("site"), nullptr) << "no running engine has grouped it";
    EXPECT_EQ(other.at("messages"), 1);
    EXPECT_EQ(other.at("recipients"), 1);
    EXPECT_EQ(other.at("oldest_unix"), now - 3000);
    EXPECT_THAT(other.at("oldest").get<std::string>(), MatchesRegex(kTimeRegex));
    EXPECT_GE(other.at("age_seconds").get<int64_t>(), 3000);
    EXPECT_LT(other.at("age_seconds").get<int64_t>(), 3060);
    const json& buckets = other.at("age_buckets");
    ASSERT_EQ(buckets.size(), 10u);
    EXPECT_EQ(buckets[0], json::parse(R"({"under_minutes": 5, "messages": 0})"));
    EXPECT_EQ(buckets[4], json::parse(R"({"under_minutes": 80, "messages": 1})")) << "50 minutes old";
    EXPECT_EQ(buckets[9], json::parse(R"({"under_minutes": null, "messages": 0})"));
    const json& remote = doc["domains"][1];
    EXPECT_EQ(remote.at("domain"), "remote.example");
    EXPECT_EQ(remote.at("recipients"), 2);
    EXPECT_EQ(remote.at("age_buckets")[2].at("messages"), 1) << "10 minutes old: under 20";
    EXPECT_EQ(doc.at("sites"), json::array());
    ASSERT_EQ(doc.at("suspensions").size(), 1u);
    const json& s = doc["suspensions"][0];
    EXPECT_EQ(s.at("target"), "remote.example");
    EXPECT_EQ(s.at("until"), nullptr) << "until resumed";
    EXPECT_THAT(s.at("since").get<std::string>(), MatchesRegex(kTimeRegex));
    EXPECT_EQ(s.at("reason"), "asked to wait");

    const json stats = run_json({"queue", "stats"});
    EXPECT_EQ(stats.at("messages"), 2);
    EXPECT_EQ(stats.at("recipients_pending"), 3);
    EXPECT_EQ(stats.at("bytes"), 43);
    EXPECT_EQ(stats.at("oldest"), other.at("oldest"));
    EXPECT_EQ(stats.at("oldest_unix"), now - 3000);
    EXPECT_GE(stats.at("age_seconds").get<int64_t>(), 3000);
}

TEST_F(JsonOutput, QueueActions) {
    json doc = run_json({"queue", "suspend", "Other.example", "--for=1h"});
    EXPECT_EQ(doc.at("target"), "other.example");
    EXPECT_EQ(doc.at("reason"), nullptr);
    EXPECT_THAT(doc.at("until").get<std::string>(), MatchesRegex(kTimeRegex));
    EXPECT_THAT(doc.at("since").get<std::string>(), MatchesRegex(kTimeRegex));
    run_json({"queue", "suspend", "x.example", "--for=soon"}, "", kExitUsage);

    EXPECT_EQ(run_json({"queue", "resume", "other.example"}),
              json::parse(R"({"target": "other.example", "messages_due": 0})"));
    run_json({"queue", "resume", "other.example"}, "", kExitFailure);
    EXPECT_EQ(run_json({"queue", "flush"}), json::parse(R"({"messages_due": 1})")) << "the one deferred to 2027";
    EXPECT_EQ(run_json({"queue", "retry", "--domain=Remote.Example"}),
              json::parse(R"({"domain": "remote.example", "messages_due": 0})")) << "due already, since the flush";

    EXPECT_EQ(run_json({"queue", "bounce", deferred_id}),
              json::parse(R"({"queue_id": ")" + deferred_id + R"(", "recipients": 2, "messages": 1})"));
    run_json({"queue", "bounce", deferred_id}, "", kExitFailure);   // done: no longer queued
    EXPECT_EQ(run_json({"queue", "bounce", "--domain=other.example"}),
              json::parse(R"({"domain": "other.example", "recipients": 1, "messages": 1})"));

    // Left: the DSN to the sender of the bounced message.
    const json left = run_json({"queue", "list"});
    ASSERT_EQ(left.at("messages").size(), 1u) << left.dump();
    const std::string dsn = left["messages"][0].at("queue_id");
    EXPECT_EQ(left["messages"][0].at("sender"), "");
    EXPECT_EQ(left["messages"][0]["recipients"][0].at("address"), "sender@example.test");
    EXPECT_EQ(run_json({"queue", "delete", dsn}), json::parse(R"({"queue_id": ")" + dsn + R"(", "deleted": true})"));
    run_json({"queue", "delete", dsn}, "", kExitFailure);
    run_json({"queue", "bounce"}, "", kExitUsage);
}

TEST_F(JsonOutput, MailboxListAndShow) {
    const json doc = run_json({"mailbox", "list", "Alice@example.test"});
    EXPECT_EQ(doc.at("address"), "alice@example.test");
    ASSERT_EQ(doc.at("messages").size(), 2u);
    EXPECT_EQ(doc["messages"][0], json::parse(R"({"id": ")" + mailbox_ids[0] + R"(", "size": 128,
        "date": "2023-11-14T22:13:20Z", "flags": [], "subject": "caf\u00e9 \u20ac"})"));
    EXPECT_EQ(doc["messages"][1].at("subject"), "raw");
    run_json({"mailbox", "list", "nobody@example.test"}, "", kExitFailure);

    // UTF-8 (a NUL and a bare CR included) as a string; anything else in base64.
    auto stored = [&](const std::string& id) {
        auto message = store->mailboxes().get_mailbox_message("alice@example.test", id);
        return message.ok() && message->has_value() ? **message : std::string("(missing)");
    };
    json text = run_json({"mailbox", "show", "alice@example.test", mailbox_ids[0]});
    EXPECT_EQ(text.at("address"), "alice@example.test");
    EXPECT_EQ(text.at("id"), mailbox_ids[0]);
    EXPECT_EQ(text.at("size"), 128);
    EXPECT_EQ(text.at("message"), stored(mailbox_ids[0]));
    EXPECT_FALSE(text.contains("message_base64"));
    json binary = run_json({"mailbox", "show", "alice@example.test", mailbox_ids[1]});
    EXPECT_FALSE(binary.contains("message"));
    std::string decoded;
    ASSERT_TRUE(base64::decode(binary.at("message_base64").get<std::string>(), decoded));
    EXPECT_EQ(decoded, stored(mailbox_ids[1]));
    EXPECT_EQ(binary.at("size"), decoded.size());
    run_json({"mailbox", "show", "alice@example.test", "0123456789ABCDEF.9"}, "", kExitFailure);
}

TEST_F(JsonOutput, FlagsByName) {
    auto listed = store->mailboxes().list_mailbox("alice@example.test");
    ASSERT_TRUE(listed.ok());
    auto set = store->mailboxes().set_flags("alice@example.test", "INBOX",
                                            {{listed->front().uid, store::kFlagSeen | store::kFlagAnswered}});
    ASSERT_TRUE(set.ok()) << set.error().message;
    const json doc = run_json({"mailbox", "list", "alice@example.test"});
    EXPECT_EQ(doc["messages"][0].at("flags"), json::parse(R"(["answered", "seen"])"));
}

TEST_F(JsonOutput, UnknownCommandsAreTextErrorsWithNothingOnOut) {
    run_json({}, "", kExitUsage);
    run_json({"queue"}, "", kExitUsage);
    run_json({"frobnicate", "list"}, "", kExitUsage);
    run_json({"queue", "suspend", "x.example", "--bogus=1"}, "", kExitUsage);
}

}  // namespace
}  // namespace ringpost::admin
