// Key encoding: round trips, and the orders the scheduler and mailbox
// listings rely on (byte order of the encoded keys).
#include "store/keys.hpp"

#include <algorithm>
#include <gtest/gtest.h>

using namespace ringpost::store;

TEST(Keys, BigEndianHelpers) {
    std::string s;
    keys::put_be64(s, 0x0102030405060708ull);
    keys::put_be32(s, 0xA0B0C0D0u);
    ASSERT_EQ(s.size(), 12u);
    EXPECT_EQ(static_cast<unsigned char>(s[0]), 0x01);
    EXPECT_EQ(static_cast<unsigned char>(s[7]), 0x08);
    EXPECT_EQ(keys::get_be64(s), 0x0102030405060708ull);
    EXPECT_EQ(keys::get_be32(std::string_view(s).substr(8)), 0xA0B0C0D0u);
}

TEST(Keys, ScheduleKeyRoundTripAndOrder) {
    std::string a = keys::schedule_key(1700000000, "0000000000000002");
    auto parsed = keys::parse_schedule_key(a);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->next_attempt, 1700000000u);
    EXPECT_EQ(parsed->queue_id, "0000000000000002");

    // Time first (a later time with a smaller queue id still sorts after),
    // then queue id; 255 < 256 must hold byte-wise (big-endian).
    std::vector<std::string> ks = {
        keys::schedule_key(256, "0000000000000001"),
        keys::schedule_key(255, "00000000000000FF"),
        keys::schedule_key(1700000000, "0000000000000001"),
        keys::schedule_key(255, "0000000000000003"),
    };
    std::sort(ks.begin(), ks.end());
    EXPECT_EQ(keys::parse_schedule_key(ks[0])->queue_id, "0000000000000003");
    EXPECT_EQ(keys::parse_schedule_key(ks[1])->queue_id, "00000000000000FF");
    EXPECT_EQ(keys::parse_schedule_key(ks[2])->next_attempt, 256u);
    EXPECT_EQ(keys::parse_schedule_key(ks[3])->next_attempt, 1700000000u);

    EXPECT_EQ(keys::parse_schedule_key(keys::schedule_key(-5, "X"))->next_attempt, 0u);
    EXPECT_FALSE(keys::parse_schedule_key("short"));
}

TEST(Keys, MessageKeyRoundTripAndUidOrder) {
    auto k = keys::message_key("alice@localhost", "INBOX", 0x00000100);  // uid contains NUL bytes
    auto parsed = keys::parse_message_key(k);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->user, "alice@localhost");
    EXPECT_EQ(parsed->mailbox, "INBOX");
    EXPECT_EQ(parsed->uid, 0x100u);

    EXPECT_LT(keys::message_key("a@x", "INBOX", 255), keys::message_key("a@x", "INBOX", 256));
    EXPECT_LT(keys::message_key("a@x", "INBOX", 65535), keys::message_key("a@x", "INBOX", 65536));
    EXPECT_FALSE(keys::parse_message_key("no-nul-here"));
    EXPECT_FALSE(keys::parse_message_key(std::string("u\0\0", 3) + "abcd"));  // empty mailbox
}

TEST(Keys, PrefixesDoNotBleedIntoNeighbours) {
    // A mailbox's message prefix must not match a mailbox whose name merely
    // starts the same, nor another user whose name starts the same.
    std::string inbox = keys::message_prefix("a@x", "INBOX");
    EXPECT_EQ(keys::message_key("a@x", "INBOX", 7).rfind(inbox, 0), 0u);
    EXPECT_NE(keys::message_key("a@x", "INBOX.Sent", 7).rfind(inbox, 0), 0u);
    std::string user = keys::user_prefix("a@x");
    EXPECT_EQ(keys::mailbox_key("a@x", "INBOX").rfind(user, 0), 0u);
    EXPECT_NE(keys::mailbox_key("a@x.org", "INBOX").rfind(user, 0), 0u);
}

TEST(Keys, PrefixSuccessorBoundsThePrefix) {
    std::string p = keys::user_prefix("bob@y");
    std::string next = keys::prefix_successor(p);
    EXPECT_LT(keys::message_key("bob@y", "zzzz", 0xffffffff), next);
    EXPECT_GT(next, p);
    EXPECT_EQ(keys::prefix_successor(std::string("a\xff\xff", 3)), "b");
    EXPECT_EQ(keys::prefix_successor(std::string("\xff", 1)), "");
}

TEST(Keys, LowerAddressAndComponents) {
    EXPECT_EQ(keys::lower_address("Alice@LocalHost"), "alice@localhost");
    EXPECT_EQ(keys::lower_address("J\xC3\x9CRGEN@x"), "j\xC3\x9Crgen@x");  // non-ASCII kept
    EXPECT_TRUE(keys::valid_component("INBOX"));
    EXPECT_FALSE(keys::valid_component(""));
    EXPECT_FALSE(keys::valid_component(std::string("a\0b", 3)));
}
