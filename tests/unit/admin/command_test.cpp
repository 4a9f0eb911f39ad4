// admin::run_admin_command against a real Store in a temporary directory: users,
// queue and mailbox commands, their exit codes and messages, and byte-exact
// output of stored messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin/admin.hpp"
#include "auth/password.hpp"
#include "config/bounce_rules.hpp"
#include "config/config.hpp"
#include "store_fixture.hpp"

namespace ringpost::admin {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A message with bytes a text-only path would damage: NUL, bare CR, 8-bit, no final newline.
const char kRaw[] = "Subject: hello there\r\nFrom: a@example.test\r\n\r\nline\0one\rtwo\xe2\x82\xac\r\nend";
const std::string kBinaryMessage(kRaw, sizeof kRaw - 1);

class AdminCommand : public test::StoreFixture {
protected:
    int run(const std::vector<std::string>& args, std::string_view in = "") {
        out.clear();
        err.clear();
        return admin::run_admin_command(*store, args, in, out, err);
    }
    std::string out, err;
};

TEST_F(AdminCommand, UserAddListDel) {
    EXPECT_EQ(run({"user", "list"}), admin::kExitOk);
    EXPECT_EQ(out, "");

    EXPECT_EQ(run({"user", "add", "Alice@Example.TEST"}, "s3cret\n"), admin::kExitOk) << err;
    EXPECT_EQ(out, "added user alice@example.test\n");
    EXPECT_EQ(err, "");

    auto rec = store->users().get("alice@example.test");
    ASSERT_TRUE(rec.ok());
    ASSERT_TRUE(rec->has_value());
    EXPECT_THAT((*rec)->password_hash, StartsWith("$"));
    EXPECT_EQ((*rec)->password_hash.find("s3cret"), std::string::npos);   // never the clear text
    EXPECT_TRUE(auth::verify_password("s3cret", (*rec)->password_hash));

    EXPECT_EQ(run({"user", "list"}), admin::kExitOk);
    EXPECT_THAT(out, StartsWith("alice@example.test "));
    EXPECT_THAT(out, EndsWith(" password\n"));

    EXPECT_EQ(run({"user", "add", "alice@example.test"}, "other\n"), admin::kExitFailure);
    EXPECT_EQ(err, "ringpost: user alice@example.test already exists\n");

    EXPECT_EQ(run({"user", "del", "ALICE@example.test"}), admin::kExitOk) << err;
    EXPECT_THAT(out, StartsWith("deleted user alice@example.test"));
    EXPECT_EQ(run({"user", "list"}), admin::kExitOk);
    EXPECT_EQ(out, "");

    EXPECT_EQ(run({"user", "del", "alice@example.test"}), admin::kExitFailure);
    EXPECT_EQ(err, "ringpost: no such user: alice@example.test\n");
}

TEST_F(AdminCommand, UserAddRefusesBadInput) {
    EXPECT_EQ(run({"user", "add", "bob@example.test"}, ""), admin::kExitUsage);
    EXPECT_THAT(err, HasSubstr("empty password refused"));
    EXPECT_EQ(run({"user", "add", "bob@example.test"}, "\r\nsecond line"), admin::kExitUsage);
    EXPECT_THAT(err, HasSubstr("empty password refused"));
    EXPECT_EQ(run({"user", "add", "not-an-address"}, "pw\n"), admin::kExitUsage);
    EXPECT_THAT(err, HasSubstr("is not a mail address"));
    EXPECT_EQ(run({"user", "add", "<bob@example.test>"}, "pw\n"), admin::kExitUsage);
    EXPECT_EQ(run({"user", "add"}, "pw\n"), admin::kExitUsage);
    EXPECT_THAT(err, StartsWith("ringpost: usage: ringpost user add"));
    EXPECT_EQ(run({"user", "list"}), admin::kExitOk);
    EXPECT_EQ(out, "");   // nothing was added by the failures
}

TEST_F(AdminCommand, PasswordIsOnlyTheFirstLine) {
    ASSERT_EQ(run({"user", "add", "carol@example.test"}, "pw1\r\nignored\n"), admin::kExitOk) << err;
    auto rec = store->users().get("carol@example.test");
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_TRUE(auth::verify_password("pw1", (*rec)->password_hash));
}

TEST_F(AdminCommand, EmptyQueue) {
    EXPECT_EQ(run({"queue", "list"}), admin::kExitOk) << err;
    EXPECT_EQ(out, "-- 0 messages, 0 bytes, 0 recipients pending\n");
    EXPECT_EQ(run({"queue", "stats"}), admin::kExitOk) << err;
    EXPECT_THAT(out, HasSubstr("messages: 0\n"));
    EXPECT_THAT(out, HasSubstr("oldest: -\n"));
}

TEST_F(AdminCommand, UnknownQueueIds) {
    EXPECT_EQ(run({"queue", "show", "0123456789ABCDEF"}), admin::kExitFailure);
    EXPECT_EQ(err, "ringpost: no such queue ID: 0123456789ABCDEF\n");
    EXPECT_EQ(out, "");
    EXPECT_EQ(run({"queue", "delete", "0123456789abcdef"}), admin::kExitFailure);
    EXPECT_EQ(err, "ringpost: no such queue ID: 0123456789ABCDEF\n");
    EXPECT_EQ(run({"queue", "show", "xyz"}), admin::kExitUsage);
    EXPECT_EQ(err, "ringpost: \"xyz\" is not a queue ID (16 hex digits)\n");
}

TEST_F(AdminCommand, QueuedMessageListShowDelete) {
    std::string id = accept(kBinaryMessage, "sender@example.test", "rcpt@remote.example", false);

    EXPECT_EQ(run({"queue", "list"}), admin::kExitOk) << err;
    EXPECT_EQ(out, id + "        66 2023-11-14T22:13:20Z <sender@example.test> <rcpt@remote.example>"
                   " next=2023-11-14T22:13:20Z attempts=0\n"
                        "-- 1 message, 66 bytes, 1 recipient pending\n");

    EXPECT_EQ(run({"queue", "show", id}), admin::kExitOk) << err;
    EXPECT_THAT(out, StartsWith("queue_id: " + id + "\nsender: <sender@example.test>\n"));
    EXPECT_THAT(out, HasSubstr("recipient: <rcpt@remote.example> state=queued notify=FAILURE,DELAY "
                               "orcpt=rfc822;rcpt@remote.example local=no attempts=0\n"));
    EXPECT_THAT(out, HasSubstr("client: 192.0.2.7\nhelo: client.example\nprotocol: ESMTP\npool: (default)\n"));
    EXPECT_THAT(out, HasSubstr("received: 2023-11-14T22:13:20Z\n"));
    EXPECT_THAT(out, EndsWith("size: 66\n\n" + kBinaryMessage));   // blank line, then the exact bytes

    EXPECT_EQ(run({"queue", "stats"}), admin::kExitOk) << err;
    EXPECT_THAT(out, HasSubstr("messages: 1\n"));
    EXPECT_THAT(out, HasSubstr("recipients_pending: 1\n"));

    EXPECT_EQ(run({"queue", "delete", id}), admin::kExitOk) << err;
    EXPECT_EQ(out, "deleted " + id + "\n");
    EXPECT_EQ(run({"queue", "list"}), admin::kExitOk);
    EXPECT_EQ(out, "-- 0 messages, 0 bytes, 0 recipients pending\n");
    EXPECT_EQ(run({"queue", "show", id}), admin::kExitFailure);
}

// What an attempt that ended with `reply` makes of a recipient.
void attempted(mail::Recipient& r, mail::RcptState state, const std::string& reply) {
    r.state = state;
    r.attempts += 1;
    r.last_reply = reply;
}

TEST_F(AdminCommand, DeferredRecipientsShowTheirBounceClass) {
    std::string id = accept("Subject: x\r\n\r\nx\r\n", "sender@example.test", "rcpt@remote.example", false);
    record_attempt(id, [](mail::Envelope& e) {
        attempted(e.recipients[0], mail::RcptState::kDeferred, "452 4.2.2 Mailbox full [tls=none]");
    });

    EXPECT_EQ(run({"queue", "list"}), admin::kExitOk) << err;
    EXPECT_THAT(out, HasSubstr(" attempts=1 last_error=\"452 4.2.2 Mailbox full [tls=none]\" class=mailbox-full\n"));
    EXPECT_EQ(run({"queue", "show", id}), admin::kExitOk) << err;
    EXPECT_THAT(out, HasSubstr(" local=no attempts=1 class=mailbox-full last_reply=452 4.2.2 Mailbox full [tls=none]\n"));

    // Classified when listed, by the rules of the configuration in use.
    config::Config config = config::default_config();
    config.delivery.bounce_rule_specs =
        config::parse_bounce_rules("[[rule]]\nclass = \"policy\"\ntext = \"mailbox full\"\n", "mine.toml");
    out.clear();
    EXPECT_EQ(admin::run_admin_command(*store, admin::AdminExtras{&config, nullptr}, {"queue", "list"}, "", out, err),
              admin::kExitOk)
        << err;
    EXPECT_THAT(out, HasSubstr("\" class=policy\n"));
}

TEST_F(AdminCommand, FailedRecipientsShowTheirBounceClass) {
    std::string id = accept("Subject: x\r\n\r\nx\r\n", "sender@example.test", "rcpt@remote.example", false);
    record_attempt(id, [](mail::Envelope& e) {
        e.recipients.push_back(e.recipients[0]);   // still pending: the message stays queued
        e.recipients[1].address = "other@remote.example";
        attempted(e.recipients[0], mail::RcptState::kFailed, "550 5.1.1 no such user");
    });
    EXPECT_EQ(run({"queue", "show", id}), admin::kExitOk) << err;
    EXPECT_THAT(out, HasSubstr("<rcpt@remote.example> state=failed notify=FAILURE,DELAY orcpt=rfc822;rcpt@remote.example "
                               "local=no attempts=1 class=invalid-recipient last_reply=550 5.1.1 no such user\n"));
    // Never attempted: no reply, no class.
    EXPECT_THAT(out, HasSubstr("<other@remote.example> state=queued notify=FAILURE,DELAY "
                               "orcpt=rfc822;rcpt@remote.example local=no attempts=0\n"));
}

TEST_F(AdminCommand, NullSenderIsShownAsAngleBrackets) {
    std::string id = accept("Subject: bounce\r\n\r\nx\r\n", "", "rcpt@remote.example", false);
    EXPECT_EQ(run({"queue", "list"}), admin::kExitOk) << err;
    EXPECT_THAT(out, StartsWith(id + " "));
    EXPECT_THAT(out, HasSubstr(" <> <rcpt@remote.example> next="));
}

TEST_F(AdminCommand, MailboxListAndShowAreExact) {
    ASSERT_EQ(run({"user", "add", "dave@example.test"}, "pw\n"), admin::kExitOk) << err;
    accept(kBinaryMessage, "sender@example.test", "dave@example.test", true);

    ASSERT_EQ(run({"mailbox", "list", "dave@example.test"}), admin::kExitOk) << err;
    ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    std::string msg_id = out.substr(0, out.find(' '));
    EXPECT_THAT(out, EndsWith(" hello there\n"));   // the Subject
    EXPECT_THAT(out, HasSubstr(" - "));             // no flags yet

    ASSERT_EQ(run({"mailbox", "show", "dave@example.test", msg_id}), admin::kExitOk) << err;
    auto direct = store->mailboxes().get_mailbox_message("dave@example.test", msg_id);
    ASSERT_TRUE(direct.ok() && direct->has_value());
    EXPECT_EQ(out, **direct);                       // nothing added, nothing lost
    EXPECT_THAT(out, EndsWith(kBinaryMessage));
    EXPECT_EQ(err, "");
}

TEST_F(AdminCommand, MailboxErrors) {
    EXPECT_EQ(run({"mailbox", "list", "nobody@example.test"}), admin::kExitFailure);
    EXPECT_EQ(err, "ringpost: no such user: nobody@example.test\n");

    ASSERT_EQ(run({"user", "add", "erin@example.test"}, "pw\n"), admin::kExitOk) << err;
    EXPECT_EQ(run({"mailbox", "list", "erin@example.test"}), admin::kExitOk) << err;
    EXPECT_EQ(out, "");
    EXPECT_EQ(run({"mailbox", "show", "erin@example.test", "0123456789ABCDEF.1"}), admin::kExitFailure);
    EXPECT_EQ(err, "ringpost: no message 0123456789ABCDEF.1 in the mailbox of erin@example.test\n");
    EXPECT_EQ(out, "");
}

TEST_F(AdminCommand, UsageErrors) {
    EXPECT_EQ(run({}), admin::kExitUsage);
    EXPECT_EQ(run({"frobnicate"}), admin::kExitUsage);
    EXPECT_EQ(err, "ringpost: unknown admin command \"frobnicate\"\n");
    EXPECT_EQ(run({"queue"}), admin::kExitUsage);
    EXPECT_EQ(run({"queue", "list", "extra"}), admin::kExitUsage);
    EXPECT_EQ(run({"queue", "show"}), admin::kExitUsage);
    EXPECT_EQ(run({"mailbox", "show", "a@b.test"}), admin::kExitUsage);
    EXPECT_THAT(err, StartsWith("ringpost: usage: "));
}

TEST(AdminCommandWrites, OnlyMutatingCommands) {
    EXPECT_TRUE(admin::admin_command_writes({"user", "add", "a@b"}));
    EXPECT_TRUE(admin::admin_command_writes({"user", "del", "a@b"}));
    EXPECT_TRUE(admin::admin_command_writes({"queue", "delete", "X"}));
    EXPECT_TRUE(admin::admin_command_writes({"queue", "flush"}));
    EXPECT_TRUE(admin::admin_command_writes({"queue", "bounce", "X"}));
    EXPECT_FALSE(admin::admin_command_writes({"user", "list"}));
    EXPECT_FALSE(admin::admin_command_writes({"queue", "list"}));
    EXPECT_FALSE(admin::admin_command_writes({"queue", "show", "X"}));
    EXPECT_FALSE(admin::admin_command_writes({"mailbox", "show", "a@b", "1"}));
    EXPECT_FALSE(admin::admin_command_writes({"queue", "stats"}));
    EXPECT_FALSE(admin::admin_command_writes({"frobnicate", "delete"}));
    EXPECT_FALSE(admin::admin_command_writes({"queue"}));
    EXPECT_FALSE(admin::admin_command_writes({}));
}

}  // namespace
}  // namespace ringpost::admin
