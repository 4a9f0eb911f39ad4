// read_from_fields: how many From: fields a header has and the mailboxes of
// the first (what DKIM signing and DMARC read).
#include <gtest/gtest.h>

#include "mail/from_fields.hpp"

using namespace ringpost::mail;

TEST(FromFields, MailboxesOfTheFirstFieldAndTheCount) {
    FromFields f = read_from_fields("From: Ann <ann@a.example>, team: bob@b.example;\r\nFROM: c@c.example\r\n\r\n"
                                    "From: body@d.example\r\n");
    EXPECT_EQ(f.count, 2u);
    ASSERT_EQ(f.mailboxes.size(), 2u);
    EXPECT_EQ(f.mailboxes[0].mailbox, "ann");
    EXPECT_EQ(f.mailboxes[0].host, "a.example");
    EXPECT_EQ(f.mailboxes[1].host, "b.example");
}

TEST(FromFields, MissingPartsAreEmpty) {
    FromFields f = read_from_fields("From: root, Some Name\r\n\r\n");
    EXPECT_EQ(f.count, 1u);
    ASSERT_EQ(f.mailboxes.size(), 2u);
    EXPECT_EQ(f.mailboxes[0].mailbox, "root");
    EXPECT_EQ(f.mailboxes[0].host, "");
    EXPECT_EQ(f.mailboxes[1].mailbox, "");
    EXPECT_EQ(read_from_fields("Subject: none\r\n\r\n").count, 0u);
}
